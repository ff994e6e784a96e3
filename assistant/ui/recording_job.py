"""A recording as a background job (:class:`~assistant.ui.jobs.Job`): open the sources and the
speech model, record until stopped, close the files.

The job's thread opens the device and loads the speech model (so the window never freezes),
then reports the level and the time (``progressed`` with a :class:`Level`) until it is
stopped (``stop``, the job's cancel) or a source fails. The audio itself is written by the
core's recorder threads; ``pause``/``resume`` only set their flags, and the header syncs
happen on the thread that writes. However the job ends, the recorder is stopped and the
file closed first, so the audio already written is kept; ``done`` then carries a
:class:`Saved` or, for an error nobody expected, the message (``recording`` still names the
folder). Being a job, it is in the registry the window waits on at close.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal

from assistant.core.audio.capture import CaptureError
from assistant.core.audio.live_stt import LiveStatus
from assistant.core.audio.recordings import Recording
from assistant.core.audio.sources import MIC, MultiRecorder, roles, track_paths
from assistant.core.audio.speakers import LiveTranscripts
from assistant.core.audio.stt import SpeechRecognizer, TranscribeError
from assistant.core.meetings.transcript import Segment
from assistant.ui.jobs import Job

#: How often the level and the time reach the panel (seconds).
LEVEL_INTERVAL = 0.1


@dataclass(frozen=True)
class Level:
    """Progress of a recording: seconds recorded (pauses excluded) and the input level in dBFS."""

    elapsed: float
    dbfs: float


@dataclass(frozen=True)
class Saved:
    """A closed recording: its main audio file, its length, and why it ended early ("" when stopped)."""

    audio_path: str
    seconds: float
    error: str = ""


class RecordingJob(Job):
    """One recording from start to saved file; ``stop`` ends it and ``done`` follows once the files are closed."""

    opened = Signal(str)  # recording folder: audio is being written
    notice = Signal(str)
    span = Signal(object)  # Segment, already appended to the recording's transcript on disk
    behind = Signal(bool, str)
    interrupted = Signal(str)  # a source failed (device lost): the recording ends, the audio is kept

    def __init__(
        self,
        device: Any,
        stt_model: Any = None,
        choice: str = MIC,
        language: str | None = None,
        *,
        source_factory: Callable[[Any], Any],
        system_factory: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(name="recording", progress_interval=LEVEL_INTERVAL)
        self.device, self.stt_model, self.choice, self.language = device, stt_model, choice, language
        self.source_factory = source_factory
        self.system_factory = system_factory
        self.recording: Recording | None = None  # set once the folder exists, even if the job fails later
        self.transcribing = False  # a live transcript comes with the audio
        self._recorder: MultiRecorder | None = None
        self._recorder_lock = threading.Lock()  # pause/resume never reach a recorder that is being stopped
        self._source_failed = threading.Event()
        self._opened = False  # audio was being written when the work ended

    # -- used by the panel (GUI thread) ----------------------------------------------------
    @property
    def recorder(self) -> MultiRecorder | None:
        """The running recorder (None before it opened and once it is stopping)."""
        return self._recorder

    def pause(self) -> bool:
        """Drop input until :meth:`resume`; False when nothing is recording (any more)."""
        return self._to_recorder(MultiRecorder.pause)

    def resume(self) -> bool:
        return self._to_recorder(MultiRecorder.resume)

    def _to_recorder(self, action: Callable[[MultiRecorder], None]) -> bool:
        with self._recorder_lock:
            if self._recorder is None:
                return False
            action(self._recorder)
            return True

    # -- on the job's thread ---------------------------------------------------------------------
    def describe_error(self, exc: BaseException) -> str | None:
        if isinstance(exc, CaptureError):
            return str(exc)
        if self._opened or not isinstance(exc, Exception):
            return None  # the catch-all's message, with the traceback in the log
        traceback.print_exc()
        return f"Recording could not start: {exc}"

    def work(self) -> Saved:
        sources = self._open_sources()
        recognizer = self._recognizer()
        recording = self.recording = Recording.create(device=" + ".join(getattr(s, "name", "") for s in sources.values()))

        def on_text(span: Segment) -> None:
            recording.append_span(span)  # on disk first: a crash keeps the transcript too
            self.span.emit(span)

        live = None
        if recognizer is not None:  # with both: "You" and "Others", the microphone's echo of the call dropped
            live = LiveTranscripts(
                recognizer, sources, on_text, on_status=self._status, audio_files=track_paths(recording, sources)
            )
        recorder = MultiRecorder(
            sources, recording, listeners=live.listeners if live else {}, on_error=self._on_source_error,
            on_notice=self.notice.emit,
        )
        recorder.start()  # CaptureError: nothing records (the folder is marked finished)
        try:
            if live is not None:
                live.start()
                self.transcribing = True
            with self._recorder_lock:
                self._recorder = recorder
            self._opened = True
            self.opened.emit(str(recording.folder))
            while not self.cancel.wait(LEVEL_INTERVAL) and not self._source_failed.is_set():
                self.report(Level(recorder.elapsed, recorder.level))
        finally:  # whatever happened: close the files first, so the audio written so far is kept
            with self._recorder_lock:
                self._recorder = None
            try:
                result = recorder.stop()
            finally:
                if live is not None:
                    live.finish()
        return Saved(str(recording.audio_path), result.seconds, result.error)

    def _open_sources(self) -> dict[str, Any]:
        from assistant.core.audio.system_sound import open_system_source

        system_factory = self.system_factory or open_system_source
        return {
            role: self.source_factory(self.device) if role == MIC else system_factory(None) for role in roles(self.choice)
        }

    def _recognizer(self) -> SpeechRecognizer | None:
        if not self.stt_model:
            return None
        try:
            return SpeechRecognizer(self.stt_model, language=self.language)  # None: detected
        except TranscribeError as exc:
            self.notice.emit(f"{exc} Recording without a live transcript.")
            return None

    def _status(self, status: LiveStatus) -> None:
        self.behind.emit(status.behind, status.message)

    def _on_source_error(self, message: str) -> None:  # on a recorder thread, after its file is closed
        self.interrupted.emit(message)
        self._source_failed.set()
