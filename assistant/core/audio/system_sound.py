"""This computer's sound: what the other side of a call says, captured beside the microphone.

Each system gets the simplest route that works from plain Python:

- **Linux (PulseAudio, or PipeWire with its PulseAudio server):** every output ("sink") has a
  ``<sink>.monitor`` source carrying what it plays. The PortAudio that sounddevice uses on Linux
  (19.6, ALSA only) can reach just one PulseAudio source, the default, and pointing it elsewhere
  needs a process-wide variable; so :class:`MonitorSource` reads the monitor with ``parec``
  (pulseaudio-utils, present wherever ``pactl`` is) as raw 16 kHz mono float samples. The
  server resamples, a dead or missing stream shows as the process ending with a message, and
  no new Python package is needed.
- **Windows:** WASAPI loopback. PortAudio builds with loopback support list each output as an
  extra input named ``"<output> [Loopback]"``; :func:`find_system_device` picks the one of the
  default output, else a "Stereo Mix"-style input the sound card may offer. It is recorded like
  a microphone (:class:`~assistant.core.audio.capture.MicrophoneSource`). WASAPI loopback sends no
  blocks while nothing plays, so such a source is not taken as unplugged when quiet, and the
  recording fills the pause with silence to keep its clock (``fills_gaps``). Not testable here:
  the choice is unit-tested with device lists as Windows shows them.
- **macOS:** ScreenCaptureKit (the system's own audio capture) is an Objective-C/Swift API not
  reachable from plain Python; the documented route is a virtual device such as BlackHole (or
  Loopback, Soundflower), set as (part of a Multi-Output) output in Audio MIDI Setup and recorded
  as an input, picked here by name.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np

from assistant.core.audio.capture import (
    BLOCK_SECONDS,
    DEVICE_SILENT_TIMEOUT,
    TARGET_RATE,
    CaptureError,
    DeviceLostError,
    InputDevice,
    MicrophoneSource,
    NoInputDeviceError,
    list_input_devices,
)

#: Seconds allowed for ``parec`` to deliver its first block (a busy machine is slow to start it).
START_TIMEOUT = 20.0

LINUX_TOOLS_MESSAGE = (
    "Recording this computer's sound needs PulseAudio or PipeWire with the 'parec' and 'pactl' tools "
    "(on Debian/Ubuntu: apt install pulseaudio-utils). You can still record your microphone."
)
SYSTEM_LOST_MESSAGE = (
    "This computer's sound stopped arriving (was the output device changed or the sound server restarted?). "
    "The recording so far is saved."
)
WINDOWS_MESSAGE = (
    "No loopback input for this computer's sound was found. Llama Desk needs a PortAudio with WASAPI "
    "loopback (outputs listed as '… [Loopback]'), or enable 'Stereo Mix' under Sound settings → Recording. "
    "You can still record your microphone."
)
MAC_MESSAGE = (
    "To record this computer's sound on macOS, install a virtual audio device such as BlackHole, add it to a "
    "Multi-Output Device with your speakers in Audio MIDI Setup, and use that as the output. "
    "You can still record your microphone."
)
OTHER_MESSAGE = "Recording this computer's sound is not supported here. You can still record your microphone."

#: Input names that carry what a Mac plays (virtual devices), best first.
MAC_VIRTUAL_DEVICES = ("blackhole", "loopback audio", "soundflower", "vb-cable")
#: Inputs some Windows sound cards offer with the mix of everything played.
WINDOWS_MIX_INPUTS = ("stereo mix", "what u hear", "wave out mix", "stereomix")


def find_system_device(devices: list[InputDevice], platform: str, default_output: str = "") -> InputDevice:
    """The input that carries what this computer plays, on Windows or macOS (or a monitor input on Linux).

    ``devices`` as :func:`~assistant.core.audio.capture.list_input_devices` gives them;
    ``default_output`` is the default output's name, to prefer its loopback. Raises
    :class:`NoInputDeviceError` with what to do when there is none.
    """

    def named(*words: str) -> list[InputDevice]:
        return [d for d in devices if any(w in d.name.lower() for w in words)]

    if platform == "win32":
        loopbacks = [d for d in named("[loopback]", "(loopback)") if "wasapi" in d.host_api.lower()]
        output = default_output.lower().strip()
        for device in loopbacks:
            if output and device.name.lower().startswith(output[:31]):  # MME-style names are cut at 31
                return device
        if loopbacks:
            return loopbacks[0]
        mixes = sorted(named(*WINDOWS_MIX_INPUTS), key=lambda d: "wasapi" not in d.host_api.lower())
        if mixes:
            return mixes[0]
        raise NoInputDeviceError(WINDOWS_MESSAGE)
    if platform == "darwin":
        for word in MAC_VIRTUAL_DEVICES:
            found = named(word)
            if found:
                return found[0]
        raise NoInputDeviceError(MAC_MESSAGE)
    monitors = named(".monitor", "monitor of")
    if monitors:
        return monitors[0]
    raise NoInputDeviceError(LINUX_TOOLS_MESSAGE if platform.startswith("linux") else OTHER_MESSAGE)


# --- Linux: PulseAudio / PipeWire monitor sources -------------------------------------------------


def _pactl(*args: str) -> str:
    try:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NoInputDeviceError(f"The sound server did not answer ({exc}). {LINUX_TOOLS_MESSAGE}") from exc
    if done.returncode != 0:
        raise NoInputDeviceError(
            f"The sound server did not answer ({done.stderr.strip() or 'pactl failed'}). "
            "Is PulseAudio or PipeWire running? You can still record your microphone."
        )
    return done.stdout


def default_sink_from_info(info: str) -> str:
    """The default output's name from ``pactl info`` output ("" when it has none)."""
    for line in info.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "default sink":
            return value.strip()
    return ""


