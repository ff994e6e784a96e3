"""`llama-desk templates list`, `summarize --template/--language` and `transcribe --language` from the command line."""

from __future__ import annotations

import json

import pytest

from assistant import cli
from assistant.commands import summarize as command
from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings.templates import make_template, save_template
from tests.support import TEST_DATA
from tests.support.notes import answering_checks, extraction_json

DATA = TEST_DATA / "transcripts"
REPLY = extraction_json(
    title="Platform stand-up",
    summary=["Retry logic done"],
    decisions=["Go/no-go decided tomorrow"],
    commitments=[("Maya", "Write the release notes draft", "by Thursday")],
    questions=["Postpone the release?"],
)


@pytest.fixture
def engines(monkeypatch):
    made: list[FakeEngine] = []

    def load(path: str, n_ctx: int) -> FakeEngine:
        engine = FakeEngine(answering_checks([REPLY]), n_ctx=n_ctx)
        engine.load(path)
        made.append(engine)
        return engine

    monkeypatch.setattr(command, "load_engine", load)
    return made


def test_templates_list_shows_builtin_and_user_templates(capsys):
    save_template(make_template("retro", "Retro", "What went well.", ["summary", "decisions"]))
    assert cli.main(["templates", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("general", "stand-up", "one-on-one", "customer-call", "lecture", "retro"):
        assert name in out
    assert "Retro (yours): summary, decisions" in out
    assert cli.main(["templates", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in listed][-1] == "retro" and listed[0]["builtin"] is True


def test_summarize_with_a_template_adds_its_instructions_and_shows_its_sections(engines, capsys):
    code = cli.main(["summarize", str(DATA / "standup.txt"), "--model", "m.gguf", "--template", "stand-up", "--now", "2026-11-24T10:00"])
    out = capsys.readouterr().out
    assert code == 0
    system = engines[0].calls[0][0][0]["content"]
    assert "This is a stand-up." in system
    assert "## Action items" in out and "## Decisions" not in out  # the stand-up template hides decisions


def test_summarize_in_a_chosen_language_asks_for_it(engines, capsys):
    assert cli.main(["summarize", str(DATA / "standup.txt"), "--model", "m.gguf", "--language", "es", "--json"]) == 0
    assert "Write all text in Spanish." in engines[0].calls[0][0][0]["content"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summarize", str(DATA / "standup.txt"), "--model", "m.gguf", "--template", "nope"], "no template called 'nope'"),
        (["summarize", str(DATA / "standup.txt"), "--model", "m.gguf", "--language", "klingon"], "Unknown language"),
        (["transcribe", str(DATA / "standup.txt"), "--language", "xx"], "Unknown language"),
    ],
)
def test_bad_template_or_language_is_a_plain_error(engines, capsys, args, message):
    assert cli.main(args) == 1
    assert message in capsys.readouterr().err
    assert not engines  # refused before any model is loaded
