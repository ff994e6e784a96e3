"""The scripted engine behaves like an engine: streams, stops, counts, reuses prefixes."""

from __future__ import annotations

import threading

from assistant.core.engines.base import GenerationParams
from assistant.core.engines.fake import FakeEngine


def test_streams_scripted_replies_in_turn_and_records_calls():
    engine = FakeEngine(["one two three", "four"])
    engine.load("x.gguf")
    assert list(engine.stream_chat([{"role": "user", "content": "a"}])) == ["one", " two", " three"]
    assert engine.chat([{"role": "user", "content": "b"}]) == "four"
    assert engine.chat([{"role": "user", "content": "c"}]) == "four"
    assert [call[0][-1]["content"] for call in engine.calls] == ["a", "b", "c"]
    assert engine.last_stats.completion_tokens == 1


def test_stop_event_and_max_tokens():
    engine = FakeEngine(["a b c d e f"])
    engine.load("x.gguf")
    stop = threading.Event()
    got = []
    for piece in engine.stream_chat([{"role": "user", "content": "q"}], stop_event=stop):
        got.append(piece)
        if len(got) == 2:
            stop.set()
    assert got == ["a", " b"] and engine.last_stats.finish_reason == "cancelled"
    assert engine.chat([{"role": "user", "content": "q"}], GenerationParams(max_tokens=3)) == "a b c"
    assert engine.last_stats.finish_reason == "length"


def test_second_turn_reuses_the_cached_prefix():
    engine = FakeEngine(["fine thanks"])
    engine.load("x.gguf")
    first = [{"role": "user", "content": "how are you"}]
    reply = engine.chat(first)
    engine.chat([*first, {"role": "assistant", "content": reply}, {"role": "user", "content": "and then"}])
    stats = engine.last_stats
    assert stats.prompt_tokens_evaluated < stats.prompt_tokens
