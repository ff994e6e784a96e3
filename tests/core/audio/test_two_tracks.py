"""Two sources in one recording: choosing the computer's sound per system, one clock, crash recovery of both files."""

from __future__ import annotations

import os
import sys
import textwrap
import time
import wave

import numpy as np
import pytest

from assistant.core.audio.capture import ArraySource, InputDevice, NoInputDeviceError
from assistant.core.audio.recordings import find_interrupted_recordings, recover_recording
from assistant.core.audio.sources import BOTH, MIC, SYSTEM, AlignedSource, MultiRecorder, roles
from assistant.core.audio.system_sound import (
    MAC_MESSAGE,
    WINDOWS_MESSAGE,
    default_sink_from_info,
    find_system_device,
)
from assistant.core.audio.wav import read_wav
from tests.core.audio.killing import record_then_kill
from tests.support import ROOT


def device(index: int, name: str, api: str, default: bool = False) -> InputDevice:
    return InputDevice(index, name, api, 2, 48000.0, default)


WINDOWS = [
    device(0, "Microsoft Sound Mapper - Input", "MME", True),
    device(1, "Microphone (Realtek(R) Audio)", "MME"),
    device(5, "Microphone (Realtek(R) Audio)", "Windows WASAPI"),
    device(6, "Headphones (USB Audio) [Loopback]", "Windows WASAPI"),
    device(7, "Speakers (Realtek(R) Audio) [Loopback]", "Windows WASAPI"),
]


def test_windows_takes_the_loopback_of_the_default_output():
    assert find_system_device(WINDOWS, "win32", "Speakers (Realtek(R) Audio)").index == 7
    assert find_system_device(WINDOWS, "win32", "Headphones (USB Audio)").index == 6
    assert find_system_device(WINDOWS, "win32", "").index == 6  # unknown default: the first loopback


def test_windows_without_loopback_uses_stereo_mix_else_says_what_to_do():
    stereo_mix = [*WINDOWS[:3], device(9, "Stereo Mix (Realtek(R) Audio)", "MME"),
                  device(11, "Stereo Mix (Realtek(R) Audio)", "Windows WASAPI")]
    assert find_system_device(stereo_mix, "win32", "Speakers").index == 11
    with pytest.raises(NoInputDeviceError) as caught:
        find_system_device(WINDOWS[:3], "win32", "Speakers")
    assert str(caught.value) == WINDOWS_MESSAGE and "microphone" in WINDOWS_MESSAGE


def test_macos_takes_a_virtual_device_by_name_else_explains_blackhole():
    mac = [device(0, "MacBook Pro Microphone", "Core Audio", True), device(1, "ZoomAudioDevice", "Core Audio"),
           device(2, "BlackHole 2ch", "Core Audio")]
    assert find_system_device(mac, "darwin").index == 2
    with pytest.raises(NoInputDeviceError) as caught:
        find_system_device(mac[:2], "darwin")
    assert str(caught.value) == MAC_MESSAGE and "BlackHole" in MAC_MESSAGE


def test_linux_monitor_inputs_and_the_default_sink():
    linux = [device(0, "pulse", "ALSA", True), device(3, "Monitor of Built-in Audio Analog Stereo", "PulseAudio")]
    assert find_system_device(linux, "linux").index == 3
    with pytest.raises(NoInputDeviceError, match="pulseaudio-utils"):
        find_system_device(linux[:1], "linux")
    info = "Server Name: PulseAudio (on PipeWire 1.0.5)\nDefault Sink: alsa_output.pci-0000_00_1f.3.analog-stereo\n"
    assert default_sink_from_info(info) == "alsa_output.pci-0000_00_1f.3.analog-stereo"
    assert default_sink_from_info("Server Name: x\n") == ""


def test_source_choices():
    assert roles(BOTH) == [MIC, SYSTEM] and roles(SYSTEM) == [SYSTEM]
    with pytest.raises(ValueError, match="mic, system, both"):
        roles("speakers")


