"""Microphone input through sounddevice/PortAudio, and conversion to 16 kHz mono.

PortAudio is used because it works the same on Linux (ALSA/PulseAudio/PipeWire), Windows
(WASAPI/MME) and macOS (CoreAudio) from one small wheel, and does not need the large
QtMultimedia add-on. A source hands out float32 blocks of shape (frames, channels); the
:class:`Resampler` turns them into 16 kHz mono for speech recognition and the WAV file.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

TARGET_RATE = 16000
BLOCK_SECONDS = 0.1
#: Without a single block from the device for this long, it is taken as unplugged.
DEVICE_SILENT_TIMEOUT = 3.0


class CaptureError(Exception):
    """Recording cannot start or go on; the message is meant for the user."""


class NoInputDeviceError(CaptureError):
    pass


class PermissionDeniedError(CaptureError):
    pass


class DeviceLostError(CaptureError):
    """The device stopped delivering audio mid-recording (unplugged, taken away)."""


NO_DEVICE_MESSAGE = (
    "No microphone was found. Plug one in (or pick another input) and try again. "
    "You can still paste a transcript or import an audio file."
)
PERMISSION_MESSAGE = (
    "Llama Desk may not use the microphone. Allow microphone access for this app in your system's privacy "
    "settings, then try again. You can still paste a transcript or import an audio file."
)
LOST_MESSAGE = (
    "The microphone stopped sending audio (was it unplugged?). The recording so far is saved. "
    "Pick an input and record again to continue."
)


def _sd() -> Any:
    """The sounddevice module; a plain error when PortAudio itself is missing."""
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio shared library is not installed
        raise NoInputDeviceError(
            "Audio input is not available on this computer (the PortAudio library is missing; on Linux install "
            "'libportaudio2'). You can still paste a transcript or import an audio file."
        ) from exc
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    host_api: str
    channels: int
    default_samplerate: float
    is_default: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.host_api})" + (" — default" if self.is_default else "")


def refresh_devices() -> None:
    """Re-scan the audio devices (PortAudio only lists what existed when it started)."""
    sd = _sd()
    sd._terminate()
    sd._initialize()


def list_input_devices() -> list[InputDevice]:
    """Every device that can record, default first. Empty when there is none."""
    sd = _sd()
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except sd.PortAudioError:
        return []
    found = []
    for info in devices:
        if info["max_input_channels"] <= 0:
            continue
        found.append(
            InputDevice(
                index=int(info["index"]),
                name=str(info["name"]),
                host_api=str(apis[info["hostapi"]]["name"]),
                channels=int(info["max_input_channels"]),
                default_samplerate=float(info["default_samplerate"]),
                is_default=int(info["index"]) == default_in,
            )
        )
    found.sort(key=lambda d: not d.is_default)
    return found


def find_input_device(spec: int | str | None) -> InputDevice:
    """The device with this index or (part of its) name, or the default; raises NoInputDeviceError."""
    devices = list_input_devices()
    if not devices:
        raise NoInputDeviceError(NO_DEVICE_MESSAGE)
    if spec is None or spec == "":
        return devices[0]
    for device in devices:
        if spec == device.index or (isinstance(spec, str) and spec == device.name):
            return device
    if isinstance(spec, str):
        for device in devices:
            if spec.lower() in device.name.lower():
                return device
    raise NoInputDeviceError(f"The input '{spec}' is not connected any more. Pick another microphone and try again.")


class AudioSource(Protocol):
    """Where audio comes from: float32 blocks (frames, channels) at ``samplerate``."""

    samplerate: int
    channels: int
    name: str

    def start(self) -> None: ...

    def read(self, timeout: float) -> np.ndarray | None:
        """The next block, or None when none arrived within ``timeout`` (raises DeviceLostError)."""
        ...

    def close(self) -> None: ...


class MicrophoneSource:
    """A PortAudio input stream; blocks are queued by the audio callback and read by a worker."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = find_input_device(device)
        self.name = self.device.label
        self.channels = min(2, self.device.channels)
        self.samplerate = TARGET_RATE
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._stream: Any = None
        self._finished = threading.Event()
        self._last_block = time.monotonic()
        self.overflows = 0
        self.started_at: float | None = None  # monotonic time of the first sample captured
        #: Silence (no blocks) for this long means unplugged; None for inputs that pause when nothing plays.
        self.silent_timeout: float | None = DEVICE_SILENT_TIMEOUT

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status and status.input_overflow:
            self.overflows += 1
        if self.started_at is None:
            self.started_at = time.monotonic() - frames / self.samplerate
        self._queue.put(indata.copy())

    def start(self) -> None:
        sd = _sd()
        errors = []
        # Ask for 16 kHz first (the host usually converts); else the device's own rate, converted by us.
        for rate in dict.fromkeys((TARGET_RATE, int(self.device.default_samplerate))):
            try:
                stream = sd.InputStream(
                    device=self.device.index,
                    samplerate=rate,
                    channels=self.channels,
                    dtype="float32",
                    blocksize=int(rate * BLOCK_SECONDS),
                    callback=self._callback,
                    finished_callback=self._finished.set,
                )
                stream.start()
            except sd.PortAudioError as exc:
                errors.append(str(exc))
                continue
            self._stream, self.samplerate = stream, rate
            self._last_block = time.monotonic()
            return
        raise _explain_open_error(" / ".join(errors), self.device)

    def read(self, timeout: float) -> np.ndarray | None:
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            silent_for = time.monotonic() - self._last_block
            timed_out = self.silent_timeout is not None and silent_for > self.silent_timeout
            if self._finished.is_set() or timed_out or not self._stream.active:
                raise DeviceLostError(LOST_MESSAGE) from None
            return None
        self._last_block = time.monotonic()
        return block

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.close()
            except Exception:  # a vanished device may fail to close; nothing to keep from it
                pass
            self._stream = None


