"""Chat first-token latency while live notes run on the same model ÷ the same when the model is idle.

    python bench/scheduler.py [MODEL.gguf] [--ctx 4096] [--chats 5] [--quick] [--json OUT]

Without MODEL it uses the synthetic Llama-3.2-1B-shaped Q4_K_M build from
``bench/synthetic.py`` (built on first use). One ``LlamaCppEngine`` and one
``ModelScheduler`` running on a model thread, as in the app's worker; a chat request is
a job at interactive priority that streams a short reply to a new conversation (the
app's system prompt and one question, a different question each time).

1. idle: before each chat an unrelated prompt goes through the model, so the chat finds
   nothing of its own in the KV cache (as the first message of a new conversation would).
2. live: ``run_live_session`` runs as the app runs it (a task that turns itself into
   background work), fed the 60-minute planning transcript in pieces far faster than
   the meeting's pace and without pacing, so a live step is always running: the worst
   case for a chat. Chats arrive at seeded random moments, 2 to 6 s after the previous
   reply ended, so they land anywhere in a step (prefill or decode).

Reports the median first-token latency of each and their ratio (goal <= 2.0), the worst
live latency ÷ the median idle one, and what slicing a background prompt (the scheduler's
preemption point inside a prompt) costs: prefill time in the slices live steps used
(about 0.25 s each at the measured speed) ÷ in calls of n_batch tokens, on the same prompt.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.core.chat.prompt import DEFAULT_SYSTEM_PROMPT
from assistant.core.engines.base import GenerationParams
from assistant.core.engines.scheduler import ModelScheduler, Priority
from assistant.core.meetings import MeetingContext
from assistant.core.meetings.live import LIVE_ACTIVITY, LiveFeed, run_live_session
from assistant.core.meetings.transcript import load_transcript

GOAL = 2.0
TRANSCRIPT = ROOT / "tests" / "data" / "transcripts" / "planning_60min.vtt"
QUESTIONS = [
    "What is a good way to plan a week of work?",
    "Explain the difference between a list and a tuple in Python.",
    "Suggest three names for a small bakery.",
    "How do I write a polite reminder email?",
    "What should I pack for a two-day hiking trip?",
    "Give me a short summary of how vaccines work.",
    "How can I make my morning routine faster?",
    "What is a sensible budget split for a student?",
]
CHAT_TOKENS = 8


class Bench:
    """The engine, a model thread running the scheduler, and chat requests timed from the caller's side."""

    def __init__(self, model: str, n_ctx: int, threads: int | None) -> None:
        from assistant.core.engines.llama import LlamaCppEngine

        self.engine = LlamaCppEngine(n_threads=threads)
        self.info = self.engine.load(model, n_ctx=n_ctx)
        self.scheduler = ModelScheduler()
        self.thread = threading.Thread(target=self.scheduler.run_forever, name="model", daemon=True)
        self.thread.start()
        self.asked = 0

    def run(self, job, priority: Priority = Priority.INTERACTIVE) -> None:
        done = threading.Event()

        def wrapped() -> None:
            try:
                job()
            finally:
                done.set()

        self.scheduler.submit(wrapped, priority)
        done.wait()

    def chat_latency(self) -> float:
        """Seconds from submitting a chat request to its first token."""
        question = QUESTIONS[self.asked % len(QUESTIONS)] + f" (request {self.asked})"
        self.asked += 1
        messages = [{"role": "system", "content": DEFAULT_SYSTEM_PROMPT}, {"role": "user", "content": question}]
        params = GenerationParams(max_tokens=CHAT_TOKENS, temperature=0.7, seed=self.asked)
        first: list[float] = []

        def job() -> None:
            for _piece in self.engine.stream_chat(messages, params, threading.Event()):
                if not first:
                    first.append(time.perf_counter())

        submitted = time.perf_counter()
        self.run(job)
        return first[0] - submitted if first else float("nan")

    def evict(self, text: str) -> None:
        """Put an unrelated prompt through the model (one token), so the next chat starts cold."""
        messages = [{"role": "user", "content": text}]
        self.run(lambda: "".join(self.engine.stream_chat(messages, GenerationParams(max_tokens=1), threading.Event())))

    def prefill_seconds(self, tokens: int, slice_size: int) -> float:
        """Time to the first token of a long prompt that is not cached, with this prefill slice."""
        words = " ".join(f"word{i}" for i in range(tokens))
        messages = [{"role": "user", "content": f"Slice {slice_size}. {words}"}]
        result: list[float] = []

        def job() -> None:
            saved = self.engine.prefill_slice
            self.engine.prefill_slice = slice_size
            try:
                "".join(self.engine.stream_chat(messages, GenerationParams(max_tokens=1), threading.Event()))
            finally:
                self.engine.prefill_slice = saved
            result.append(self.engine.last_stats.time_to_first_token)

        self.run(job)
        return result[0]

    def close(self) -> None:
        self.scheduler.close()
        self.thread.join()
        self.engine.close()


