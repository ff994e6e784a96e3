"""Fitting a conversation into the context: oldest turns go first, with a notice."""

from __future__ import annotations

import pytest

from assistant.core.chat.prompt import plan_prompt
from assistant.core.engines.base import ContextOverflowError
from assistant.core.engines.fake import FakeEngine


def _engine(n_ctx: int) -> FakeEngine:
    engine = FakeEngine(n_ctx=n_ctx)
    engine.load("fake.gguf")
    return engine


def _history(turns: int, words: int = 20) -> list[dict]:
    history = []
    for turn in range(turns):
        history.append({"role": "user", "content": f"question {turn} " + "word " * words})
        history.append({"role": "assistant", "content": f"answer {turn} " + "word " * words})
    history.append({"role": "user", "content": "the newest question"})
    return history


def test_short_conversation_is_sent_whole():
    engine = _engine(4096)
    history = _history(3)
    plan = plan_prompt(engine, "Be nice.", history)
    assert plan.dropped == 0 and plan.notice is None
    assert plan.messages == [{"role": "system", "content": "Be nice."}, *history]
    assert plan.prompt_tokens == engine.count_prompt_tokens(plan.messages)


def test_long_conversation_drops_oldest_turns_and_says_so():
    engine = _engine(400)
    history = _history(20)
    plan = plan_prompt(engine, "Be nice.", history, reserve=100)
    assert plan.dropped > 0
    assert plan.prompt_tokens <= 400 - 100
    assert plan.messages[0]["role"] == "system"
    assert plan.messages[1]["role"] == "user"  # never starts on a reply without its question
    assert plan.messages[-1]["content"] == "the newest question"
    assert plan.messages[1:] == history[plan.dropped :]
    assert f"{plan.dropped} earliest messages" in plan.notice
    # It drops no more than it must: one more message would not have fitted.
    longer = [plan.messages[0], *history[plan.dropped - 2 :]]
    assert engine.count_prompt_tokens(longer) > 300


def test_notices_are_never_sent_to_the_model():
    engine = _engine(4096)
    plan = plan_prompt(engine, "", [{"role": "notice", "content": "x"}, {"role": "user", "content": "hi"}])
    assert plan.messages == [{"role": "user", "content": "hi"}]


def test_a_single_message_too_long_for_the_context_is_refused_clearly():
    engine = _engine(200)
    with pytest.raises(ContextOverflowError, match="too long for the model"):
        plan_prompt(engine, "", [{"role": "user", "content": "word " * 500}])
