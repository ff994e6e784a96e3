"""Transcribing an audio or video file on its own thread (never on the model worker)."""

from __future__ import annotations

from assistant.core.audio.stt import SpeechRecognizer, TranscribeError
from assistant.core.meetings.transcript import format_timestamp
from assistant.ui.jobs import Job


class TranscribeJob(Job):
    """Runs faster-whisper over one file; progress ``(seconds done, total)`` at most once a second
    of audio; ``done((text with timestamps, cancelled), error)``; stop keeps what was heard."""

    def __init__(self, path: str, model: str | None = None, language: str | None = None) -> None:
        super().__init__(name="transcription")
        self.path, self.model, self.language = path, model, language  # language None: detected
        self._last = float("-inf")

    def _heard(self, done: float, total: float) -> None:
        if done - self._last >= 1.0 or done >= total:
            self._last = done
            self.report((done, total), force=True)

    def work(self) -> tuple[str, bool]:
        recognizer = SpeechRecognizer(self.model, language=self.language, beam_size=5)
        result = recognizer.transcribe_file(self.path, progress=self._heard, cancel=self.cancel)
        text = "\n".join(f"[{format_timestamp(s.start)}] {s.text}" for s in result.segments)
        return text, result.cancelled

    def describe_error(self, exc: BaseException) -> str | None:
        return str(exc) if isinstance(exc, TranscribeError) else None
