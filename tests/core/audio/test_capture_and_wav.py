"""Crash-safe WAV writing, repair, resampling, the recorder thread and interrupted recordings."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import wave

import numpy as np
import pytest

from assistant.core.audio.capture import (
    LOST_MESSAGE,
    DeviceLostError,
    NoInputDeviceError,
    Resampler,
    find_input_device,
)
from assistant.core.audio.recorder import Recorder
from assistant.core.audio.recordings import MARKER, Recording, find_interrupted_recordings, recover_recording
from assistant.core.audio.wav import (
    CrashSafeWavWriter,
    WavError,
    inspect_wav,
    read_wav,
    read_wav_range,
    repair_wav,
)
from tests.support import ROOT


def sine(seconds: float, rate: int = 16000, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_written_wav_reads_back_with_the_standard_library(tmp_path):
    path = tmp_path / "a.wav"
    signal_ = sine(1.5)
    with CrashSafeWavWriter(path) as writer:
        for i in range(0, len(signal_), 1600):
            writer.write(signal_[i : i + 1600])
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (16000, 1, 2, len(signal_))
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0
    assert np.max(np.abs(data - signal_)) < 1e-3
    assert np.max(np.abs(read_wav_range(path, 0.5, 1.0) - signal_[8000:16000])) < 1e-3
    assert read_wav_range(path, 1.4, 9.0).size == 1600  # clipped at the end of the file


def test_header_is_current_on_disk_while_recording(tmp_path):
    path = tmp_path / "live.wav"
    writer = CrashSafeWavWriter(path, header_interval=0.0)  # sync after every write
    writer.write(sine(0.5))
    writer.write(sine(0.25))
    with wave.open(str(path)) as w:  # another reader, file still open for writing
        assert w.getnframes() == 12000
    writer.close()


def test_repair_recovers_audio_written_after_the_last_header_update(tmp_path):
    path = tmp_path / "crashed.wav"
    writer = CrashSafeWavWriter(path, header_interval=3600)  # header says 0 frames after open
    writer.write(sine(2.0))
    writer._file.flush()  # the bytes reached the OS, as they do before a SIGKILL
    crashed = tmp_path / "copy.wav"
    shutil.copy(path, crashed)
    with open(crashed, "ab") as f:
        f.write(b"\x01")  # half a frame, as a kill mid-write leaves it
    writer.close()
    assert inspect_wav(crashed).header_data_bytes == 0
    result = repair_wav(crashed)
    assert result.repaired and result.seconds == pytest.approx(2.0)
    with wave.open(str(crashed)) as w:
        assert w.getnframes() == 32000
    assert repair_wav(crashed).repaired is False  # a sound file is left alone


def test_repair_refuses_a_file_that_is_not_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_bytes(b"hello, this is not audio at all")
    with pytest.raises(WavError, match="not a WAV file"):
        repair_wav(path)


def test_resampler_makes_16k_mono_and_keeps_the_pitch():
    rate = 48000
    stereo = np.stack([sine(2.0, rate, 1000.0), sine(2.0, rate, 1000.0)], axis=1)
    resampler = Resampler(rate)
    blocks = [resampler.process(stereo[i : i + 4800]) for i in range(0, len(stereo), 4800)]
    out = np.concatenate([*blocks, resampler.flush()])
    assert abs(len(out) - 32000) <= 64
    spectrum = np.abs(np.fft.rfft(out[:16000]))
    assert np.argmax(spectrum) == pytest.approx(1000, abs=2)  # 1 Hz bins over one second


class QueueSource:
    """A source the test feeds block by block (the recorder reads as if from a device)."""

    def __init__(self, samplerate: int = 16000) -> None:
        self.samplerate, self.channels, self.name = samplerate, 1, "queue"
        self.blocks: queue.Queue = queue.Queue()
        self.closed = threading.Event()

    def start(self) -> None:
        pass

    def read(self, timeout: float):
        try:
            item = self.blocks.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, Exception):
            raise item
        try:
            return item
        finally:
            self.blocks.task_done()

    def close(self) -> None:
        self.closed.set()


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return True
        deadline.wait(0.01)
    return condition()


def test_recorder_pause_drops_input_and_resume_continues():
    source = QueueSource()
    heard = []
    recorder = Recorder(source, listeners=[lambda samples, start: heard.append((start, len(samples)))])
    assert recorder.recording.in_progress
    recorder.start()
    source.blocks.put(sine(1.0))
    assert wait_until(lambda: recorder.elapsed == 1.0)
    recorder.pause()
    source.blocks.put(sine(0.5))
    source.blocks.join()  # read (and dropped) while paused
    recorder.resume()
    source.blocks.put(sine(0.25))
    assert wait_until(lambda: recorder.elapsed == 1.25)
    result = recorder.stop()
    assert result.seconds == 1.25 and result.error == ""
    assert heard == [(0.0, 16000), (1.0, 4000)]
    assert not result.recording.in_progress and source.closed.is_set()
    assert read_wav(result.recording.audio_path)[0].size == 20000


def test_device_lost_mid_recording_keeps_the_audio_and_says_so():
    source = QueueSource()
    errors = []
    recorder = Recorder(source, on_error=errors.append)
    recorder.start()
    source.blocks.put(sine(1.5))
    source.blocks.put(DeviceLostError(LOST_MESSAGE))
    assert recorder.wait(60)  # the recorder ends by itself
    assert errors == [LOST_MESSAGE] and "saved" in errors[0]
    result = recorder.stop()
    assert result.error == LOST_MESSAGE
    samples, rate = read_wav(result.recording.audio_path)
    assert (len(samples), rate) == (24000, 16000)


def test_unknown_input_device_gives_a_plain_message():
    with pytest.raises(NoInputDeviceError) as caught:
        find_input_device("Microphone that is not plugged in 123")
    message = str(caught.value)
    assert "microphone" in message.lower() and "try again" in message.lower()


def test_a_recording_of_a_running_app_is_not_offered_for_recovery():
    recording = Recording.create(device="test")
    assert (recording.folder / MARKER).exists()
    assert find_interrupted_recordings() == []  # this process still owns it


KILLED_RECORDER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    from assistant.core.audio.capture import ArraySource
    from assistant.core.audio.recorder import Recorder

    rate = 44100  # like a real device, so the resampler runs too
    t = np.arange(rate) / rate
    tone = (0.4 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    recorder = Recorder(ArraySource(tone, rate, realtime=True, loop=True))
    recorder.start()
    print("folder", recorder.recording.folder, flush=True)
    while True:
        time.sleep(0.25)
        print("elapsed", recorder.elapsed, flush=True)
    """
)


