"""Meetings in other languages: the Models page offers and downloads a multilingual speech model, the Meetings
page uses one for a non-English meeting (imports and recordings) and says what to download when there is none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core import settings
from assistant.core.engines.fake import FakeEngine
from assistant.core.models.catalog import load_catalog, parse_catalog
from assistant.core.paths import models_dir
from assistant.ui.models_page import ModelsPage
from tests.support.hub_server import COMMIT, HubServer, sha256_of
from tests.support.profiles import PROFILES
from tests.support.ui_helpers import close_window, open_window

REPO = "test-org/faster-whisper-multi"
FILES = ("config.json", "model.bin", "tokenizer.json")


def _fake_model_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (folder / name).write_text(json.dumps({"file": name}))
    return folder


@pytest.fixture
def hub(tmp_path, monkeypatch):
    source = _fake_model_folder(tmp_path / "source")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with HubServer() as server:
        for name in FILES:
            server.add(REPO, name, source / name)
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        yield server, source


def _catalog(source: Path):
    def speech(model_id: str, english: bool) -> dict:
        files = [{"path": n, "sha256": sha256_of(source / n), "size": (source / n).stat().st_size} for n in FILES]
        name = "Whisper test (English)" if english else "Whisper test (multilingual)"
        return {"id": model_id, "name": name, "english_only": english, "repo": REPO, "revision": COMMIT, "approx_size": 100, "files": files}

    llm = {
        "id": "llm-test", "name": "LLM test", "parameters": 135_000_000, "layers": 30, "kv_heads": 3, "head_dim": 64,
        "context_length": 8192, "vocab_size": 49152, "source": {"repo": "test-org/llm", "revision": COMMIT},
        "builds": [{"quant": "Q8_0", "file": "llm.gguf", "size": 1000, "sha256": "0" * 64}],
    }
    speech_models = [speech("whisper-tiny.en", True), speech("whisper-tiny", False)]
    return parse_catalog({"format": 1, "models": [llm], "speech": speech_models}, "test")


def test_models_page_offers_and_downloads_the_multilingual_speech_model(qtbot, hub):
    _server, source = hub
    page = ModelsPage(_catalog(source), PROFILES["16 GB laptop (AVX2)"], 8192)
    qtbot.addWidget(page)
    assert not page.multilingual() and page.speech_choice().model.id == "whisper-tiny.en"
    page.want_multilingual()
    assert page.speech_choice().model.id == "whisper-tiny" and "multilingual" in page.speech_button.text()
    assert page.speech_button.isEnabled()
    with qtbot.waitSignal(page.speechModelReady, timeout=60_000) as ready:
        page.speech_button.click()
    assert Path(ready.args[0]) == models_dir() / "whisper-tiny"
    assert (models_dir() / "whisper-tiny" / "model.bin").read_bytes() == (source / "model.bin").read_bytes()
    qtbot.waitUntil(lambda: page.speech_job is None, timeout=60_000)
    assert "Downloaded" in page.speech_label.text() and not page.speech_button.isEnabled()


def test_the_shipped_catalog_has_a_multilingual_choice():
    page_catalog = load_catalog()
    assert any(not m.english_only for m in page_catalog.speech)


def test_a_german_meeting_uses_a_multilingual_speech_model_for_imports_and_recordings(qtbot, tmp_path):
    english = _fake_model_folder(models_dir() / "whisper-tiny.en")
    window = open_window(qtbot, FakeEngine())
    window.store.set_setting(settings.SPEECH_MODEL, str(english))
    page = window.meetings_page
    page.options.set_language("de")
    assert "download a multilingual speech model" in page.status.text() and "models:multilingual" in page.status.text()
    assert page.speech_for_meeting() == (str(english), None)  # nothing better: the default, language detected
    page.status.linkActivated.emit("models:multilingual")  # the link opens the Models page, multilingual chosen
    assert window.tabs.currentWidget() is window.models_page and window.models_page.multilingual()

    multi = _fake_model_folder(models_dir() / "whisper-base")
    page.options.set_language("es")
    assert page.speech_for_meeting() == (str(multi), "es")
    assert (page.recorder.stt_model, page.recorder.language) == (str(multi), "es")  # the next recording hears Spanish
    page.options.set_language("en")
    assert page.speech_for_meeting() == (str(english), "en") and page.recorder.stt_model == str(english)
    assert page.recorder.language == "en"

    page.options.set_language("es")
    audio = tmp_path / "call.wav"
    audio.write_bytes(b"RIFF")
    page.transcribe_audio(str(audio))
    job = page.transcribe_job
    assert (job.model, job.language) == (str(multi), "es")
    job.wait(60_000)  # the fake model folder cannot load: the job reports that and ends
    qtbot.waitUntil(lambda: "could not be loaded" in page.status.text() or "could not be read" in page.status.text(), timeout=60_000)
    close_window(window)
