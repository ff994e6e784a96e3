"""Issue 20, items 19-21: broken .vtt cues, binary and very long transcripts, option order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import cli
from assistant.commands import summarize as command
from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings.transcript import LONG_TRANSCRIPT_WORDS, TranscriptError, load_transcript
from tests.support.notes import extraction_json
from tests.support.ui_helpers import open_window

NOTES = json.loads(extraction_json(title="Release", summary=["Ship Friday."]))
BROKEN_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Anna>Good morning everyone.

2
00:00:05,000 -> 00:00:0X.000
<v Dana>We ship on Friday; Dana owns the release notes.

3
00:00:09.000 --> 00:00:12.000
<v Ben>Sounds good.

4
00:00:13.000 --> 00:61:99
<v Anna>Then we are done.
"""


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    made: list[tuple[str, int]] = []

    def load(path: str, n_ctx: int) -> FakeEngine:
        made.append((path, n_ctx))
        engine = FakeEngine([json.dumps(NOTES)] * 50, n_ctx=n_ctx)
        engine.load(path)
        return engine

    monkeypatch.setattr(command, "load_engine", load)
    return made


# -- 19 ------------------------------------------------------------------------------------


def test_broken_vtt_cues_keep_their_text_with_a_warning(tmp_path: Path, loads, capsys) -> None:
    path = tmp_path / "meeting.vtt"
    path.write_text(BROKEN_VTT, encoding="utf-8")
    transcript = load_transcript(path)
    texts = [s.text for s in transcript.segments]
    assert "We ship on Friday; Dana owns the release notes." in texts and "Then we are done." in texts
    assert len(texts) == 4 and transcript.source_format == "vtt"
    assert transcript.warnings == ["2 of 4 cues had a timing line that could not be read; their text is kept without a time."]
    assert cli.main(["summarize", str(path), "--model", "m.gguf"]) == 0
    assert "Note: 2 of 4 cues had a timing line" in capsys.readouterr().err


# -- 20 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notes.txt", "call.vtt"])
def test_binary_files_are_refused_before_any_model_loads(tmp_path: Path, loads, capsys, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"RIFF\x24\x08\x00\x00WAVEfmt " + bytes(range(256)) * 64)
    with pytest.raises(TranscriptError, match="not a text transcript"):
        load_transcript(path)
    assert cli.main(["summarize", str(path), "--model", "m.gguf"]) == 1
    assert "not a text transcript" in capsys.readouterr().err and loads == []


def _long_file(tmp_path: Path) -> Path:
    path = tmp_path / "long.txt"
    path.write_text("Anna: " + "word " * (LONG_TRANSCRIPT_WORDS + 10), encoding="utf-8")
    return path


def test_long_transcript_needs_yes_on_the_command_line(tmp_path: Path, loads, capsys) -> None:
    path = _long_file(tmp_path)
    assert cli.main(["summarize", str(path), "--model", "m.gguf"]) == 1
    err = capsys.readouterr().err
    assert "20,010 words" in err and "about 20 minutes" in err and "--yes" in err and loads == []
    assert cli.main(["summarize", str(path), "--model", "m.gguf", "--yes", "--ctx", "8192"]) == 0
    assert "about 20 minutes" in capsys.readouterr().err and len(loads) == 1


def test_long_transcript_in_the_window_asks_first(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "m.gguf"
    model.write_text("x")
    window = open_window(qtbot, FakeEngine([json.dumps(NOTES)] * 50, n_ctx=8192), str(model))
    page = window.meetings_page
    asked: list[str] = []
    monkeypatch.setattr(page, "ask_long", lambda notice: asked.append(notice) or False)
    page.transcript_edit.setPlainText(_long_file(tmp_path).read_text())
    assert page.summarize() is False and page.request is None
    assert "20,011 words" in asked[0] and "Not started" in page.status.text()
    page.transcript_edit.setPlainText("Dana: We ship on Friday.")
    assert page.summarize() is True and len(asked) == 1  # short ones start without a question
    qtbot.waitUntil(lambda: page.request is None, timeout=120_000)


# -- 21 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("option", "value"), [("--ctx", "-5"), ("--ctx", "0"), ("--max-tokens", "-1")])
def test_bad_sizes_are_blamed_on_the_option(tmp_path: Path, loads, capsys, option: str, value: str) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Anna: hello", encoding="utf-8")
    assert cli.main(["summarize", str(path), "--model", "m.gguf", option, value]) == 1
    err = capsys.readouterr().err
    assert option in err and "model" not in err.lower() and loads == []


def test_transcribe_reports_a_missing_audio_file_before_the_model(tmp_path: Path, capsys) -> None:
    assert cli.main(["transcribe", str(tmp_path / "missing.wav"), "--stt-model", str(tmp_path / "no-model")]) == 1
    err = capsys.readouterr().err
    assert "missing.wav" in err and "does not exist" in err and "model" not in err.lower()