def test_sigkill_mid_recording_loses_at_most_five_seconds(isolated_data_dir, tmp_path):
    script = tmp_path / "record.py"
    script.write_text(KILLED_RECORDER)
    env = {**os.environ, "LLAMA_DESK_DATA_DIR": str(isolated_data_dir)}
    process = subprocess.Popen(
        [sys.executable, str(script), str(ROOT)], env=env, stdout=subprocess.PIPE, text=True
    )
    elapsed = 0.0
    try:
        for line in process.stdout:
            if line.startswith("elapsed"):
                elapsed = float(line.split()[1])
                if elapsed >= 7.0:
                    break
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    assert elapsed >= 7.0, "the recorder did not run"
    found = find_interrupted_recordings()
    assert len(found) == 1
    result = recover_recording(found[0])
    assert result is not None and result.seconds >= elapsed - 5.0
    samples, rate = read_wav(found[0].folder / "audio.wav")
    assert rate == 16000 and len(samples) / rate == pytest.approx(result.seconds)
    assert np.sqrt(np.mean(samples**2)) > 0.2  # the tone, not silence
    assert find_interrupted_recordings() == []  # recovered once, not offered again
    assert (found[0].folder / "recording.json").exists()


class StreamSource:
    """A source that never runs dry: numbered blocks as fast as they are read."""

    def __init__(self, block: int = 4800) -> None:
        self.samplerate, self.channels, self.name = 48000, 1, "stream"  # resampled: each block takes a moment
        self.block = block
        self.sent = 0

    def start(self) -> None:
        pass

    def read(self, timeout: float):
        values = np.arange(self.sent, self.sent + self.block) % 20000 - 10000
        self.sent += self.block
        return values.astype(np.float32).reshape(-1, 1) / 32767.0

    def close(self) -> None:
        pass


def test_pausing_and_resuming_hundreds_of_times_while_audio_flows_keeps_a_valid_wav_with_every_frame():
    source = StreamSource()
    heard: list[np.ndarray] = []
    recorder = Recorder(
        source,
        listeners=[lambda samples, start: heard.append(samples.copy())],
    )
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns often, as on a busy machine
    try:
        recorder.start()
        for _ in range(300):
            taken = len(heard)
            assert wait_until(lambda taken=taken: len(heard) > taken, timeout=60)  # audio flows...
            recorder.pause()  # ...and the next block may be on its way to the file
            recorder.resume()
        result = recorder.stop()
    finally:
        sys.setswitchinterval(switch)
    assert result.error == ""
    path = result.recording.audio_path
    info = inspect_wav(path)
    taken = np.concatenate(heard)
    assert info.header_data_bytes == info.file_data_bytes == taken.size * 2  # the header counts every frame
    with wave.open(str(path), "rb") as wav:  # the standard library parses it
        assert wav.getnframes() == taken.size
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    np.testing.assert_array_equal(frames, (np.clip(taken, -1.0, 1.0) * 32767.0).astype("<i2"))