def tone(seconds: float, rate: int, freq: float) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_both_sources_go_to_two_files_of_one_recording_on_one_clock(isolated_data_dir):
    mic = ArraySource(tone(1.5, 48000, 300), 48000, realtime=True)
    system = ArraySource(tone(1.5, 44100, 500), 44100, realtime=True)
    heard: dict[str, float] = {MIC: 0.0, SYSTEM: 0.0}

    def counter(role):
        def listen(samples, start):
            heard[role] += len(samples) / 16000

        return listen

    recorder = MultiRecorder({MIC: mic, SYSTEM: system}, listeners={MIC: [counter(MIC)], SYSTEM: [counter(SYSTEM)]})
    recording = recorder.recording
    recorder.start()
    assert recording.in_progress
    assert mic.exhausted.wait(60) and system.exhausted.wait(60)
    result = recorder.stop()
    assert result.error == "" and not recording.in_progress
    assert result.paths == {MIC: recording.audio_path, SYSTEM: recording.system_audio_path}
    assert recording.track_paths() == [recording.audio_path, recording.system_audio_path]
    for role, path in result.paths.items():
        samples, rate = read_wav(path)
        assert rate == 16000 and len(samples) / rate >= 1.45  # all of it, plus any alignment silence
        assert heard[role] == pytest.approx(len(samples) / rate, abs=0.05)  # listeners get what is written
    spectra = [np.abs(np.fft.rfft(read_wav(p)[0][-16000:])) for p in result.paths.values()]
    assert [int(np.argmax(s)) for s in spectra] == [300, 500]  # each file holds its own source


KILLED_TWO_SOURCES = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    from assistant.core.audio.capture import ArraySource
    from assistant.core.audio.sources import MultiRecorder

    def tone(rate, freq):
        t = np.arange(rate) / rate
        return (0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32)

    sources = {"mic": ArraySource(tone(48000, 300), 48000, loop=True),
               "system": ArraySource(tone(44100, 500), 44100, loop=True)}
    recorder = MultiRecorder(sources)
    recorder.start()
    while True:
        time.sleep(0.25)
        print("elapsed", *(r.elapsed for r in recorder.recorders.values()), flush=True)
    """
)


def test_sigkill_during_a_two_source_recording_recovers_both_within_five_seconds(isolated_data_dir, tmp_path):
    script = tmp_path / "record_two.py"
    script.write_text(KILLED_TWO_SOURCES)
    env = {**os.environ, "LLAMA_DESK_DATA_DIR": str(isolated_data_dir)}
    elapsed = record_then_kill([sys.executable, str(script), str(ROOT)], env, enough=7.0)
    assert len(elapsed) == 2 and min(elapsed) >= 7.0, "the recorder did not run"
    found = find_interrupted_recordings()
    assert len(found) == 1
    folder = found[0].folder
    result = recover_recording(found[0])
    assert result is not None and result.path == folder / "audio.wav"
    for path, seconds, freq in ((folder / "audio.wav", elapsed[0], 300), (folder / "system.wav", elapsed[1], 500)):
        samples, rate = read_wav(path)
        assert rate == 16000 and len(samples) / rate >= seconds - 5.0, path.name
        with wave.open(str(path)) as repaired:  # the header itself now tells the whole length
            assert repaired.getnframes() == len(samples)
        assert int(np.argmax(np.abs(np.fft.rfft(samples[-16000:])))) == freq  # its own tone, not silence
    assert find_interrupted_recordings() == []
    assert (folder / "recording.json").exists()


class PausingLoopback:
    """Like WASAPI loopback: a block, then nothing at all while nothing plays, then a block again."""

    samplerate, channels, name = 16000, 1, "Speakers [Loopback]"
    fills_gaps = True
    started_at = None

    def __init__(self, quiet_seconds: float) -> None:
        self.quiet_seconds = quiet_seconds
        self.reads = 0
        self.first_at = 0.0

    def start(self) -> None:
        pass

    def read(self, timeout: float):
        self.reads += 1
        if self.reads == 1:
            self.first_at = time.monotonic()
            return np.ones((1600, 1), np.float32)
        if time.monotonic() - self.first_at < self.quiet_seconds:
            time.sleep(timeout)
            return None
        return np.ones((1600, 1), np.float32)

    def close(self) -> None:
        pass


def test_a_loopback_that_sends_nothing_while_quiet_keeps_the_clock_with_silence():
    source = PausingLoopback(quiet_seconds=1.5)
    aligned = AlignedSource(source, time.monotonic())
    aligned.start()
    blocks = []
    while len(blocks) < 2 or not blocks[-1].any():  # until the sound comes back
        block = aligned.read(0.2)
        if block is not None:
            blocks.append(block)
    waited = time.monotonic() - source.first_at
    audio = np.concatenate(blocks)[:, 0]
    silence = np.count_nonzero(audio == 0) / 16000
    assert 1.0 <= silence <= waited  # the quiet time, as silence, no more than really passed
    assert audio[:1600].all() and audio[-1600:].all()  # the sound before and after, in order
