"""A meeting recording: its folder on disk, and the thread that fills it from an audio source.

Each recording lives in ``data_dir()/recordings/<id>/``: ``audio.wav`` (16 kHz mono, written
as it arrives by :class:`CrashSafeWavWriter`), ``transcript.jsonl`` (live spans, one JSON line
each, appended as they come) and, while recording, the marker ``IN_PROGRESS`` (JSON with the
process id). A marker left by a process that is gone means the app died mid-recording:
:func:`find_interrupted_recordings` lists those and :func:`recover_recording` repairs them.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.capture import (
    TARGET_RATE,
    AudioSource,
    CaptureError,
    Resampler,
    level_dbfs,
    platform_permission_hint,
)
from assistant.core.paths import data_dir
from assistant.core.wav_writer import (
    CrashSafeWavWriter,
    RepairResult,
    WavError,
    inspect_wav,
    repair_wav,
)

MARKER = "IN_PROGRESS"
AUDIO_FILE = "audio.wav"
TRANSCRIPT_FILE = "transcript.jsonl"
META_FILE = "recording.json"
#: After this long of digital silence (exact zeros), the user is told to check permissions.
SILENCE_HINT_SECONDS = 5.0


def recordings_dir() -> Path:
    path = data_dir() / "recordings"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _process_start(pid: int) -> float | None:
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:  # gone, or not allowed to look: treat as gone
        return None


class Recording:
    """The folder of one meeting recording."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.id = folder.name

    @classmethod
    def create(cls, device: str = "", title: str = "") -> Recording:
        """A new folder with the in-progress marker written (and synced) before any audio."""
        stamp = datetime.now().strftime("%Y-%m-%d_%H%M%S")
        folder = recordings_dir() / f"{stamp}_{secrets.token_hex(3)}"
        folder.mkdir(parents=True)
        recording = cls(folder)
        marker = {
            "pid": os.getpid(),
            "process_started": _process_start(os.getpid()),
            "started": datetime.now().isoformat(timespec="seconds"),
            "device": device,
            "title": title,
        }
        with open(folder / MARKER, "w", encoding="utf-8") as f:
            json.dump(marker, f)
            f.flush()
            os.fsync(f.fileno())
        return recording

    @property
    def audio_path(self) -> Path:
        return self.folder / AUDIO_FILE

    @property
    def transcript_path(self) -> Path:
        return self.folder / TRANSCRIPT_FILE

    @property
    def in_progress(self) -> bool:
        return (self.folder / MARKER).exists()

    def marker(self) -> dict[str, Any]:
        try:
            return json.loads((self.folder / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def append_span(self, span: Any) -> None:
        """Keep a live transcript span on disk (``span`` has start, end, text)."""
        line = json.dumps({"start": round(span.start, 2), "end": round(span.end, 2), "text": span.text})
        with open(self.transcript_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def saved_spans(self) -> list[dict[str, Any]]:
        """The live transcript kept so far (a torn last line after a crash is skipped)."""
        spans = []
        try:
            lines = self.transcript_path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        for line in lines:
            try:
                spans.append(json.loads(line))
            except ValueError:
                continue
        return spans

    def mark_finished(self, seconds: float, note: str = "") -> None:
        meta = {**self.marker(), "seconds": round(seconds, 2), "finished": datetime.now().isoformat(timespec="seconds")}
        if note:
            meta["note"] = note
        (self.folder / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        (self.folder / MARKER).unlink(missing_ok=True)


@dataclass
class InterruptedRecording:
    id: str
    folder: Path
    started: str
    seconds: float  # audio on disk (before repair: an estimate from the file length)

    @property
    def recording(self) -> Recording:
        return Recording(self.folder)


def _owner_alive(marker: dict[str, Any]) -> bool:
    pid = marker.get("pid")
    if not isinstance(pid, int):
        return False
    started = _process_start(pid)
    if started is None:
        return False
    recorded = marker.get("process_started")
    return recorded is None or abs(started - float(recorded)) < 1.0


def find_interrupted_recordings() -> list[InterruptedRecording]:
    """Recordings whose app stopped without finishing them (oldest first)."""
    found = []
    for folder in sorted(recordings_dir().iterdir()):
        recording = Recording(folder)
        if not folder.is_dir() or not recording.in_progress:
            continue
        marker = recording.marker()
        if _owner_alive(marker):
            continue  # still being recorded by a running app
        try:
            seconds = inspect_wav(recording.audio_path).seconds
        except (OSError, WavError):
            seconds = 0.0
        found.append(InterruptedRecording(folder.name, folder, str(marker.get("started", "")), seconds))
    return found


def recover_recording(item: InterruptedRecording | Recording | Path) -> RepairResult | None:
    """Repair the audio of an interrupted recording and mark it finished; None if it held no audio."""
    folder = item if isinstance(item, Path) else item.folder
    recording = Recording(folder)
    try:
        result = repair_wav(recording.audio_path)
    except (OSError, WavError):
        recording.mark_finished(0.0, "recovered after a crash: no audio could be read")
        return None
    recording.mark_finished(result.seconds, "recovered after the app stopped unexpectedly")
    return result


# --- the recorder thread ------------------------------------------------------------------------

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
        self._paused.set()
        if self._writer:
            self._writer.flush()

    def resume(self) -> None:
        self._paused.clear()

    def _run(self) -> None:
        assert self._writer is not None
        resampler = Resampler(self.source.samplerate)
        try:
            while not self._stopping.is_set():
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

