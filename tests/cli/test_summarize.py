"""`llama-desk summarize FILE`: options, output on stdout, progress and errors on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant import cli
from assistant.commands import summarize as command
from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings.notes import MeetingNotes
from tests.support import TEST_DATA
from tests.support.models import ENGINE_THREADS
from tests.support.notes import extraction_json

DATA = TEST_DATA / "transcripts"
REPLY = extraction_json(
    title="Platform stand-up",
    summary=["Retry logic done", "Login bug on Windows"],
    decisions=["Go/no-go decided tomorrow"],
    commitments=[("Maya", "Write the release notes draft", "by Thursday"), ("Jonas", "Pair on the login bug", "")],
    questions=["Postpone the release?"],
    sessions=[("Go/no-go", "tomorrow at 10:00")],
)


@pytest.fixture
def fake_model(monkeypatch):
    """Replace the model loader (the Engine seam) with a FakeEngine; returns the loads made."""
    loads: list[tuple[str, int]] = []
    replies = {"value": [REPLY]}

    def load(path: str, n_ctx: int) -> FakeEngine:
        loads.append((path, n_ctx))
        engine = FakeEngine(replies["value"], n_ctx=n_ctx)
        engine.load(path)
        return engine

    monkeypatch.setattr(command, "load_engine", load)
    return loads, replies


def test_help_lists_the_options():
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "summarize", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for option in ("FILE", "--model PATH", "--json", "--now ISO-DATETIME", "--tz ZONE", "--ctx N", "--max-tokens N"):
        assert option in out


def test_json_output_is_the_validated_object(fake_model, capsys):
    loads, _ = fake_model
    code = cli.main(
        [
            "summarize",
            str(DATA / "standup.txt"),
            "--model",
            "m.gguf",
            "--json",
            "--now",
            "2026-11-24T10:00",
            "--tz",
            "Europe/Berlin",
            "--ctx",
            "2048",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert loads == [("m.gguf", 2048)]
    data = json.loads(captured.out)
    assert list(data) == ["title", "summary", "decisions", "action_items", "open_questions", "proposed_events"]
    assert MeetingNotes.from_dict(data).title == "Platform stand-up"
    assert data["action_items"][0]["due"] == "2026-11-26"  # "by Thursday" after Tuesday 24 Nov, resolved by code
    assert data["action_items"][0]["due_said"] == "by Thursday"  # the words kept beside it
    assert data["action_items"][1]["due"] is None
    assert data["proposed_events"][0]["start"] == "2026-11-25T10:00+01:00"
    assert data["proposed_events"][0]["start_said"] == "tomorrow at 10:00"
    assert "[1/1]" in captured.err and "Summarizing" in captured.err


def test_markdown_output_and_global_model_option(fake_model, capsys):
    loads, _ = fake_model
    code = cli.main(["--model", "global.gguf", "summarize", str(DATA / "standup.txt"), "--now", "2026-11-24T10:00"])
    out = capsys.readouterr().out
    assert code == 0 and loads[0][0] == "global.gguf"
    assert out.startswith("# Platform stand-up\n")
    assert "- [ ] Write the release notes draft (Maya, due 2026-11-26 — “by Thursday”)" in out


def test_plain_text_fallback_exit_code_and_notice(fake_model, capsys):
    _, replies = fake_model
    replies["value"] = ["{broken", "still broken", "Maya drafts the release notes."]
    code = cli.main(["summarize", str(DATA / "standup.txt"), "--model", "m.gguf", "--json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert "plain text" in captured.err and "Maya drafts the release notes." in captured.err

    code = cli.main(["summarize", str(DATA / "standup.txt"), "--model", "m.gguf"])
    captured = capsys.readouterr()
    assert code == 2 and "> **Note:**" in captured.out and "Maya drafts the release notes." in captured.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summarize", "missing.txt", "--model", "m.gguf"], "does not exist"),
        (["summarize", str(DATA / "standup.txt")], "No model given"),
        (["summarize", str(DATA / "standup.txt"), "--model", "m.gguf", "--tz", "Mars/Olympus"], "Unknown time zone"),
        (["summarize", str(DATA / "standup.txt"), "--model", "m.gguf", "--now", "next week"], "not a date and time"),
    ],
)
def test_errors_are_plain_and_exit_1(fake_model, capsys, args, message):
    assert cli.main(args) == 1
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_real_model_end_to_end(smollm_path, tmp_path):
    """The real command in a subprocess with SmolLM2: validated JSON on stdout, progress on stderr."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "summarize",
            str(DATA / "small.srt"),
            "--model",
            str(smollm_path),
            "--json",
            "--ctx",
            "2048",
            "--max-tokens",
            "32",
            "--now",
            "2026-11-24T10:00",
            "--tz",
            "Europe/Berlin",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "LLAMA_DESK_THREADS": str(ENGINE_THREADS)},  # the command runs alone: both cores
    )
    assert run.returncode == 0, run.stderr
    MeetingNotes.from_dict(json.loads(run.stdout))
    assert "[1/1]" in run.stderr
