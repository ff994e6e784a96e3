"""Settings: the team server (OpenAI-compatible), the context size, performance, and the send key."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assistant.core import settings
from assistant.core.store import Store
from assistant.ui.jobs import Job


class ConnectionCheck(Job):
    """Asks the server for its models on a thread of its own (it may be slow or unreachable).

    ``done((ok, message, models), error)``."""

    def __init__(self, url: str, model: str, key: str) -> None:
        super().__init__(name="connection check")
        self.url, self.model, self.key = url, model, key

    def work(self) -> tuple[bool, str, list[str]]:
        from assistant.core.engines.remote import RemoteEngine

        engine = RemoteEngine(self.url, self.model or None, self.key or None)
        try:
            status = engine.test_connection()
        finally:
            engine.close()
        return status.ok, status.message, list(status.models)

    def describe_error(self, exc: BaseException) -> str | None:
        from assistant.core.engines.remote import RemoteEngineError

        return str(exc) if isinstance(exc, RemoteEngineError) else None


SEND_KEY_OPTIONS = (
    ("Enter (Shift+Enter for a new line)", "enter"),
    ("Ctrl+Enter (Enter for a new line)", "ctrl+enter"),
)

GPU_OPTIONS = (
    ("Automatic (all layers when possible)", "auto"),
    ("All layers on the GPU", "all"),
    ("None: processor only", "none"),
    ("This many layers on the GPU:", "layers"),
)


def gpu_note() -> str:
    """Whether the installed llama.cpp can use a GPU at all (asked without loading a model)."""
    from assistant.core.models.hardware import llama_supports_gpu_offload

    supported = llama_supports_gpu_offload()
    if supported:
        return "This build of llama.cpp can use the graphics card. Changes apply the next time a model is loaded."
    return "This build of llama.cpp runs on the processor only; the setting applies to GPU builds."


class SettingsDialog(QDialog):
    """Edits settings in the store; the API key goes to the system keyring only."""

    benchmarkRequested = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Settings")
        self.check: ConnectionCheck | None = None
        layout = QVBoxLayout(self)

        server = QGroupBox("Team server (optional)")
        form = QFormLayout(server)
        self.url_edit = QLineEdit(store.get_setting(settings.SERVER_URL, "") or "")
        self.url_edit.setPlaceholderText("https://llm.example.com/v1  or  http://127.0.0.1:8080/v1")
        form.addRow("Address", self.url_edit)
        self.model_box = QComboBox()
        self.model_box.setEditable(True)
        self.model_box.setCurrentText(store.get_setting(settings.SERVER_MODEL, "") or "")
        form.addRow("Model", self.model_box)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("leave empty to keep the saved key, or if the server needs none")
        form.addRow("API key", self.key_edit)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        form.addRow(self.test_button)
        self.server_status = QLabel("Conversations can use this server instead of the model on this computer.")
        self.server_status.setWordWrap(True)
        form.addRow(self.server_status)
        layout.addWidget(server)

        local = QGroupBox("This computer")
        local_form = QFormLayout(local)
        self.context_box = QSpinBox()
        self.context_box.setRange(1024, 131072)
        self.context_box.setSingleStep(1024)
        self.context_box.setValue(settings.context_size(store))
        self.context_box.setSuffix(" tokens")
        local_form.addRow("Context size", self.context_box)
        self.gpu_box = QComboBox()
        for label, value in GPU_OPTIONS:
            self.gpu_box.addItem(label, value)
        self.gpu_layers_box = QSpinBox()
        self.gpu_layers_box.setRange(1, 200)
        self.gpu_layers_box.setSuffix(" layers")
        self.set_gpu_choice(store.get_setting(settings.GPU_LAYERS))
        self.gpu_box.currentIndexChanged.connect(lambda _index: self.gpu_layers_box.setEnabled(self.gpu_box.currentData() == "layers"))
        gpu_row = QHBoxLayout()
        gpu_row.addWidget(self.gpu_box, 1)
        gpu_row.addWidget(self.gpu_layers_box)
        local_form.addRow("Graphics card", gpu_row)
        self.gpu_note = QLabel(gpu_note())
        self.gpu_note.setWordWrap(True)
        local_form.addRow(self.gpu_note)
        self.send_key_box = QComboBox()
        for label, value in SEND_KEY_OPTIONS:
            self.send_key_box.addItem(label, value)
        self.send_key_box.setCurrentIndex(max(0, self.send_key_box.findData(store.get_setting(settings.SEND_KEY))))
        local_form.addRow("Send messages with", self.send_key_box)
        self.idle_unload_box = QSpinBox()
        self.idle_unload_box.setRange(0, 24 * 60)
        self.idle_unload_box.setSpecialValueText("Never")  # 0: the model stays loaded
        self.idle_unload_box.setSuffix(" minutes idle")
        self.idle_unload_box.setValue(int(store.get_setting(settings.IDLE_UNLOAD_MINUTES) or 0))
        self.idle_unload_box.setToolTip("Free the model's memory after this long without use; it loads again with the next request.")
        local_form.addRow("Unload the model after", self.idle_unload_box)
        self.bench_button = QPushButton("Benchmark this machine…")
        self.bench_button.clicked.connect(self.benchmarkRequested)
        local_form.addRow("Performance", self.bench_button)
        layout.addWidget(local)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def test_connection(self) -> None:
        url = self.url_edit.text().strip()
        if not url:
            self.server_status.setText("Enter the server's address first.")
            return
        self.test_button.setEnabled(False)
        self.server_status.setText("Connecting…")
        check = ConnectionCheck(url, self.model_box.currentText().strip(), self.key_edit.text().strip())
        check.done.connect(lambda result, error: self._on_check_done(check, result, error))
        self.check = check.start()

    def _on_check_done(self, check: ConnectionCheck, result: tuple[bool, str, list[str]] | None, error: str) -> None:
        if check is not self.check:
            return  # the dialog was closed meanwhile
        self.check = None
        self._on_checked(*(result or (False, error, [])))

    def _on_checked(self, ok: bool, message: str, models: list) -> None:
        self.test_button.setEnabled(True)
        color = "#188038" if ok else "#c5221f"
        self.server_status.setText(f"<span style='color:{color}'>{message}</span>")
        if models:
            current = self.model_box.currentText()
            self.model_box.clear()
            self.model_box.addItems(models)
            self.model_box.setCurrentText(current if current in models else models[0])

    def save(self) -> None:
        """Store the settings; a new API key goes to the keyring (nothing is saved if that fails)."""
        url = self.url_edit.text().strip()
        key = self.key_edit.text().strip()
        if url and key:
            from assistant.core.engines.remote import RemoteEngineError, store_api_key

            try:
                store_api_key(url, key)
            except RemoteEngineError as exc:
                self.server_status.setText(f"<span style='color:#c5221f'>{exc}</span>")
                return
        self.store.set_setting(settings.SERVER_URL, url or None)
        self.store.set_setting(settings.SERVER_MODEL, self.model_box.currentText().strip() or None)
        self.store.set_setting(settings.CONTEXT_SIZE, self.context_box.value())
        self.store.set_setting(settings.GPU_LAYERS, self.gpu_choice())
        self.store.set_setting(settings.SEND_KEY, self.send_key_box.currentData())
        self.store.set_setting(settings.IDLE_UNLOAD_MINUTES, self.idle_unload_box.value())
        self.accept()

    def set_gpu_choice(self, value: object) -> None:
        layers = settings.parse_gpu_layers(value)
        key = "auto" if layers is None else "all" if layers < 0 else "none" if layers == 0 else "layers"
        self.gpu_box.setCurrentIndex(self.gpu_box.findData(key))
        if layers and layers > 0:
            self.gpu_layers_box.setValue(layers)
        self.gpu_layers_box.setEnabled(key == "layers")

    def gpu_choice(self) -> str:
        """The GPU setting as stored: auto, all, none, or a number of layers."""
        key = self.gpu_box.currentData()
        return str(self.gpu_layers_box.value()) if key == "layers" else key

    def done(self, result: int) -> None:
        if self.check is not None:  # at most the server's timeout; its answer is no longer wanted
            self.check.wait()
            self.check = None
        super().done(result)
