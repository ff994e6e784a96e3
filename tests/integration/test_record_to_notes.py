"""Record → live transcript → live notes → stop → final notes, through a virtual microphone."""

from __future__ import annotations

import pytest

from assistant.core.engines.fake import FakeEngine
from assistant.core.settings import SPEECH_MODEL as SPEECH_MODEL_SETTING
from tests.support import stt_fixtures
from tests.support.notes import extraction_json
from tests.support.stt_fixtures import MIC_KEY_WORDS, words
from tests.support.ui_helpers import close_window, open_window

pytestmark = [pytest.mark.real_model, pytest.mark.audio]

mic_wav = stt_fixtures.mic_wav
stt_model_path = stt_fixtures.stt_model_path
virtual_mic = stt_fixtures.virtual_mic
meeting_wav = stt_fixtures.meeting_wav


def _notes(messages, params) -> str:
    heard = messages[-1]["content"]
    return extraction_json(title="Recorded meeting", summary=[heard.strip()[-80:]], commitments=[("", "Follow up", "")])


def test_recording_feeds_the_transcript_and_the_notes(qtbot, tmp_path, virtual_mic, mic_wav, stt_model_path):
    model = tmp_path / "m.gguf"
    model.write_text("x")
    engine = FakeEngine(_notes, n_ctx=4096)
    window = open_window(qtbot, engine, str(model))
    window.store.set_setting(SPEECH_MODEL_SETTING, str(stt_model_path))
    page = window.meetings_page
    panel = page.recorder
    assert panel.select_device(virtual_mic.DEVICE)
    with qtbot.waitSignal(panel.recordingStarted, timeout=60_000):
        panel.record_button.click()
    assert page.live_feed is not None  # the live notes session runs while recording
    player = virtual_mic.play(mic_wav)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=60_000)
    qtbot.waitUntil(lambda: bool(page.transcript_edit.toPlainText().strip()), timeout=60_000)
    with qtbot.waitSignal(panel.finished, timeout=60_000):
        panel.stop_button.click()
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    transcript = page.transcript_edit.toPlainText()
    assert transcript.startswith("[00:0")
    assert len(set(MIC_KEY_WORDS) & set(words(transcript))) >= 2, transcript
    assert engine.calls, "the notes were never asked for"
    assert any(word in engine.calls[0][0][-1]["content"] for word in words(transcript))  # the model read the transcript
    assert "Follow up" in page.notes_view.toPlainText()
    [meeting] = window.store.list_meetings()
    assert meeting.notes and meeting.transcript.strip() == transcript.strip()
    close_window(window)


def test_importing_an_audio_file_transcribes_then_summarizes(qtbot, tmp_path, meeting_wav, stt_model_path):
    model = tmp_path / "m.gguf"
    model.write_text("x")
    window = open_window(qtbot, FakeEngine(_notes, n_ctx=4096), str(model))
    window.store.set_setting(SPEECH_MODEL_SETTING, str(stt_model_path))
    page = window.meetings_page
    assert page.open_file(str(meeting_wav))
    qtbot.waitUntil(lambda: page.notes is not None and page.request is None, timeout=120_000)
    assert page.transcript_edit.toPlainText().startswith("[00:00:0")
    assert "Follow up" in page.notes_view.toPlainText()
    close_window(window)
