"""The recording panel: no device, a real recording through the virtual microphone, recovery."""

from __future__ import annotations

import queue
import sys

import numpy as np
import pytest

from assistant.core.audio.capture import (
    LOST_MESSAGE,
    NO_DEVICE_MESSAGE,
    DeviceLostError,
    InputDevice,
)
from assistant.core.audio.recordings import Recording, find_interrupted_recordings
from assistant.core.audio.wav import CrashSafeWavWriter, read_wav
from assistant.ui.recorder import RecorderPanel, offer_recovery
from tests.support import stt_fixtures
from tests.support.stt_fixtures import MIC_KEY_WORDS, words

mic_wav = stt_fixtures.mic_wav
stt_model_path = stt_fixtures.stt_model_path
virtual_mic = stt_fixtures.virtual_mic


@pytest.fixture
def make_panel(qtbot):
    panels = []

    def make(*args, **kwargs) -> RecorderPanel:
        panel = RecorderPanel(*args, **kwargs)
        qtbot.addWidget(panel)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.shutdown()


def test_without_a_microphone_the_panel_says_so_and_cannot_record(make_panel):
    panel = make_panel(list_devices=list)
    assert panel.message.text() == NO_DEVICE_MESSAGE
    assert "paste" in NO_DEVICE_MESSAGE and "import" in NO_DEVICE_MESSAGE
    assert not panel.record_button.isEnabled() and not panel.stop_button.isEnabled()


class ScriptedSource:
    """A device that delivers some tone and is then unplugged."""

    def __init__(self, device) -> None:
        self.samplerate, self.channels, self.name = 16000, 1, "USB mic"
        self.blocks: queue.Queue = queue.Queue()
        tone = (0.3 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000)).astype(np.float32)
        for _ in range(10):
            self.blocks.put(tone[:1600])
        self.blocks.put(DeviceLostError(LOST_MESSAGE))

    def start(self) -> None:
        pass

    def read(self, timeout):
        try:
            item = self.blocks.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, Exception):
            raise item
        return item

    def close(self) -> None:
        pass


def test_unplugged_device_keeps_the_audio_and_shows_why(make_panel, qtbot):
    device = InputDevice(7, "USB mic", "test", 1, 16000.0, True)
    panel = make_panel(list_devices=lambda: [device], source_factory=ScriptedSource)
    assert panel.record_button.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=60_000) as finished:
        panel.record_button.click()
    samples, rate = read_wav(finished.args[0])
    assert len(samples) == rate  # the second before the device vanished
    assert LOST_MESSAGE in panel.message.text() and panel.state == "idle"
    assert panel.record_button.isEnabled() and not Recording(panel.folder).in_progress


def test_interrupted_recording_is_offered_and_recovered(qtbot, isolated_data_dir):
    recording = Recording.create(device="test")
    writer = CrashSafeWavWriter(recording.audio_path, header_interval=3600)
    writer.write(np.full(32000, 0.1, np.float32))
    writer._file.flush()
    marker = recording.folder / "IN_PROGRESS"
    marker.write_text(marker.read_text().replace('"pid": ', '"pid": 999999999, "was": '))  # a process that is gone
    asked = []
    assert offer_recovery(ask=lambda item: asked.append(item) or False) == []  # declined: kept, asked again later
    recovered = offer_recovery(ask=lambda item: True)
    writer.close()
    assert len(asked) == 1 and asked[0].seconds == pytest.approx(2.0)
    assert recovered == [recording.audio_path] and find_interrupted_recordings() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the virtual microphone is PulseAudio (Linux)")
def test_recording_the_virtual_mic_emits_spans_and_the_file(make_panel, qtbot, virtual_mic, mic_wav, stt_model_path):
    panel = make_panel(stt_model=stt_model_path)
    assert panel.select_device(virtual_mic.DEVICE)
    spans = []
    panel.transcriptSpan.connect(spans.append)
    with qtbot.waitSignal(panel.recordingStarted, timeout=60_000):
        panel.record_button.click()
    assert panel.state == "recording" and panel.stop_button.isEnabled()
    player = virtual_mic.play(mic_wav)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=60000)
    qtbot.waitUntil(lambda: len(spans) >= 1, timeout=60_000)  # text arrives while still recording
    panel.pause_button.click()
    assert panel.state == "paused" and panel.pause_button.text() == "Resume"
    panel.pause_button.click()
    with qtbot.waitSignal(panel.finished, timeout=60000) as finished:
        panel.stop_button.click()
    assert spans[0].startswith("[00:0")
    heard = set(words(" ".join(spans)))
    assert len(set(MIC_KEY_WORDS) & heard) >= 2, spans
    samples, rate = read_wav(finished.args[0])
    assert rate == 16000 and len(samples) / rate > 5.0
    assert panel.elapsed_label.text() != "00:00" and panel.state == "idle"
    saved = Recording(panel.folder).saved_spans()
    assert [s["text"] for s in saved] == [line.split("] ", 1)[1] for line in spans]  # kept with the recording
