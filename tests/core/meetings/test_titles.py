"""A session's title in the words said with its time (meetings/titles.py), at the FakeEngine seam."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from assistant.core.engines.base import GenerationParams
from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings import MeetingContext
from assistant.core.meetings.examples import example_for
from assistant.core.meetings.notes import ProposedEvent
from assistant.core.meetings.titles import TITLE_SCHEMA, name_as_said

HIRING = """[00:01:30] Theo: I still need to write up my interview feedback for the senior backend role.
[00:01:57] Monique: And about the second opening, the data role: we keep it open.
[00:02:07] Theo: We could ask Sam about the data role, maybe?
[00:02:10] Elena: Let's see.
[00:02:13] Monique: Hmm, not now. Jordan wanted a follow-up call about the team. Can we do Thursday at 4:30?
[00:02:22] Ravi: Thursday at 4:30, I can join."""


@pytest.fixture
def context() -> MeetingContext:
    return MeetingContext.create(datetime(2027, 1, 19, 14, 0), "America/New_York")


def ask(context: MeetingContext, text: str, events: list[ProposedEvent], answer: str) -> list[list[dict]]:
    """Run the title check with a model answering ``answer``; the questions it was asked."""
    asked: list[list[dict]] = []

    def script(messages, params) -> str:
        assert params.json_schema == TITLE_SCHEMA
        asked.append(messages)
        return json.dumps({"title": answer})

    engine = FakeEngine(script, n_ctx=4096)
    engine.load("fake.gguf")

    def generate(messages, max_tokens, schema, stop):
        return "".join(engine.stream_chat(messages, GenerationParams(max_tokens=max_tokens, json_schema=schema))), False

    assert name_as_said(generate, context, text, events, None) is False
    return asked


def test_a_title_not_said_with_its_time_is_asked_again_from_those_lines(context):
    call = ProposedEvent(title="Senior backend interview", start="2027-01-21T16:30-05:00", start_said="Thursday at 4:30")
    [messages] = ask(context, HIRING, [call], "Follow-up call about the team")
    assert call.title == "Follow-up call about the team"
    shown = messages[-1]["content"]
    assert "Jordan wanted a follow-up call" in shown and "I can join" in shown and "Let's see" in shown
    assert "senior backend role" not in shown  # only the lines of its time, and the one before them


@pytest.mark.parametrize("answer", ["Senior backend role interview", "Thursday at 4:30", ""])
def test_a_new_title_is_kept_only_when_its_own_words_are_in_those_lines(context, answer):
    call = ProposedEvent(title="Senior backend interview", start="2027-01-21T16:30-05:00", start_said="Thursday at 4:30")
    ask(context, HIRING, [call], answer)
    assert call.title == "Senior backend interview"


@pytest.mark.parametrize(
    "event",
    [
        ProposedEvent(title="Data role chat", start="2027-01-21T16:30-05:00", start_said="Thursday at 4:30"),  # said 3 lines before
        ProposedEvent(title="Meeting", start="2027-01-21T16:30-05:00", start_said="Thursday at 4:30"),  # names only a kind
        ProposedEvent(title="Offsite", start="2027-01-21", start_said="Thursday"),  # no hour to go by
        ProposedEvent(title="Offsite", start="2027-01-22T10:00-05:00", start_said="Friday at 10"),  # its time is not said
    ],
)
def test_titles_said_near_their_time_or_without_a_time_said_are_not_asked(context, event):
    title = event.title
    assert ask(context, HIRING, [event], "Follow-up call") == []
    assert event.title == title


def test_the_worked_answer_is_in_the_meetings_language():
    context = MeetingContext.create(datetime(2027, 1, 8, 10, 0), "Europe/Paris", language="fr")
    text = ("[00:01:32] Julien: Le shooting, c'est quand déjà ?\n"
            "[00:01:37] Élodie: Le 19 — non, pardon, le 20 janvier, à 9 h 30, au studio de Montreuil.")  # fmt: skip
    shoot = ProposedEvent(title="Maquettes", start="2027-01-20T09:30+01:00", start_said="le 20 janvier, à 9 h 30")
    [messages] = ask(context, text, [shoot], "Shooting")
    assert shoot.title == "Shooting"
    _transcript, reply = example_for("fr")
    assert json.loads(messages[2]["content"]) == {"title": reply["sessions"][0]["title"]}
    assert reply["sessions"][0]["when"] in messages[1]["content"]
