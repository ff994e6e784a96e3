"""Starting the desktop app: engine, worker thread, database and main window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QLabel, QWidget

import assistant
from assistant.core import settings
from assistant.core.engines.base import Engine
from assistant.core.paths import resource_path
from assistant.core.store import Store
from assistant.ui.main_window import MainWindow
from assistant.ui.theme import apply_theme
from assistant.ui.worker import ModelBridge


def default_engine() -> Engine:
    from assistant.core.engines.llama import LlamaCppEngine

    return LlamaCppEngine(n_gpu_layers=settings.gpu_layers)  # the GPU setting, read at every load


def create_window(store: Store, engine: Engine, model: str | None = None) -> MainWindow:
    """Build the main window around a worker thread and start loading the model."""
    bridge = ModelBridge(engine, idle_unload_seconds=settings.idle_unload_seconds(store))
    window = MainWindow(store, bridge)
    window.add_page("Meetings", lambda: _meetings_page(window))
    window.add_page("Calendar", lambda: _calendar_page(window))
    window.add_page("Models", lambda: _models_page(window))
    path = model or settings.remembered_model(store)
    if path:
        window.open_model(str(Path(path).expanduser()))
    if store.get_setting(settings.SERVER_URL):
        window.connect_server()
    return window


# Pages are built the first time they are shown, so start-up imports only the chat.
def _meetings_page(window: MainWindow) -> QWidget:
    from assistant.ui.meetings_page import MeetingsPage

    return MeetingsPage(window.store, window.bridge)


def _calendar_page(window: MainWindow) -> QWidget:
    from assistant.ui.calendar_page import CalendarPage

    return CalendarPage(window.store)


def _models_page(window: MainWindow) -> QWidget:
    """The Models tab (catalog builds, fit, disk use), or the reason it cannot be shown."""
    from assistant.core.models.catalog import CatalogError, load_catalog
    from assistant.core.models.hardware import probe
    from assistant.ui.models_page import ModelsPage

    try:
        catalog = load_catalog()
    except CatalogError as exc:
        label = QLabel(f"The model catalog could not be read: {exc}")
        label.setWordWrap(True)
        return label
    from assistant.core.models.machine_check import cached

    profile = probe(check_offload=False)
    page = ModelsPage(catalog, profile, settings.context_size(window.store), check=cached(profile))
    page.useRequested.connect(window.open_model)

    def download(build_id: str) -> None:
        wizard = window.open_setup_wizard()
        if wizard is not None:
            wizard.preselect(build_id)
            wizard.finished.connect(lambda _result: page.refresh())

    def forget(path: str) -> None:
        remembered = settings.remembered_model(window.store)
        if remembered and Path(remembered) == Path(path).resolve():
            window.store.set_setting(settings.MODEL_PATH, None)

    page.downloadRequested.connect(download)
    page.deleted.connect(forget)
    page.speechModelReady.connect(lambda folder: window.store.set_setting(settings.SPEECH_MODEL, folder))
    return page


def recover_recordings(window: MainWindow) -> list[str]:
    """Offer recordings an earlier run left unfinished; transcribe and summarize the first one kept."""
    from assistant.core.audio.recordings import find_interrupted_recordings

    if not find_interrupted_recordings():
        return []
    from assistant.ui.recorder import offer_recovery

    paths = [str(path) for path in offer_recovery(window)]
    if paths:
        window.tabs.setCurrentIndex(window.tabs.indexOf(window.meetings_page))
        window.meetings_page.transcribe_audio(paths[0])
    return paths


def first_run(window: MainWindow) -> None:
    """With no model chosen yet, start the setup wizard."""
    if window.model_info is None and window.loading_path is None and not settings.remembered_model(window.store):
        window.open_setup_wizard()


def run_app(model: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Llama Desk")
    app.setDesktopFileName("llama-desk")
    icon = resource_path("icons/llama-desk.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    apply_theme(app)
    store = Store()
    store.recover_interrupted()  # replies cut short when the app last ended are marked partial
    window = create_window(store, default_engine(), model)
    window.show()
    # after the window is up: reading the version loads importlib.metadata
    QTimer.singleShot(0, lambda: app.setApplicationVersion(assistant.__version__))
    if not model:
        QTimer.singleShot(0, lambda: first_run(window))
    QTimer.singleShot(0, lambda: recover_recordings(window))
    code = app.exec()
    calendars = sys.modules.get("assistant.core.calendars")  # only if calendar work ran
    if calendars is not None:
        calendars.close_calendars()
    store.close()
    return code
