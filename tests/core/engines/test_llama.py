"""The local engine on a real GGUF (SmolLM2-135M, Llama architecture)."""

from __future__ import annotations

import json
import threading

import pytest

from assistant.core.engines.base import ContextOverflowError, GenerationParams, ModelFileError
from assistant.core.engines.llama import LlamaCppEngine
from tests.support.models import ENGINE_THREADS


@pytest.fixture(scope="module")
def engine(smollm_path):
    engine = LlamaCppEngine(n_threads=ENGINE_THREADS)
    engine.load(smollm_path, n_ctx=2048)
    yield engine
    engine.unload()


def test_load_reports_the_model(engine, smollm_path):
    info = engine.info
    assert info.architecture == "llama" and info.n_ctx == 2048
    assert info.file_size == smollm_path.stat().st_size
    assert info.n_threads >= 1


def test_prompt_uses_the_chat_template_from_the_gguf(engine):
    prompt = engine.render_prompt([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    assert prompt == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert engine.count_prompt_tokens([{"role": "user", "content": "Hi"}]) > engine.count_tokens("Hi")


def test_streams_a_reply_piece_by_piece_with_stats(engine):
    pieces = list(engine.stream_chat([{"role": "user", "content": "Name three colours."}], GenerationParams(max_tokens=24, temperature=0)))
    assert len(pieces) > 3 and "".join(pieces).strip()
    stats = engine.last_stats
    assert stats.completion_tokens >= len(pieces) - 1
    assert stats.tokens_per_second > 0 and 0 < stats.time_to_first_token < stats.total_seconds


def test_stop_event_ends_the_reply_within_one_token(engine):
    stop = threading.Event()
    pieces = []
    counted_at_stop = 0
    for piece in engine.stream_chat([{"role": "user", "content": "Write a long story about a ship."}], GenerationParams(max_tokens=300), stop):
        pieces.append(piece)
        if len(pieces) == 4:
            stop.set()
            counted_at_stop = engine.last_stats.completion_tokens
    assert len(pieces) == 4
    assert engine.last_stats.finish_reason == "cancelled"
    assert engine.last_stats.completion_tokens <= counted_at_stop + 1


def test_second_turn_reuses_the_prompt_prefix_in_the_kv_cache(engine):
    first = [{"role": "system", "content": "You answer questions."}, {"role": "user", "content": "What is two plus two?"}]
    reply = engine.chat(first, GenerationParams(max_tokens=16, temperature=0))
    second = [*first, {"role": "assistant", "content": reply}, {"role": "user", "content": "And three plus three?"}]
    engine.chat(second, GenerationParams(max_tokens=16, temperature=0))
    stats = engine.last_stats
    assert stats.prompt_tokens > 30
    assert stats.prompt_tokens_evaluated < stats.prompt_tokens / 2


def test_json_schema_constrains_the_output(engine):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "people": {"type": "integer"}},
        "required": ["city", "people"],
    }
    text = engine.chat([{"role": "user", "content": "Give a city and its population as JSON."}], GenerationParams(max_tokens=60, temperature=0, json_schema=schema))
    data = json.loads(text)
    assert isinstance(data["city"], str) and isinstance(data["people"], int)


def test_prompt_longer_than_the_context_is_refused(engine):
    with pytest.raises(ContextOverflowError):
        list(engine.stream_chat([{"role": "user", "content": "word " * 3000}]))


def test_bad_files_are_refused_before_llama_cpp_sees_them(tmp_path):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"not a model" * 50)
    with pytest.raises(ModelFileError, match="not a GGUF"):
        LlamaCppEngine().load(bad)


def test_default_threads_leave_a_core_for_the_app(monkeypatch):
    from assistant.core.engines import llama as llama_engine

    monkeypatch.delenv("LLAMA_DESK_THREADS", raising=False)
    monkeypatch.setattr(llama_engine, "physical_cores", lambda: 8)
    assert llama_engine.default_threads() == 7
    monkeypatch.setattr(llama_engine, "physical_cores", lambda: 1)
    assert llama_engine.default_threads() == 1
    monkeypatch.setenv("LLAMA_DESK_THREADS", "3")
    assert llama_engine.default_threads() == 3 and LlamaCppEngine().n_threads == 3


def _long_prompt(tag: str) -> list[dict]:
    return [{"role": "user", "content": f"{tag}: " + " ".join(f"item{i}" for i in range(100)) + ". Name one item."}]


def test_a_stop_during_a_long_prefill_ends_it_between_slices(smollm_path):
    engine = LlamaCppEngine(prefill_slice=32)
    engine.load(smollm_path, n_ctx=2048)
    stop = threading.Event()
    original_eval = engine._llm.eval
    slices: list[int] = []

    def counting_eval(tokens):
        slices.append(len(tokens))
        original_eval(tokens)
        stop.set()  # as if the user pressed Stop while the first slice was read

    engine._llm.eval = counting_eval
    try:
        assert "".join(engine.stream_chat(_long_prompt("stop"), GenerationParams(max_tokens=5), stop)) == ""
    finally:
        engine._llm.eval = original_eval
    assert slices == [32] and engine.last_stats.finish_reason == "cancelled"
    engine.unload()


def test_a_saved_cache_put_back_after_other_work_lets_the_prompt_continue_without_reading_it_again(smollm_path):
    engine = LlamaCppEngine(n_threads=ENGINE_THREADS)
    engine.load(smollm_path, n_ctx=2048)
    params = GenerationParams(max_tokens=1, temperature=0.0)
    background = _long_prompt("notes")
    engine.chat(background, params)
    full = engine.last_stats.prompt_tokens
    saved = engine.save_cache()
    engine.chat([{"role": "user", "content": "A different question from the chat."}], params)
    assert engine.restore_cache(saved)
    engine.chat(background, params)
    assert engine.last_stats.prompt_tokens == full
    assert engine.last_stats.prompt_tokens_evaluated <= 2  # read from the restored cache, not again
    engine.chat([{"role": "user", "content": "Something else again."}], params)
    engine.chat(background, params)
    assert engine.last_stats.prompt_tokens_evaluated > full // 2  # without restoring, it is read again
    engine.unload()
    assert not engine.restore_cache(saved)  # a saved cache belongs to the model it came from
