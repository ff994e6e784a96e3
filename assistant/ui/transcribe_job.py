"""Transcribing an audio or video file on its own thread (never on the model worker)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, Signal

from assistant.core.audio.stt import SpeechRecognizer, TranscribeError
from assistant.core.meetings.transcript import format_timestamp


class TranscribeJob(QThread):
    """Runs faster-whisper over one file; progress in audio seconds; stop keeps what was heard."""

    progressed = Signal(float, float)  # seconds done, total
    done = Signal(str, bool)  # transcript with timestamps, cancelled
    failed = Signal(str)

    def __init__(self, path: str, parent=None, model: str | None = None, language: str | None = None) -> None:
        super().__init__(parent)
        self.path, self.model, self.language = path, model, language  # language None: detected
        self.cancel = threading.Event()
        self._last = 0.0

    def stop(self) -> None:
        self.cancel.set()
        self.wait()

    def _progress(self, done: float, total: float) -> None:
        if done - self._last >= 1.0 or done >= total:
            self._last = done
            self.progressed.emit(done, total)

    def run(self) -> None:
        try:
            result = SpeechRecognizer(self.model, language=self.language, beam_size=5).transcribe_file(self.path, progress=self._progress, cancel=self.cancel)
        except TranscribeError as exc:
            self.failed.emit(str(exc))
            return
        text = "\n".join(f"[{format_timestamp(s.start)}] {s.text}" for s in result.segments)
        self.done.emit(text, result.cancelled)
