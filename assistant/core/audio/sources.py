"""What a recording listens to: my microphone, this computer's sound, or both at once.

With both, each source is its own :class:`~assistant.core.audio.recorder.Recorder` writing its own
crash-safe WAV file (a *track*) in one recording folder: ``audio.wav`` the microphone,
``system.wav`` this computer's sound. Two files rather than two channels of one: each keeps the
writer's ≤ 2 s header interval on its own (no interleaving of two clocks that drift), a lost
device ends only its track, and recovery repairs each file the same way. The tracks share one
clock: a source that starts later is preceded by silence (:class:`AlignedSource`), so the same
second in both files is the same moment of the meeting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.audio.capture import AudioSource, CaptureError, MicrophoneSource
from assistant.core.audio.recorder import AudioListener, Recorder
from assistant.core.audio.recordings import Recording

MIC, SYSTEM, BOTH = "mic", "system", "both"
#: The choice the user sees, by its short name (also the CLI's ``--source``).
SOURCE_CHOICES = {MIC: "My microphone", SYSTEM: "This computer's sound", BOTH: "Both"}


def roles(choice: str) -> list[str]:
    """The sources a choice records, microphone first."""
    if choice not in SOURCE_CHOICES:
        raise ValueError(f"Unknown source '{choice}': use {', '.join(SOURCE_CHOICES)}.")
    return [MIC, SYSTEM] if choice == BOTH else [choice]


def open_sources(choice: str, mic_device: Any = None, system_device: Any = None) -> dict[str, AudioSource]:
    """Sources (not started) for a choice, by role; raises CaptureError with what to do."""
    from assistant.core.audio.system_sound import open_system_source

    sources: dict[str, AudioSource] = {}
    for role in roles(choice):
        sources[role] = MicrophoneSource(mic_device) if role == MIC else open_system_source(system_device)
    return sources


#: A source with ``fills_gaps`` that sends nothing for this long is given silence for the time.
GAP_SECONDS = 0.5


def track_paths(recording: Recording, sources: Iterable[str]) -> dict[str, Path]:
    """Each source's file in a recording folder: the first (the microphone, or the only source)
    ``audio.wav``, this computer's sound beside it ``system.wav``."""
    return {role: recording.audio_path if i == 0 else recording.system_audio_path for i, role in enumerate(sources)}


class AlignedSource:
    """A source that starts with silence for as long as it started after ``t0`` (monotonic).

    For a source that sends nothing while nothing plays (``fills_gaps``: WASAPI loopback), pauses
    of more than :data:`GAP_SECONDS` become silence, so its file keeps the meeting's clock.
    """

    def __init__(self, source: AudioSource, t0: float) -> None:
        self.source = source
        self.t0 = t0
        self._lead: float | None = None  # silence put first, once the first block is read
        self._opened = t0
        self._fills_gaps = bool(getattr(source, "fills_gaps", False))
        self._covered = t0  # monotonic time up to which audio (or filled silence) was given

    @property
    def samplerate(self) -> int:
        return self.source.samplerate

    @property
    def channels(self) -> int:
        return self.source.channels

    @property
    def name(self) -> str:
        return self.source.name

    def start(self) -> None:
        self.source.start()
        self._opened = time.monotonic()

    def read(self, timeout: float) -> np.ndarray | None:
        block = self.source.read(timeout)
        now = time.monotonic()
        if block is None:
            gap = now - self._covered
            if not self._fills_gaps or self._lead is None or gap < GAP_SECONDS:
                return None
            self._covered = now
            return np.zeros((int(gap * self.samplerate), max(1, self.channels)), np.float32)
        self._covered = now
        if self._lead is None:
            # when its first sample was captured (sources that know it say so), else when it opened
            began = getattr(self.source, "started_at", None) or self._opened
            self._lead = max(0.0, began - self.t0)
            silence = np.zeros((int(self._lead * self.samplerate), block.shape[1] if block.ndim == 2 else 1), np.float32)
            block = np.concatenate([silence, block.reshape(len(block), -1)])
        return block

    def close(self) -> None:
        self.source.close()


