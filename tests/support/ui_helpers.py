"""Building the real main window around any engine, for pytest-qt tests."""

from __future__ import annotations

from assistant.core.engines.base import Engine
from assistant.core.store import Store
from assistant.ui.app import create_window
from assistant.ui.main_window import MainWindow


def open_window(qtbot, engine: Engine, model: str | None = None, store: Store | None = None) -> MainWindow:
    """Show a window; wait for the model to load when one is given."""
    store = store or Store()
    window = create_window(store, engine, model)
    qtbot.addWidget(window)
    window.show()
    if model:
        qtbot.waitUntil(lambda: window.model_info is not None or window.error_box is not None, timeout=60_000)
    return window


def send_and_wait(qtbot, window: MainWindow, text: str, timeout: int = 60_000) -> None:
    assert window.send(text)
    qtbot.waitUntil(lambda: window.request is None and window.tool_job is None, timeout=timeout)
    qtbot.wait(10)  # Qt shows a widget added to a visible parent (a tool card) with a queued call: let it run


def close_window(window: MainWindow) -> None:
    window.close()
    assert not window.bridge.thread.isRunning()
