"""The recorder thread: reads an audio source into a recording's folder and to live listeners.

The folders themselves (marker, interrupted recordings, repair) are in
:mod:`assistant.core.audio.recordings`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.core.audio.capture import (
    TARGET_RATE,
    AudioSource,
    CaptureError,
    Resampler,
    level_dbfs,
    platform_permission_hint,
)
from assistant.core.audio.recordings import Recording
from assistant.core.audio.wav import CrashSafeWavWriter, WavError

#: After this long of digital silence (exact zeros), the user is told to check permissions.
SILENCE_HINT_SECONDS = 5.0


AudioListener = Callable[[np.ndarray, float], None]  # 16 kHz mono samples, their start in seconds


@dataclass
class RecorderStatus:
    elapsed: float  # seconds of audio recorded (pauses excluded)
    level_dbfs: float
    paused: bool


@dataclass
class RecordingResult:
    recording: Recording
    seconds: float
    error: str = ""  # why recording ended early (the audio so far is kept)


class Recorder:
    """Reads a source on its own thread: 16 kHz mono to the WAV file and to listeners.

    ``pause``/``resume`` drop input in between (the stream stays open, so resuming is instant);
    ``stop`` closes everything and returns the result. Errors (device lost) end the recording,
    keep the audio, and are reported through ``on_error`` and :attr:`error`.
    """

    def __init__(
        self,
        source: AudioSource,
        recording: Recording | None = None,
        *,
        listeners: list[AudioListener] | None = None,
        on_status: Callable[[RecorderStatus], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        header_interval: float = 2.0,
    ) -> None:
        self.source = source
        self.recording = recording or Recording.create(device=getattr(source, "name", ""))
        self.listeners = list(listeners or [])
        self.on_status = on_status
        self.on_error = on_error
        self.on_notice = on_notice
        self.header_interval = header_interval
        self.error = ""
        self.level = -100.0
        self._writer: CrashSafeWavWriter | None = None
        self._paused = threading.Event()
        self._stopping = threading.Event()
        self._sync_wanted = threading.Event()  # set by pause(): the writing thread updates the header
        self._thread: threading.Thread | None = None
        self._silent_seconds = 0.0
        self._hinted = False

    @property
    def elapsed(self) -> float:
        return self._writer.seconds if self._writer else 0.0

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Open the source and the file; raises CaptureError (the folder is then marked finished)."""
        try:
            self.source.start()
        except CaptureError as exc:
            self.recording.mark_finished(0.0, str(exc))
            raise
        try:
            self._writer = CrashSafeWavWriter(self.recording.audio_path, TARGET_RATE, 1, header_interval=self.header_interval)
        except WavError as exc:
            self.source.close()
            self.recording.mark_finished(0.0, str(exc))
            raise CaptureError(str(exc)) from exc
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Drop input from now on; the recording thread brings the file's header up to date."""
        self._paused.set()
        self._sync_wanted.set()
        if not self.running and self._writer:
            self._writer.flush()

    def resume(self) -> None:
        self._paused.clear()

    def _run(self) -> None:
        assert self._writer is not None
        resampler = Resampler(self.source.samplerate)
        try:
            while not self._stopping.is_set():
                if self._sync_wanted.is_set():
                    self._sync_wanted.clear()
                    self._writer.flush()
                block = self.source.read(0.2)
                if block is None or self._paused.is_set():
                    continue
                self._take(resampler.process(block))
            self._take(resampler.flush())
        except CaptureError as exc:
            self.error = str(exc)
        except Exception as exc:  # keep the audio whatever went wrong
            self.error = f"Recording stopped: {exc}. The audio so far is saved."
        finally:
            self.source.close()
            self._writer.close()
        if self.error and self.on_error:
            self.on_error(self.error)

    def _take(self, samples: np.ndarray) -> None:
        if samples.size == 0:
            return
        assert self._writer is not None
        start = self._writer.seconds
        self._writer.write(samples)
        self.level = level_dbfs(samples)
        self._check_silence(samples)
        for listener in self.listeners:
            listener(samples, start)
        if self.on_status:
            self.on_status(RecorderStatus(self._writer.seconds, self.level, self.paused))

    def _check_silence(self, samples: np.ndarray) -> None:
        if np.any(samples):
            self._silent_seconds = 0.0
            return
        self._silent_seconds += len(samples) / TARGET_RATE
        if self._silent_seconds >= SILENCE_HINT_SECONDS and not self._hinted:
            self._hinted = True
            if self.on_notice:
                self.on_notice("The microphone sends only silence. " + platform_permission_hint())

    def stop(self, timeout: float = 10.0) -> RecordingResult:
        """Stop, close the file, clear the in-progress marker."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        seconds = self.elapsed
        self.recording.mark_finished(seconds, self.error)
        return RecordingResult(self.recording, seconds, self.error)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end by itself (device lost, source exhausted); True if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

