"""The models a conversation can be answered by: the one on this computer and the team server.

Each runs on its own :class:`ModelBridge`; :class:`Engines` keeps what is loaded on each,
says why one cannot answer now (:meth:`Engines.problem`), and tells the window when that changes.
A failed load never leaves an old model shown as ready: the engine may have unloaded it
before the new file failed, so the state is read back from the engine.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from assistant.core import settings
from assistant.core.engines.base import LoadInfo
from assistant.core.store import Store
from assistant.ui.chat.requests import RequestRouter
from assistant.ui.worker import ModelBridge

LOCAL, REMOTE = "local", "remote"
NO_MODEL = "No model is loaded yet. Choose File → Open model file… or File → Get a Llama 3.2 model…"


class Engines(QObject):
    changed = Signal()
    loadFailed = Signal(str, str)  # path, message
    serverUnusable = Signal(str)  # message

    def __init__(self, store: Store, bridge: ModelBridge) -> None:
        super().__init__()
        self.store, self.bridge = store, bridge
        self.router = RequestRouter(bridge)
        self.model_info: LoadInfo | None = None  # the model on this computer, when one is loaded
        self.loading_path: str | None = None
        self.load_error = ""  # why the last load failed ("" once a model loads)
        self.remote_bridge: ModelBridge | None = None  # the team server, when one is set up
        self.remote_router: RequestRouter | None = None
        self.remote_info: LoadInfo | None = None
        self.remote_error = ""
        bridge.worker.loadStarted.connect(self._on_load_started)
        bridge.worker.loaded.connect(self._on_loaded)
        bridge.worker.loadFailed.connect(self._on_load_failed)

    # -- the model on this computer -------------------------------------------------------
    def open_model(self, path: str) -> None:
        """Load a model file on the worker; the choice is remembered once it loads."""
        self.bridge.load(path, settings.context_size(self.store))

    def _on_load_started(self, path: str) -> None:
        self.loading_path = path
        self.changed.emit()

    def _on_loaded(self, info: LoadInfo) -> None:
        self.loading_path, self.model_info, self.load_error = None, info, ""
        settings.remember_model(info.path, self.store)
        self.changed.emit()

    def _on_load_failed(self, path: str, message: str) -> None:
        self.loading_path = None
        still = self.bridge.engine.info  # the worker is done with this load: what is loaded now
        if still is None or self.model_info is None or still.path != self.model_info.path:
            self.model_info = still
        self.load_error = f"{Path(path).name} could not be opened"
        self.changed.emit()
        self.loadFailed.emit(path, message)

    # -- the team server ------------------------------------------------------------------
    def connect_server(self) -> bool:
        """(Re)connect to the team server in the settings; the local model stays loaded."""
        from assistant.core.engines.remote import RemoteEngine, RemoteEngineError

        if self.remote_bridge is not None:
            self.remote_bridge.shutdown()
            self.remote_bridge = self.remote_router = self.remote_info = None
        url = self.store.get_setting(settings.SERVER_URL)
        if not url:
            self.changed.emit()
            return False
        model = self.store.get_setting(settings.SERVER_MODEL) or ""
        try:
            engine = RemoteEngine(url, model or None)
        except RemoteEngineError as exc:
            self.remote_error = str(exc)
            self.serverUnusable.emit(str(exc))
            return False
        bridge = ModelBridge(engine)
        bridge.worker.loaded.connect(self._on_remote_loaded)
        bridge.worker.loadFailed.connect(self._on_remote_load_failed)
        self.remote_bridge, self.remote_router = bridge, RequestRouter(bridge)
        bridge.load(model, settings.context_size(self.store))
        self.changed.emit()
        return True

    def _on_remote_loaded(self, info: LoadInfo) -> None:
        self.remote_info, self.remote_error = info, ""
        self.changed.emit()

    def _on_remote_load_failed(self, _path: str, message: str) -> None:
        self.remote_info, self.remote_error = None, message
        self.changed.emit()

    # -- questions ---------------------------------------------------------------------------
    def router_for(self, kind: str) -> RequestRouter:
        return self.remote_router if kind == REMOTE and self.remote_router is not None else self.router

    def info_for(self, kind: str) -> LoadInfo | None:
        return self.remote_info if kind == REMOTE else self.model_info

    def problem(self, kind: str) -> str | None:
        """Why ``kind`` cannot answer now (None: it can)."""
        if kind == REMOTE:
            if self.remote_info is not None:
                return None
            return "The team server is not connected: " + (self.remote_error or "connecting…")
        if self.loading_path is not None:
            return f"Loading {Path(self.loading_path).name}…"
        if self.model_info is None:
            if self.load_error:
                return f"No model is loaded: {self.load_error}. Choose File → Open model file… to pick another."
            return NO_MODEL
        return None

    def describe(self, kind: str) -> tuple[str, str]:
        """The status bar's model line and its tooltip."""
        if kind == REMOTE:
            if self.remote_info is not None:
                return f"{self.remote_info.model_name}  ·  team server", self.remote_info.path
            return "Team server: " + (self.remote_error or "connecting…"), ""
        if self.loading_path is not None:
            return f"Loading {Path(self.loading_path).name}…", self.loading_path
        info = self.model_info
        if info is None:
            return ("No model loaded (load failed)" if self.load_error else "No model"), self.load_error
        threads = info.n_threads
        return f"{info.model_name}  ·  {info.where()}  ·  {threads} thread{'s' if threads != 1 else ''}", info.path

    def shutdown(self) -> None:
        self.bridge.shutdown()
        if self.remote_bridge is not None:
            self.remote_bridge.shutdown()