class Track(Recording):
    """One source's file inside a recording folder; the folder is finished by :class:`MultiRecorder`."""

    def __init__(self, folder: Path, path: Path) -> None:
        super().__init__(folder)
        self._path = path
        self.seconds = 0.0
        self.note = ""

    @property
    def audio_path(self) -> Path:
        return self._path

    def mark_finished(self, seconds: float, note: str = "") -> None:
        self.seconds, self.note = seconds, note


@dataclass
class MultiResult:
    recording: Recording | None
    paths: dict[str, Path]  # role -> WAV file
    seconds: float
    error: str = ""


class MultiRecorder:
    """Records one or two sources at once, each to its own track, on one clock.

    ``listeners`` per role get 16 kHz mono samples as they are written (for live transcription).
    ``paths`` (role -> file) records outside the app's recordings folder (the command line);
    otherwise a :class:`Recording` folder is made (its in-progress marker covers every track).
    """

    def __init__(
        self,
        sources: dict[str, AudioSource],
        recording: Recording | None = None,
        *,
        paths: dict[str, Path] | None = None,
        listeners: dict[str, list[AudioListener]] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        header_interval: float = 2.0,
    ) -> None:
        if paths is None:
            names = " + ".join(getattr(s, "name", role) for role, s in sources.items())
            self.recording: Recording | None = recording or Recording.create(device=names)
            paths = track_paths(self.recording, sources)
        else:
            self.recording = recording
        self.paths = dict(paths)
        self.t0 = time.monotonic()
        self.recorders: dict[str, Recorder] = {}
        for role, source in sources.items():
            path = self.paths[role]
            folder = self.recording.folder if self.recording else path.parent
            self.recorders[role] = Recorder(
                # one source has nothing to line up with, unless it pauses when nothing plays
                AlignedSource(source, self.t0) if len(sources) > 1 or getattr(source, "fills_gaps", False) else source,
                Track(folder, path),
                listeners=(listeners or {}).get(role, []),
                on_error=on_error,
                on_notice=on_notice if role != "system" else None,  # silence is normal for the computer's sound
                header_interval=header_interval,
            )
        self._lock = threading.Lock()

    @property
    def elapsed(self) -> float:
        return max((r.elapsed for r in self.recorders.values()), default=0.0)

    @property
    def level(self) -> float:
        return max((r.level for r in self.recorders.values()), default=-100.0)

    @property
    def paused(self) -> bool:
        return any(r.paused for r in self.recorders.values())

    @property
    def running(self) -> bool:
        return any(r.running for r in self.recorders.values())

    @property
    def error(self) -> str:
        return " ".join(dict.fromkeys(r.error for r in self.recorders.values() if r.error))

    def start(self) -> None:
        """Start every source; if one cannot start, none records (the folder is marked finished)."""
        self.t0 = time.monotonic()
        started: list[Recorder] = []
        try:
            for recorder in self.recorders.values():
                if isinstance(recorder.source, AlignedSource):
                    recorder.source.t0 = self.t0
                recorder.start()
                started.append(recorder)
        except CaptureError as exc:
            for recorder in started:
                recorder.stop()
            if self.recording is not None:
                self.recording.mark_finished(0.0, str(exc))
            raise

    def pause(self) -> None:
        for recorder in self.recorders.values():
            recorder.pause()

    def resume(self) -> None:
        for recorder in self.recorders.values():
            recorder.resume()

    def stop(self, timeout: float = 10.0) -> MultiResult:
        with self._lock:
            for recorder in self.recorders.values():
                recorder.stop(timeout)
            seconds, error = self.elapsed, self.error
            if self.recording is not None and self.recording.in_progress:
                self.recording.mark_finished(seconds, error)
        return MultiResult(self.recording, self.paths, seconds, error)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every track ended by itself; True if they did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for recorder in self.recorders.values():
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not recorder.wait(left):
                return False
        return True
