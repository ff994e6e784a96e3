"""Meeting recordings on disk: each one's folder, and finding and repairing those a crash left.

Kept apart from the recorder thread (:mod:`assistant.core.audio.recorder`) so the start-up check
for interrupted recordings loads no audio stack (numpy, PortAudio).

Each recording lives in ``data_dir()/recordings/<id>/``: ``audio.wav`` (16 kHz mono, written
as it arrives by :class:`CrashSafeWavWriter`: the microphone, or the only source), with both
sources also ``system.wav`` (this computer's sound, on the same clock), ``transcript.jsonl`` (live spans, one JSON line
each, appended as they come) and, while recording, the marker ``IN_PROGRESS`` (JSON with the
process id). A marker left by a process that is gone means the app died mid-recording:
:func:`find_interrupted_recordings` lists those and :func:`recover_recording` repairs them.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.core.audio.wav import RepairResult, WavError, inspect_wav, repair_wav
from assistant.core.paths import data_dir

MARKER = "IN_PROGRESS"
AUDIO_FILE = "audio.wav"
SYSTEM_AUDIO_FILE = "system.wav"
#: Every audio file a recording may hold (one per source), repaired together after a crash.
TRACK_FILES = (AUDIO_FILE, SYSTEM_AUDIO_FILE)
TRANSCRIPT_FILE = "transcript.jsonl"
META_FILE = "recording.json"


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
    def system_audio_path(self) -> Path:
        return self.folder / SYSTEM_AUDIO_FILE

    def track_paths(self) -> list[Path]:
        """The audio files this recording holds (microphone or only source first)."""
        return [self.folder / name for name in TRACK_FILES if (self.folder / name).exists()]

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
        """Keep a live transcript span on disk (``span`` has start, end, text and maybe a speaker)."""
        data = {"start": round(span.start, 2), "end": round(span.end, 2), "text": span.text}
        if getattr(span, "speaker", None):
            data["speaker"] = span.speaker
        line = json.dumps(data)
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
        seconds = 0.0
        for path in recording.track_paths():
            try:
                seconds = max(seconds, inspect_wav(path).seconds)
            except (OSError, WavError):
                continue
        found.append(InterruptedRecording(folder.name, folder, str(marker.get("started", "")), seconds))
    return found


def recover_recording(item: InterruptedRecording | Recording | Path) -> RepairResult | None:
    """Repair every audio file of an interrupted recording and mark it finished.

    Returns the repair of ``audio.wav`` (the microphone or only source; ``system.wav`` beside it is
    repaired too), or None if no audio could be read.
    """
    folder = item if isinstance(item, Path) else item.folder
    recording = Recording(folder)
    results: list[RepairResult] = []
    for path in recording.track_paths():
        try:
            results.append(repair_wav(path))
        except (OSError, WavError):
            continue
    if not results:
        recording.mark_finished(0.0, "recovered after a crash: no audio could be read")
        return None
    recording.mark_finished(max(r.seconds for r in results), "recovered after the app stopped unexpectedly")
    return results[0]
