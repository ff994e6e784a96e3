"""The "Benchmark this machine" dialog: a short run of the loaded model, with a progress bar.

The benchmark runs on the model worker's thread as a task of its own request
(:class:`~assistant.ui.chat.requests.RequestRouter`), so the window stays responsive and
the dialog hears only from its own run; closing the dialog or pressing Stop ends it
within a token.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core.models.benchmark import BenchmarkResult, benchmark_task
from assistant.ui.chat.requests import ModelRequest, RequestRouter
from assistant.ui.worker import ModelBridge

INTRO = (
    "Measures how fast the loaded model reads a prompt and writes a reply on this computer, "
    "and how much memory it uses. It takes under a minute; the chat waits meanwhile."
)


class BenchmarkDialog(QDialog):
    """Runs :func:`assistant.core.models.benchmark.run_benchmark` on the bridge's engine and shows the result."""

    #: Emitted with the result when a run completes (for callers that keep it).
    completed = Signal(object)

    def __init__(self, bridge: ModelBridge, parent: QWidget | None = None, *, prompt_tokens: int = 256, decode_tokens: int = 64) -> None:
        super().__init__(parent)
        self.setWindowTitle("Benchmark this machine")
        self.bridge = bridge
        self.prompt_tokens = prompt_tokens
        self.decode_tokens = decode_tokens
        self.router = RequestRouter(bridge)
        self.request: ModelRequest | None = None
        self.result: BenchmarkResult | None = None

        self.intro = QLabel(INTRO)
        self.intro.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.stop_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    @property
    def running(self) -> bool:
        return self.request is not None

    @Slot()
    def start(self) -> None:
        if self.running:
            return
        if not self.bridge.engine.loaded:
            self.status.setText("No model is loaded yet. Open a model first, then run the benchmark.")
            return
        self.result = None
        self.progress.setValue(0)
        self.status.setText("Running… the prompt is read first, then the reply is written.")
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        request = self.request = self.router.run_task(benchmark_task(self.prompt_tokens, self.decode_tokens))
        request.progress.connect(self._on_progress)
        request.answered.connect(self._on_finished)
        request.failed.connect(self._on_failed)

    @Slot()
    def stop(self) -> None:
        if self.request is not None:
            self.request.stop()
            self.status.setText("Stopping…")

    @Slot(object)
    def _on_progress(self, value: Any) -> None:
        if isinstance(value, (int, float)):
            self.progress.setValue(int(max(0.0, min(1.0, float(value))) * 100))

    @Slot(object)
    def _on_finished(self, result: Any) -> None:
        self._idle()
        self.result = result
        self.progress.setValue(100)
        self.status.setText("\n".join(result.summary_lines()))
        self.completed.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._idle()
        self.progress.setValue(0)
        self.status.setText(f"The benchmark could not run: {message}")

    def _idle(self) -> None:
        self.request = None
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def done(self, code: int) -> None:
        """Closing the dialog stops a run that is still going."""
        self.stop()
        super().done(code)
