"""The chat's state machine: one state, one owner of the turn, and a reason for every refusal."""

from __future__ import annotations

import pytest

from assistant.core.chat.session import Action, ChatSession, ChatState


def _ready(conversation: int | None = 1) -> ChatSession:
    session = ChatSession(model_problem=None, titles={1: "Plans", 2: "Other"})
    session.show(conversation)
    return session


def test_idle_with_a_model_allows_everything_but_stop():
    session = _ready()
    assert session.can_send() and session.allowed(Action.NEW) and session.allowed(Action.DELETE)
    assert session.refusal(Action.STOP) == "Nothing is running."


def test_without_a_model_no_turn_starts_and_the_reason_is_the_models():
    session = ChatSession(model_problem="No model is loaded: broken.gguf could not be opened.")
    session.show(1)
    assert session.refusal(Action.SEND) == "No model is loaded: broken.gguf could not be opened."
    assert not session.allowed(Action.REGENERATE) and not session.allowed(Action.EDIT)
    assert session.allowed(Action.NEW) and session.allowed(Action.SWITCH)


@pytest.mark.parametrize("state", [ChatState.STREAMING, ChatState.RUNNING_TOOLS])
def test_while_work_runs_only_stop_rename_and_export(state):
    session = _ready()
    session.begin_turn()
    if state is ChatState.RUNNING_TOOLS:
        session.run_tools()
    assert session.state is state and session.owns(1)
    allowed = {action for action in Action if session.allowed(action)}
    assert allowed == {Action.STOP, Action.RENAME, Action.EXPORT}
    assert "press Stop" in session.refusal(Action.NEW)
    waiting_for = "calendar" if state is ChatState.RUNNING_TOOLS else "reply"
    assert waiting_for in session.refusal(Action.SEND)


def test_cards_park_the_turn_in_its_conversation():
    session = _ready()
    session.begin_turn()
    session.run_tools()
    session.propose("a")
    session.propose("b")
    assert not session.tools_done() and session.state is ChatState.AWAITING_CONFIRMATION
    assert session.allowed(Action.SWITCH) and session.allowed(Action.NEW)
    assert not session.allowed(Action.DELETE) and not session.can_send()  # its own conversation
    session.show(2)
    assert session.allowed(Action.DELETE)  # another one may go
    assert session.refusal(Action.SEND) == "Add or cancel the proposed event in “Plans” first, or press Stop (Esc) to dismiss it."
    assert not session.decided("a")  # one card still waits
    assert session.decided("b")  # the last one: the model answers next
    session.reply_again()
    assert session.state is ChatState.STREAMING and session.turn_conversation == 1


def test_a_decision_after_the_turn_ended_starts_nothing():
    session = _ready()
    session.begin_turn()
    session.propose("a")
    session.tools_done()
    session.end_turn()
    assert not session.decided("a") and session.state is ChatState.IDLE and session.turn_conversation is None


def test_no_turn_without_a_conversation_and_deleting_the_shown_one_forgets_it():
    session = _ready(None)
    with pytest.raises(RuntimeError):
        session.begin_turn()
    assert session.refusal(Action.DELETE) == "Open or start a conversation first."
    session.show(2)
    session.forget(2)
    assert session.conversation_id is None and 2 not in session.titles
