"""The setup wizard's last step: load the downloaded model and measure how fast it writes here.

The check runs on the app's model worker (which then keeps the model loaded) and writes for a
few seconds (:func:`assistant.ui.setup_workers.speed_check`). The page reports the measured
speed with ``measured``; the wizard judges it (slow? predicted wrong?) and says so with
:meth:`SpeedCheckPage.show_result`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from assistant.core.engines.base import LoadInfo
from assistant.ui.chat.requests import ModelRequest, RequestRouter
from assistant.ui.setup_workers import SPEED_CHECK_SECONDS, speed_check
from assistant.ui.worker import ModelBridge


class SpeedCheckPage(QWidget):
    """Loading, then measuring; "Start chatting" once there is a result (or the check failed)."""

    measured = Signal(float)  # tokens per second

    def __init__(self, bridge: ModelBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.model_path: str | None = None  # the model being loaded for the check
        self.seconds = SPEED_CHECK_SECONDS
        self.router = RequestRouter(bridge)  # the check hears from its own request only
        self.request: ModelRequest | None = None
        self._loading = False  # the check waits for this model to load
        column = QVBoxLayout(self)
        column.addWidget(QLabel("<b>Checking the speed on this computer</b>"))
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        column.addWidget(self.bar)
        self.label = QLabel()
        self.label.setWordWrap(True)
        column.addWidget(self.label)
        column.addStretch(1)
        buttons = QHBoxLayout()
        self.smaller_button = QPushButton("Use the smaller build")
        self.smaller_button.setVisible(False)
        buttons.addWidget(self.smaller_button)
        buttons.addStretch(1)
        self.done_button = QPushButton("Start chatting")
        self.done_button.setEnabled(False)
        buttons.addWidget(self.done_button)
        column.addLayout(buttons)
        self._connections = (
            (bridge.worker.loaded, self._on_model_loaded),
            (bridge.worker.loadFailed, self._on_model_load_failed),
        )
        for signal, slot in self._connections:
            signal.connect(slot)

    def start(self, path: str, n_ctx: int, seconds: float) -> None:
        """Load the model at ``path``; the check starts when it is loaded."""
        self.model_path, self.seconds, self._loading = path, seconds, True
        self.label.setText("Loading the model…")
        self.bridge.load(path, n_ctx)

    def show_result(self, text: str, smaller_label: str = "") -> None:
        """The wizard's verdict; ``smaller_label`` offers a smaller build instead."""
        self.label.setText(text)
        if smaller_label:
            self.smaller_button.setText(f"Download {smaller_label} instead")
            self.smaller_button.setVisible(True)
        self.done_button.setEnabled(True)

    def restart(self) -> None:
        """Another build is downloaded for the check: nothing can be finished until it is measured."""
        self._loading = False
        self.smaller_button.setVisible(False)
        self.done_button.setEnabled(False)

    def stop(self) -> None:
        """The wizard closes: stop a running check and stop listening to the worker."""
        if self.request is not None:
            self.request.stop()
            self.request.answered.disconnect(self._on_speed_measured)  # a late answer finds the wizard closed
            self.request.failed.disconnect(self._on_speed_failed)
        for signal, slot in self._connections:
            signal.disconnect(slot)

    def _on_model_loaded(self, info: LoadInfo) -> None:
        if not self._loading or info.path != self.model_path:
            return
        self._loading = False
        self.label.setText(f"Writing for {self.seconds:.0f} seconds to measure the speed…")
        seconds = self.seconds
        self.request = self.router.run_task(lambda engine, stop, progress: speed_check(engine, stop, progress, seconds))
        self.request.answered.connect(self._on_speed_measured)
        self.request.failed.connect(self._on_speed_failed)

    def _on_model_load_failed(self, path: str, message: str) -> None:
        if self._loading and path == self.model_path:
            self._loading = False
            self.label.setText(f"<span style='color:#c5221f'>The model could not be loaded: {message}</span>")
            self.bar.setRange(0, 1)

    def _on_speed_failed(self, message: str) -> None:
        self.label.setText(f"The speed check failed: {message}. You can still start chatting.")
        self.bar.setRange(0, 1)
        self.done_button.setEnabled(True)

    def _on_speed_measured(self, speed: float) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.measured.emit(float(speed))
