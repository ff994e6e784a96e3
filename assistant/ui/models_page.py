"""The Models page: every catalog build with how it fits this machine, what is on disk,
and buttons to use, download or delete a build."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.core.catalog import Catalog
from assistant.core.download import local_builds
from assistant.core.hardware import HardwareProfile, describe
from assistant.core.paths import models_dir
from assistant.core.selector import Preferences, fit_table, gb

COLUMNS = ("Build", "Download", "Needs", "Fit", "Speed", "On disk")


class ModelsPage(QWidget):
    """Lists builds; emits ``useRequested(path)`` and ``downloadRequested(build_id)``."""

    useRequested = Signal(str)
    downloadRequested = Signal(str)
    deleted = Signal(str)  # path of a removed file

    def __init__(self, catalog: Catalog, profile: HardwareProfile, context_length: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog, self.profile = catalog, profile
        self.preferences = Preferences(context_length=context_length)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>This computer:</b> {describe(profile)}"))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        self.disk_label = QLabel()
        layout.addWidget(self.disk_label)
        buttons = QHBoxLayout()
        self.use_button = QPushButton("Use this build")
        self.download_button = QPushButton("Download…")
        self.delete_button = QPushButton("Delete file")
        for button in (self.use_button, self.download_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.use_button.clicked.connect(self._use_clicked)
        self.download_button.clicked.connect(self._download_clicked)
        self.delete_button.clicked.connect(self._delete_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def refresh(self) -> None:
        self.on_disk = local_builds(self.catalog.builds)
        estimates = fit_table(self.profile, self.catalog, self.preferences)
        self.table.setRowCount(len(estimates))
        for row, estimate in enumerate(estimates):
            build = estimate.build
            values = (
                build.label,
                gb(build.download_size),
                gb(estimate.memory_bytes),
                estimate.fit,
                f"{estimate.speed_class} (~{estimate.tokens_per_second:.0f} tok/s)",
                "yes" if build.id in self.on_disk else "",
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, build.id)
                self.table.setItem(row, column, item)
        used = sum(path.stat().st_size for path in Path(models_dir()).rglob("*") if path.is_file())
        self.disk_label.setText(f"Model files use {gb(used)} in {models_dir()}.")
        self._update_buttons()

    def selected_build_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def _update_buttons(self) -> None:
        build_id = self.selected_build_id()
        present = build_id in self.on_disk if build_id else False
        self.use_button.setEnabled(present)
        self.delete_button.setEnabled(present)
        self.download_button.setEnabled(build_id is not None and not present)

    def _use_clicked(self) -> None:
        build_id = self.selected_build_id()
        if build_id in self.on_disk:
            self.useRequested.emit(str(self.on_disk[build_id]))

    def _download_clicked(self) -> None:
        build_id = self.selected_build_id()
        if build_id:
            self.downloadRequested.emit(build_id)

    def delete_build(self, build_id: str) -> bool:
        path = self.on_disk.get(build_id)
        if path is None:
            return False
        path.unlink(missing_ok=True)
        self.refresh()
        self.deleted.emit(str(path))
        return True

    def _delete_clicked(self) -> None:
        build_id = self.selected_build_id()
        if build_id:
            self.delete_build(build_id)