def live_latencies(bench: Bench, chats: int, seed: int) -> tuple[list[float], dict]:
    """Chat latencies while a live session keeps the model busy; and what the session did."""
    transcript = load_transcript(TRANSCRIPT)
    context = MeetingContext.create(None, "Europe/Berlin", language="en")
    feed = LiveFeed()
    stop = threading.Event()
    updates: list[object] = []
    outcome: dict = {}
    started = time.perf_counter()

    def session() -> None:
        outcome["result"] = run_live_session(
            bench.engine, stop, updates.append, feed, context, min_update_tokens=300, max_load=None
        )

    bench.scheduler.submit(session, Priority.INTERACTIVE)  # the app's run_task: the session makes itself background

    def feeder() -> None:
        for segment in transcript.segments:
            if stop.is_set() or feed.closed.is_set():
                return
            feed.put(segment.render() + "\n")
            time.sleep(0.05)  # ~20 segments a second: far ahead of any step on this model

    threading.Thread(target=feeder, daemon=True).start()
    while bench.scheduler.activity != LIVE_ACTIVITY and time.perf_counter() - started < 600:
        time.sleep(0.05)  # the session runs (each chat then waits 2-6 s more: it lands inside a step)
    rng = random.Random(seed)
    latencies = []
    for _ in range(chats):
        time.sleep(rng.uniform(2.0, 6.0))
        latency = bench.chat_latency()
        latencies.append(latency)
        print(f"  live: chat first token after {latency:.2f} s (activity: {bench.scheduler.activity})", file=sys.stderr, flush=True)
    stop.set()  # the bench does not wait for the meeting's final notes
    feed.close()
    bench.run(lambda: None, Priority.BACKGROUND)  # the session has ended
    outcome["updates"] = sum(1 for u in updates if u is not None)
    outcome["seconds"] = time.perf_counter() - started
    return latencies, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="GGUF model file (default: the synthetic 1B Q4_K_M)")
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--chats", type=int, default=5, help="chat requests in each phase")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 chats a phase")
    parser.add_argument("--json", metavar="OUT", help="write the result for bench/run.py")
    args = parser.parse_args(argv)
    chats = 3 if args.quick else args.chats
    if args.model is None:
        sys.path.insert(0, str(ROOT / "bench"))
        from synthetic import LLAMA_32_1B, ensure_models

        args.model = str(ensure_models(LLAMA_32_1B, ["Q4_K_M"], log=lambda m: print(m, file=sys.stderr))["Q4_K_M"])

    bench = Bench(args.model, args.ctx, args.threads)
    try:
        print(f"model {Path(args.model).name}, ctx {bench.info.n_ctx}, threads {bench.engine.n_threads}", file=sys.stderr)
        idle = []
        for index in range(chats):
            bench.evict(f"Unrelated text number {index}: the weather was mild and the trains ran on time.")
            idle.append(bench.chat_latency())
            print(f"  idle: chat first token after {idle[-1]:.2f} s", file=sys.stderr, flush=True)
        live, outcome = live_latencies(bench, chats, args.seed)
        background_slice = bench.engine._background_slice()  # what live steps used, from the measured speed
        whole = bench.prefill_seconds(200, bench.engine.n_batch)
        sliced = bench.prefill_seconds(200, background_slice)
    finally:
        bench.close()

    report = {
        "model_file": Path(args.model).name,
        "threads": bench.engine.n_threads,
        "n_ctx": bench.info.n_ctx,
        "chats_per_phase": chats,
        "idle_first_token_seconds": [round(x, 3) for x in idle],
        "live_first_token_seconds": [round(x, 3) for x in live],
        "idle_median": round(statistics.median(idle), 3),
        "live_median": round(statistics.median(live), 3),
        "ratio_median": round(statistics.median(live) / statistics.median(idle), 3),
        "ratio_worst": round(max(live) / statistics.median(idle), 3),
        "live_note_updates": outcome["updates"],
        "live_phase_seconds": round(outcome["seconds"], 1),
        "prefill_whole_seconds": round(whole, 3),
        "prefill_sliced_seconds": round(sliced, 3),
        "prefill_slicing_cost": round(sliced / whole, 3),
        "background_slice_tokens": background_slice,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(bench_result(report), indent=1), encoding="utf-8")
    return 0


def bench_result(report: dict) -> dict:
    rows = [
        {"metric": "chat first-token latency while live notes run ÷ idle (medians)",
         "value": f"{report['ratio_median']:.2f}", "goal": f"<= {GOAL}", "ok": report["ratio_median"] <= GOAL},
        {"metric": "the same, worst live request ÷ idle median",
         "value": f"{report['ratio_worst']:.2f}", "goal": None, "ok": None},
        {"metric": f"background prefill in {report['background_slice_tokens']}-token slices ÷ in n_batch calls",
         "value": f"{report['prefill_slicing_cost']:.2f}", "goal": None, "ok": None},
    ]
    markdown = (
        f"Model `{report['model_file']}`, n_ctx {report['n_ctx']}, {report['threads']} threads; "
        f"{report['chats_per_phase']} chat requests a phase (a new conversation each, {CHAT_TOKENS} tokens). "
        "Live: the planning transcript fed far ahead of the model and pacing off, so a live step is always running.\n\n"
        "| measure | value |\n|---|---:|\n"
        f"| idle: first token (s) | {', '.join(f'{x:.2f}' for x in report['idle_first_token_seconds'])} |\n"
        f"| live: first token (s) | {', '.join(f'{x:.2f}' for x in report['live_first_token_seconds'])} |\n"
        f"| live-notes updates during the live phase ({report['live_phase_seconds']} s) | {report['live_note_updates']} |\n"
        f"| prefill of one uncached prompt, n_batch / {report['background_slice_tokens']}-token slices (s) | {report['prefill_whole_seconds']} / {report['prefill_sliced_seconds']} |\n"
    )
    return {"name": "Chat while live notes run (model scheduler)", "rows": rows, "markdown": markdown}


if __name__ == "__main__":
    sys.exit(main())