def default_monitor() -> str:
    """The monitor source of the default output (``<sink>.monitor``); raises NoInputDeviceError."""
    if shutil.which("parec") is None or shutil.which("pactl") is None:
        raise NoInputDeviceError(LINUX_TOOLS_MESSAGE)
    sink = default_sink_from_info(_pactl("info"))
    if not sink or sink == "@DEFAULT_SINK@":
        raise NoInputDeviceError("The sound server has no output device, so there is no computer sound to record.")
    return f"{sink}.monitor"


class MonitorSource:
    """A PulseAudio/PipeWire source (by default the default output's monitor), read with ``parec``.

    Blocks of :data:`BLOCK_SECONDS` arrive as float32 (frames, 1) at 16 kHz; ``started_at`` is the
    monotonic time of the first sample, so a recording of several sources can line them up.
    """

    def __init__(self, monitor: str | None = None) -> None:
        self.monitor = monitor or default_monitor()
        if shutil.which("parec") is None:
            raise NoInputDeviceError(LINUX_TOOLS_MESSAGE)
        self.name = f"This computer's sound ({self.monitor})"
        self.samplerate = TARGET_RATE
        self.channels = 1
        self.started_at: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._ended = threading.Event()
        self._first = threading.Event()
        self._last_block = time.monotonic()

    def start(self) -> None:
        command = [
            "parec",
            f"--device={self.monitor}",
            "--format=float32le",
            f"--rate={TARGET_RATE}",
            "--channels=1",
            "--latency-msec=100",
            "--client-name=Llama Desk",
            "--stream-name=Meeting recording (computer sound)",
        ]
        try:
            self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise NoInputDeviceError(f"{LINUX_TOOLS_MESSAGE} ({exc})") from exc
        threading.Thread(target=self._pump, name="computer-sound", daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._first.wait(0.05):
            if self._ended.is_set() or time.monotonic() > deadline:
                detail = self._stderr() or "no audio arrived"
                self.close()
                raise CaptureError(
                    f"This computer's sound ({self.monitor}) could not be recorded: {detail}. "
                    "You can still record your microphone."
                )
        self._last_block = time.monotonic()

    def _pump(self) -> None:
        """Reader thread: parec's output in blocks, to the queue, until it ends."""
        assert self._process is not None and self._process.stdout is not None
        size = int(TARGET_RATE * BLOCK_SECONDS) * 4
        stream = self._process.stdout
        try:
            while True:
                data = stream.read(size)
                if not data:
                    break
                if self.started_at is None:
                    self.started_at = time.monotonic() - len(data) / 4 / TARGET_RATE
                    self._first.set()
                usable = len(data) - len(data) % 4
                self._queue.put(np.frombuffer(data[:usable], dtype="<f4").reshape(-1, 1).astype(np.float32))
        except (OSError, ValueError):  # closed under us while stopping
            pass
        finally:
            self._ended.set()

    def _stderr(self) -> str:
        process = self._process
        if process is None or process.stderr is None or process.poll() is None:
            return ""
        try:
            return process.stderr.read().decode("utf-8", "replace").strip()[-300:]
        except (OSError, ValueError):
            return ""

    def read(self, timeout: float) -> np.ndarray | None:
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            if self._ended.is_set() or time.monotonic() - self._last_block > DEVICE_SILENT_TIMEOUT:
                detail = self._stderr()
                raise DeviceLostError(SYSTEM_LOST_MESSAGE + (f" ({detail})" if detail else "")) from None
            return None
        self._last_block = time.monotonic()
        return block

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def _default_output_name() -> str:
    try:
        import sounddevice

        return str(sounddevice.query_devices(kind="output")["name"])
    except Exception:  # no output, or PortAudio missing: the first loopback is taken
        return ""


def open_system_source(device: int | str | None = None, platform: str = sys.platform) -> Any:
    """A source of this computer's sound (not started); raises CaptureError with what to do.

    ``device``: on Linux a PulseAudio source name (default: the default output's monitor);
    elsewhere an input index or name (default: :func:`find_system_device`).
    """
    if platform.startswith("linux") and not isinstance(device, int) and shutil.which("parec"):
        return MonitorSource(device or None)
    if device is None or device == "":
        device = find_system_device(list_input_devices(), platform, _default_output_name()).index
    source = MicrophoneSource(device)
    source.silent_timeout = None  # loopback and virtual devices may send nothing while nothing plays
    source.fills_gaps = True  # type: ignore[attr-defined]
    return source
