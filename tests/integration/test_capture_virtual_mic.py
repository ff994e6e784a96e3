"""A real capture on Linux: espeak-ng speech played into a PulseAudio null sink, recorded from its monitor.

The test starts its own PulseAudio daemon (and stops it); it skips only when that daemon
cannot start, and says why.
"""

from __future__ import annotations

import sys

import pytest

from assistant.core.audio.capture import MicrophoneSource, list_input_devices
from assistant.core.audio.live_stt import LiveTranscriber
from assistant.core.audio.recorder import Recorder
from assistant.core.audio.recordings import find_interrupted_recordings
from assistant.core.audio.stt import SpeechRecognizer
from assistant.core.audio.wav import read_wav
from tests.support import stt_fixtures
from tests.support.stt_fixtures import MIC_KEY_WORDS, MIC_SCRIPT, word_error_rate, words

mic_wav = stt_fixtures.mic_wav
stt_model_path = stt_fixtures.stt_model_path
virtual_mic = stt_fixtures.virtual_mic

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the virtual microphone is PulseAudio (Linux)"), pytest.mark.real_model, pytest.mark.audio]


def test_virtual_mic_is_listed_as_an_input(virtual_mic):
    names = [device.name for device in list_input_devices()]
    assert virtual_mic.DEVICE in names


def test_recording_the_virtual_mic_keeps_the_speech_and_transcribes_it_live(virtual_mic, mic_wav, stt_model_path):
    recognizer = SpeechRecognizer(stt_model_path, threads=2)
    spans = []
    live = LiveTranscriber(recognizer, spans.append)
    source = MicrophoneSource(virtual_mic.DEVICE)
    errors = []
    recorder = Recorder(source, listeners=[live.feed], on_error=errors.append)
    recorder.start()
    live.start()
    try:
        player = virtual_mic.play(mic_wav)
        assert player.wait(60) == 0
    finally:
        result = recorder.stop()
        live.finish(timeout=60)
    assert errors == [] and result.error == ""
    assert not result.recording.in_progress and find_interrupted_recordings() == []
    _, played_rate = read_wav(mic_wav)
    samples, rate = read_wav(result.recording.audio_path)
    assert rate == 16000
    assert len(samples) / rate >= len(read_wav(mic_wav)[0]) / played_rate - 0.5  # the whole clip arrived
    recorded = recognizer.transcribe_file(result.recording.audio_path)
    assert word_error_rate(MIC_SCRIPT, recorded.text) <= 0.25, recorded.text
    live_text = " ".join(span.text for span in spans)
    heard = set(words(live_text)) | set(words(recorded.text))
    assert set(MIC_KEY_WORDS) <= heard, (live_text, recorded.text)
    assert spans and set(MIC_KEY_WORDS) & set(words(live_text)), live_text
    for span in spans:
        result.recording.append_span(span)
    assert [s["text"] for s in result.recording.saved_spans()] == [s.text for s in spans]
