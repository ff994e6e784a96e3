"""A WAV file written as audio arrives, readable after a crash.

The writer appends 16-bit PCM frames and, at least every ``header_interval`` seconds of
wall-clock time, flushes the data, writes the current sizes into the RIFF header and
fsyncs. A killed process therefore leaves a valid file that is at most that interval
short; :func:`repair_wav` recovers the rest (the bytes that reached the disk after the last
header update) by recomputing the sizes from the file length.

A header update seeks back to the start of the file, so every file operation of the writer
holds one lock: a flush from another thread (pausing from the GUI) can never land between
a seek and a write of the recording thread.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads when audio is first handled, not at start-up
    import numpy as np

HEADER_BYTES = 44
SAMPLE_WIDTH = 2  # 16-bit PCM


class WavError(Exception):
    """A WAV file cannot be written or read; the message is meant for the user."""


def _header(samplerate: int, channels: int, data_bytes: int) -> bytes:
    block_align = channels * SAMPLE_WIDTH
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        channels,
        samplerate,
        samplerate * block_align,
        block_align,
        SAMPLE_WIDTH * 8,
        b"data",
        data_bytes,
    )


def float_to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16 (clipped)."""
    import numpy as np

    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")


class CrashSafeWavWriter:
    """Appends PCM frames to a WAV file, keeping its header current on disk (thread-safe)."""

    def __init__(
        self,
        path: str | Path,
        samplerate: int = 16000,
        channels: int = 1,
        *,
        header_interval: float = 2.0,
        fsync: bool = True,
    ) -> None:
        self.path = Path(path)
        self.samplerate = samplerate
        self.channels = channels
        self.header_interval = header_interval
        self.fsync = fsync
        self.frames_written = 0
        self._data_bytes = 0
        self._last_sync = time.monotonic()
        self._lock = threading.Lock()
        try:
            self._file = open(self.path, "wb")
            self._file.write(_header(samplerate, channels, 0))
            self._sync()
        except OSError as exc:
            raise WavError(f"Cannot write the recording to {self.path}: {exc.strerror or exc}. Check free disk space.") from exc

    @property
    def seconds(self) -> float:
        return self.frames_written / self.samplerate

    @property
    def closed(self) -> bool:
        return self._file.closed

    def write(self, samples: np.ndarray) -> None:
        """Append frames: float32 in [-1, 1] or int16, shape (frames,) or (frames, channels)."""
        import numpy as np

        pcm = samples if samples.dtype == np.int16 else float_to_pcm16(samples)
        data = np.ascontiguousarray(pcm, dtype="<i2").tobytes()
        with self._lock:
            try:
                self._file.write(data)
            except OSError as exc:
                raise WavError(f"Writing the recording failed: {exc.strerror or exc}. Check free disk space.") from exc
            self._data_bytes += len(data)
            self.frames_written = self._data_bytes // (self.channels * SAMPLE_WIDTH)
            if time.monotonic() - self._last_sync >= self.header_interval:
                self._sync()

    def _sync(self) -> None:
        """Flush data, write the sizes into the header, and push both to the disk (lock held)."""
        f = self._file
        f.flush()
        end = f.tell()
        f.seek(0)
        f.write(_header(self.samplerate, self.channels, self._data_bytes))
        f.seek(end)
        f.flush()
        if self.fsync:
            os.fsync(f.fileno())
        self._last_sync = time.monotonic()

    def flush(self) -> None:
        """Bring the header up to date on disk now (safe from any thread)."""
        with self._lock:
            if not self._file.closed:
                self._sync()

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                try:
                    self._sync()
                finally:
                    self._file.close()

    def __enter__(self) -> CrashSafeWavWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class WavInfo:
    samplerate: int
    channels: int
    sample_width: int
    data_offset: int
    header_data_bytes: int  # what the header claims
    file_data_bytes: int  # what the file holds after the header

    @property
    def frames(self) -> int:
        return self.file_data_bytes // (self.channels * self.sample_width)

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate if self.samplerate else 0.0


def inspect_wav(path: str | Path) -> WavInfo:
    """Read the chunk layout of a (possibly interrupted) PCM WAV file."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise WavError(f"{path.name} is not a WAV file.")
        fmt: tuple[int, int, int] | None = None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"fmt ":
                raw = f.read(16)
                if len(raw) < 16:
                    break
                _, channels, samplerate, _, _, bits = struct.unpack("<HHIIHH", raw)
                fmt = (samplerate, max(1, channels), max(1, bits // 8))
            elif chunk_id == b"data":
                if fmt is None:
                    break
                offset = pos + 8
                return WavInfo(fmt[0], fmt[1], fmt[2], offset, chunk_size, size - offset)
            pos += 8 + chunk_size + (chunk_size & 1)
    raise WavError(f"{path.name} has no audio data that can be recovered.")


@dataclass
class RepairResult:
    path: Path
    seconds: float
    repaired: bool  # the header was wrong and has been fixed


def repair_wav(path: str | Path) -> RepairResult:
    """Fix the sizes in the header of an interrupted WAV file; keep every whole frame on disk."""
    path = Path(path)
    info = inspect_wav(path)
    block = info.channels * info.sample_width
    data_bytes = info.file_data_bytes - info.file_data_bytes % block
    if data_bytes == info.header_data_bytes and info.file_data_bytes == data_bytes:
        return RepairResult(path, info.seconds, False)
    with open(path, "r+b") as f:
        f.truncate(info.data_offset + data_bytes)  # drop a partly written last frame
        f.seek(4)
        f.write(struct.pack("<I", info.data_offset - 8 + data_bytes))
        f.seek(info.data_offset - 4)
        f.write(struct.pack("<I", data_bytes))
        f.flush()
        os.fsync(f.fileno())
    return RepairResult(path, data_bytes / block / info.samplerate, True)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Float32 mono samples and the sample rate of a 16-bit PCM WAV (channels are averaged)."""
    import numpy as np

    info = inspect_wav(path)
    if info.sample_width != 2:
        raise WavError(f"{Path(path).name} is not 16-bit PCM.")
    with open(path, "rb") as f:
        f.seek(info.data_offset)
        raw = f.read(info.frames * info.channels * 2)
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if info.channels > 1:
        samples = samples.reshape(-1, info.channels).mean(axis=1)
    return samples, info.samplerate


def read_wav_range(path: str | Path, start: float, end: float) -> np.ndarray:
    """Float32 mono samples between ``start`` and ``end`` seconds of a 16-bit PCM WAV."""
    import numpy as np

    info = inspect_wav(path)
    if info.sample_width != 2:
        raise WavError(f"{Path(path).name} is not 16-bit PCM.")
    first = max(0, min(info.frames, int(start * info.samplerate)))
    last = max(first, min(info.frames, int(end * info.samplerate)))
    block = info.channels * 2
    with open(path, "rb") as f:
        f.seek(info.data_offset + first * block)
        raw = f.read((last - first) * block)
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, info.channels).mean(axis=1) if info.channels > 1 else samples
