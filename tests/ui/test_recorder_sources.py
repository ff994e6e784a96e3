"""The recording panel's source choice: my microphone, this computer's sound, or both (two files)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from assistant.core.audio.capture import ArraySource, InputDevice
from assistant.core.audio.recordings import Recording
from assistant.core.audio.sources import BOTH, SOURCE_CHOICES, SYSTEM
from assistant.core.audio.wav import read_wav
from assistant.ui.recorder import RecorderPanel
from tests.core.audio import conversation
from tests.core.audio.conversation import attribute, play
from tests.support import stt_fixtures

stt_model_path = stt_fixtures.stt_model_path
virtual_mic = stt_fixtures.virtual_mic
call_devices = conversation.call_devices
call = conversation.call


def tone_source(freq: float):
    def make(_device) -> ArraySource:
        t = np.arange(16000) / 16000
        source = ArraySource((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, realtime=True)
        source.name = f"tone {freq:.0f}"
        return source

    return make


def test_the_choice_is_offered_and_the_computers_sound_needs_no_microphone(qtbot):
    panel = RecorderPanel(list_devices=list)
    qtbot.addWidget(panel)
    try:
        assert [panel.source_combo.itemText(i) for i in range(panel.source_combo.count())] == list(SOURCE_CHOICES.values())
        assert panel.source == "mic" and not panel.record_button.isEnabled()  # no microphone
        panel.select_source(SYSTEM)
        assert panel.record_button.isEnabled() and not panel.device_combo.isEnabled()
    finally:
        panel.shutdown()


def test_both_sources_record_into_two_files_of_one_recording(qtbot, isolated_data_dir):
    device = InputDevice(1, "USB mic", "test", 1, 16000.0, True)
    panel = RecorderPanel(list_devices=lambda: [device], source_factory=tone_source(300), system_factory=tone_source(500))
    qtbot.addWidget(panel)
    try:
        panel.select_source(BOTH)
        with qtbot.waitSignal(panel.recordingStarted, timeout=60_000):
            panel.record_button.click()
        assert not panel.source_combo.isEnabled()
        qtbot.waitUntil(lambda: panel.recorder is not None and panel.recorder.elapsed >= 0.5, timeout=60_000)
        with qtbot.waitSignal(panel.finished, timeout=60_000) as finished:
            panel.stop_button.click()
    finally:
        panel.shutdown()
    recording = Recording(panel.folder)
    assert finished.args[0] == str(recording.audio_path) and not recording.in_progress
    assert recording.track_paths() == [recording.audio_path, recording.system_audio_path]
    peaks = [int(np.argmax(np.abs(np.fft.rfft(read_wav(p)[0][-8000:])))) * 2 for p in recording.track_paths()]
    assert peaks == [300, 500]  # the microphone in audio.wav, the computer's sound in system.wav


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the virtual devices are PulseAudio (Linux)")
def test_both_live_in_the_panel_gives_you_and_others_without_echoes(qtbot, isolated_data_dir, call_devices, call,
                                                                    stt_model_path):
    panel = RecorderPanel(stt_model=stt_model_path)
    qtbot.addWidget(panel)
    spans = []
    panel.spanReady.connect(spans.append)
    try:
        assert panel.select_device(call_devices.DEVICE)
        panel.select_source(BOTH)
        with qtbot.waitSignal(panel.recordingStarted, timeout=60_000):
            panel.record_button.click()
        players = play(call_devices, call.echo, call.system)
        qtbot.waitUntil(lambda: all(p.poll() is not None for p in players), timeout=120_000)
        with qtbot.waitSignal(panel.finished, timeout=120_000):
            panel.stop_button.click()
    finally:
        panel.shutdown()
    found = attribute(spans, call.turns)
    assert found.share == 1.0 and not found.repeated, (found, [s.render() for s in spans])
    saved = Recording(panel.folder).saved_spans()  # on disk as they came, with the speaker
    assert sorted((s["speaker"], s["text"]) for s in saved) == sorted((s.speaker, s.text) for s in spans)