def _explain_open_error(detail: str, device: InputDevice) -> CaptureError:
    lowered = detail.lower()
    if "permission" in lowered or "access" in lowered or "-9986" in lowered or "not authorized" in lowered:
        return PermissionDeniedError(PERMISSION_MESSAGE)
    if "unavailable" in lowered or "busy" in lowered or "invalid device" in lowered or "-9996" in lowered:
        return NoInputDeviceError(
            f"The input '{device.name}' cannot be opened (it is in use or was unplugged). Close other apps using it, "
            "or pick another microphone."
        )
    return CaptureError(f"The input '{device.name}' could not be opened ({detail}). Pick another microphone and try again.")


class ArraySource:
    """Plays an array as if it came from a microphone, in real time or as fast as read."""

    def __init__(self, samples: np.ndarray, samplerate: int, *, realtime: bool = True, loop: bool = False) -> None:
        self._samples = samples.reshape(len(samples), -1).astype(np.float32)
        self.samplerate = samplerate
        self.channels = self._samples.shape[1]
        self.name = "test signal"
        self.realtime = realtime
        self.loop = loop
        self._pos = 0
        self._started = 0.0
        self.exhausted = threading.Event()

    def start(self) -> None:
        self._started = time.monotonic()

    def read(self, timeout: float) -> np.ndarray | None:
        block = int(self.samplerate * BLOCK_SECONDS)
        if self._pos >= len(self._samples):
            if not self.loop:
                self.exhausted.set()
                time.sleep(min(timeout, BLOCK_SECONDS))
                return None
            self._pos = 0
            self._started = time.monotonic()
        if self.realtime:
            due = self._started + (self._pos + block) / self.samplerate
            wait = due - time.monotonic()
            if wait > timeout:
                time.sleep(timeout)
                return None
            if wait > 0:
                time.sleep(wait)
        chunk = self._samples[self._pos : self._pos + block]
        self._pos += block
        return chunk

    def close(self) -> None:
        pass


class Resampler:
    """Streaming conversion of float32 blocks to 16 kHz mono float32 (libswresample via PyAV)."""

    def __init__(self, samplerate: int, target: int = TARGET_RATE) -> None:
        self.samplerate = samplerate
        self.target = target
        self._av: Any = None
        if samplerate != target:
            import av

            self._av = av.AudioResampler(format="flt", layout="mono", rate=target)

    def _convert(self, mono: np.ndarray | None) -> np.ndarray:
        import av

        if mono is None:
            frames = self._av.resample(None)
        else:
            frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = self.samplerate
            frames = self._av.resample(frame)
        parts = [f.to_ndarray().reshape(-1) for f in frames]
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        mono = block.mean(axis=1) if block.ndim == 2 else block
        mono = np.ascontiguousarray(mono, dtype=np.float32)
        return mono if self._av is None else self._convert(mono)

    def flush(self) -> np.ndarray:
        return np.zeros(0, np.float32) if self._av is None else self._convert(None)


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level in dBFS (-100 for silence)."""
    if samples.size == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(-100.0, 20.0 * np.log10(rms)) if rms > 0 else -100.0


def platform_permission_hint() -> str:
    """What to check when the microphone only delivers silence."""
    if sys.platform == "darwin":
        return "On macOS, allow microphone access in System Settings → Privacy & Security → Microphone."
    if sys.platform == "win32":
        return "On Windows, allow microphone access in Settings → Privacy → Microphone."
    return "Check that the right input is picked and not muted."
