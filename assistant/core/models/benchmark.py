"""A short benchmark of the loaded model on this computer: prefill, decode, memory.

It goes through the Engine seam (the same path as a chat reply), so it measures
what the user gets. It runs as a worker task::

    bridge.run_task(lambda engine, stop, progress: run_benchmark(engine, stop, progress))

Progress is reported as a fraction from 0.0 to 1.0; setting the stop event ends it
within one token (the prompt itself is one long call and cannot be cut short).
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from assistant.core.engines.base import Engine, EngineError, GenerationParams, Message

#: Plain filler for the prompt; only its length matters.
FILLER_SENTENCE = (
    "The committee met on Tuesday to review the budget, the schedule for the new library, "
    "and the plan for repairing the roads before winter. "
)
DECODE_INSTRUCTION = "Write a long, detailed story about a lighthouse keeper. Do not stop early."


@dataclass
class BenchmarkResult:
    """What a benchmark run measured."""

    model_name: str
    n_threads: int
    prompt_tokens: int  # tokens run through the model for the prompt
    prefill_seconds: float
    prefill_tokens_per_second: float
    decode_tokens: int
    decode_tokens_per_second: float
    rss_bytes: int  # resident memory of this process after the run
    peak_rss_bytes: int  # highest resident memory of this process so far
    total_seconds: float
    cancelled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary_lines(self) -> list[str]:
        """The result in plain words, one measurement a line."""
        lines = [
            f"Model: {self.model_name} ({self.n_threads} threads)",
            f"Reading the prompt: {self.prefill_tokens_per_second:,.1f} tokens/s ({self.prompt_tokens} tokens)",
            f"Writing the reply: {self.decode_tokens_per_second:,.1f} tokens/s ({self.decode_tokens} tokens)",
            f"Memory: {self.peak_rss_bytes / 2**20:,.0f} MB at most ({self.rss_bytes / 2**20:,.0f} MB now)",
        ]
        if self.cancelled:
            lines.append("Stopped before the end: the figures are partial.")
        return lines


def current_rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def peak_rss_bytes() -> int:
    """The highest resident memory of this process (falls back to the current one)."""
    import psutil

    info = psutil.Process().memory_info()
    peak = getattr(info, "peak_wset", 0)  # Windows
    if peak:
        return int(peak)
    try:
        import resource

        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(maxrss if sys.platform == "darwin" else maxrss * 1024)  # bytes on macOS, KiB elsewhere
    except (ImportError, OSError):
        return int(info.rss)


def benchmark_messages(engine: Engine, prompt_tokens: int) -> list[Message]:
    """A conversation of about ``prompt_tokens`` tokens that asks for a long reply.

    It starts with a fresh random tag so no earlier prompt can be reused from the
    model's cache: the whole prompt is evaluated every time.
    """
    tag = f"Benchmark run {uuid.uuid4().hex[:12]}."
    user: Message = {"role": "user", "content": DECODE_INSTRUCTION}

    def build(repeats: int) -> list[Message]:
        return [{"role": "system", "content": tag + " Background notes: " + FILLER_SENTENCE * repeats}, user]

    base = engine.count_prompt_tokens(build(0))
    per_sentence = max(1, engine.count_prompt_tokens(build(1)) - base)
    repeats = max(0, (prompt_tokens - base) // per_sentence)
    messages = build(repeats)
    while repeats > 0 and engine.count_prompt_tokens(messages) > prompt_tokens:
        repeats -= 1
        messages = build(repeats)
    return messages


def run_benchmark(
    engine: Engine,
    stop_event: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
    *,
    prompt_tokens: int = 256,
    decode_tokens: int = 64,
) -> BenchmarkResult:
    """Evaluate a prompt of about ``prompt_tokens`` tokens, then write ``decode_tokens`` tokens."""
    if not engine.loaded or engine.info is None:
        raise EngineError("Load a model before running the benchmark.")
    stop_event = stop_event or threading.Event()
    report = progress or (lambda _value: None)
    room = engine.context_size - decode_tokens - 8
    if room < 16:
        raise EngineError("The model's context is too small for the benchmark; load it with a larger context.")
    started = time.perf_counter()
    report(0.0)
    messages = benchmark_messages(engine, min(prompt_tokens, room))
    params = GenerationParams(max_tokens=decode_tokens, temperature=0.0, seed=1)
    report(0.05)
    for _piece in engine.stream_chat(messages, params, stop_event):
        report(0.1 + 0.9 * min(1.0, engine.last_stats.completion_tokens / decode_tokens))
    stats = engine.last_stats
    prefill_seconds = stats.time_to_first_token
    evaluated = stats.prompt_tokens_evaluated
    report(1.0)
    return BenchmarkResult(
        model_name=engine.info.model_name,
        n_threads=engine.info.n_threads,
        prompt_tokens=evaluated,
        prefill_seconds=prefill_seconds,
        prefill_tokens_per_second=evaluated / prefill_seconds if prefill_seconds > 0 else 0.0,
        decode_tokens=stats.completion_tokens,
        decode_tokens_per_second=stats.tokens_per_second,
        rss_bytes=current_rss_bytes(),
        peak_rss_bytes=peak_rss_bytes(),
        total_seconds=time.perf_counter() - started,
        cancelled=stop_event.is_set() or stats.finish_reason == "cancelled",
    )


def benchmark_task(prompt_tokens: int = 256, decode_tokens: int = 64) -> Callable[[Engine, threading.Event, Callable[[Any], None]], BenchmarkResult]:
    """The benchmark as a worker task (``ModelBridge.run_task``)."""

    def task(engine: Engine, stop_event: threading.Event, progress: Callable[[Any], None]) -> BenchmarkResult:
        return run_benchmark(engine, stop_event, progress, prompt_tokens=prompt_tokens, decode_tokens=decode_tokens)

    return task
