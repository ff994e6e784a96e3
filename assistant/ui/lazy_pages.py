"""Tabs beside the chat that are built the first time they are shown, so start-up imports only the chat."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QWidget


class LazyPages:
    def __init__(self, tabs: QTabWidget) -> None:
        self.tabs = tabs
        self.built: dict[str, QWidget] = {}
        self._factories: dict[str, tuple[Callable[[], QWidget], QWidget]] = {}
        tabs.currentChanged.connect(self._on_tab_changed)

    def add(self, title: str, factory: Callable[[], QWidget]) -> None:
        placeholder = QWidget()
        self._factories[title] = (factory, placeholder)
        self.tabs.addTab(placeholder, title)

    def page(self, title: str) -> QWidget:
        """The page called ``title``, built now if it was not yet."""
        if title not in self.built:
            factory, placeholder = self._factories[title]
            widget = factory()
            self.built[title] = widget
            index = self.tabs.indexOf(placeholder)
            current = self.tabs.currentIndex()
            self.tabs.blockSignals(True)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, widget, title)
            self.tabs.setCurrentIndex(current)
            self.tabs.blockSignals(False)
            placeholder.deleteLater()
        return self.built[title]

    def _on_tab_changed(self, index: int) -> None:
        title = self.tabs.tabText(index)
        if title in self._factories:
            self.page(title)
            self.tabs.setCurrentIndex(index)

    def shutdown(self) -> None:
        """End the built pages' work (before the app exits)."""
        for page in self.built.values():
            shutdown = getattr(page, "shutdown", None)
            if shutdown is not None:
                shutdown()
