"""What the app adds to the cost of inference, each figure against its baseline in the same run.

    python bench/overhead.py [--model PATH] [--threads N] [--repeats 5] [--tokens 128] [--json OUT]

P1  streaming tok/s seen by the GUI through ModelBridge/ModelWorker (QThread,
    offscreen Qt) ÷ tok/s of a raw ``Llama.create_completion(stream=True)`` on the
    same Llama instance, prompt tokens, sampling and threads, run on the same worker
    thread (one OpenMP team, as in the app); repeats interleaved, the KV cache reset
    before each so both do the full prompt. Goal ≥ 0.97.
P2  GUI event-loop latency while the worker generates: a 16 ms QTimer probe; p99 of
    the interval between ticks (and of its lateness). Goal p99 ≤ 33 ms.
P3  time to first token (request → first tokens signal in the GUI) at turn 10 of a
    conversation ÷ at turn 1, with the engine's prefix KV reuse. Goal ≤ 1.3.

The default model is the tests' SmolLM2-135M; ``--model`` takes any GGUF, such as
bench/synthetic.py's 1B Q4_K_M.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_P1 = 0.97
GOAL_P2_MS = 33.0
GOAL_P3 = 1.3
PROBE_MS = 16

PROMPT = [{"role": "user", "content": "Count from 1 to 500, separated by commas, and say nothing else."}]


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Harness:
    """One engine, one bridge, one probe; the measurements of P1–P3."""

    def __init__(self, model: Path, threads: int | None, n_ctx: int) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication, QPlainTextEdit

        from assistant.core.engines.llama import LlamaCppEngine
        from assistant.ui.worker import ModelBridge

        self.app = QApplication.instance() or QApplication([])
        self.engine = LlamaCppEngine(n_threads=threads)
        self.info = self.engine.load(model, n_ctx=n_ctx)
        self.bridge = ModelBridge(self.engine)
        self.view = QPlainTextEdit()  # the GUI does real work with every batch, like the chat view
        self.first_batch_at: float | None = None
        self.done_at: float | None = None
        self.result: object = None
        self.bridge.worker.tokens.connect(self._on_tokens)
        self.bridge.worker.finished.connect(self._on_finished)
        self.bridge.worker.failed.connect(self._on_failed)
        self.bridge.worker.taskFinished.connect(self._on_finished)

    # -- signal slots (GUI thread) ---------------------------------------------
    def _on_tokens(self, _request_id: int, text: str) -> None:
        if self.first_batch_at is None:
            self.first_batch_at = time.perf_counter()
        self.view.insertPlainText(text)

    def _on_finished(self, _request_id: int, stats: object) -> None:
        self.done_at = time.perf_counter()
        self.result = stats

    def _on_failed(self, _request_id: int, message: str) -> None:
        self.done_at = time.perf_counter()
        self.result = RuntimeError(message)

    def _wait(self, timeout: float = 600.0) -> None:
        from PySide6.QtCore import QEventLoop

        deadline = time.perf_counter() + timeout
        while self.done_at is None and time.perf_counter() < deadline:
            self.app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        if isinstance(self.result, Exception):
            raise self.result
        if self.done_at is None:
            raise TimeoutError("the worker did not finish")

    def _reset(self) -> None:
        self.first_batch_at = self.done_at = None
        self.result = None
        self.view.clear()

    # -- P1 -------------------------------------------------------------------
    def raw_stream(self, tokens: list[int], max_tokens: int) -> tuple[int, float]:
        """Raw llama-cpp-python: (tokens generated, decode seconds after the first token)."""
        import llama_cpp

        llm = self.engine._llm
        llm.reset()
        count = 0

        def per_token(_ids, _logits) -> bool:
            nonlocal count
            count += 1
            return False

        first = None
        stream = llm.create_completion(
            tokens, max_tokens=max_tokens, temperature=0.0, top_p=0.95, seed=1, stream=True,
            stopping_criteria=llama_cpp.StoppingCriteriaList([per_token]),
        )
        for _chunk in stream:
            if first is None:
                first = time.perf_counter()
        return count, time.perf_counter() - (first or time.perf_counter())

    def worker_stream(self, max_tokens: int) -> tuple[int, float]:
        """Through the bridge: (tokens generated, seconds from first batch to finished, seen by the GUI)."""
        from assistant.core.engines.base import GenerationParams

        self.engine._llm.reset()
        self._reset()
        self.bridge.generate(PROMPT, GenerationParams(max_tokens=max_tokens, temperature=0.0, top_p=0.95, seed=1))
        self._wait()
        return self.result.completion_tokens, self.done_at - self.first_batch_at

    def raw_on_worker_thread(self, tokens: list[int], max_tokens: int) -> tuple[int, float]:
        """The raw stream, run as a task on the worker's own thread.

        Same thread as the app's path, so both use the same OpenMP thread team: a
        second thread calling llama.cpp (say the main one) gets a team of its own,
        and the two teams' waiting threads slow each other down on a 2-core machine.
        """
        self._reset()
        self.bridge.run_task(lambda _engine, _stop, _progress: self.raw_stream(tokens, max_tokens))
        self._wait()
        return self.result

    def p1(self, repeats: int, max_tokens: int) -> dict:
        tokens = self.engine.prompt_tokens(PROMPT)
        raw_rates: list[float] = []
        worker_rates: list[float] = []
        self.raw_on_worker_thread(tokens, 8)  # warm-up
        for _ in range(repeats):
            count, seconds = self.raw_on_worker_thread(tokens, max_tokens)
            raw_rates.append((count - 1) / seconds)
            count, seconds = self.worker_stream(max_tokens)
            worker_rates.append((count - 1) / seconds)
        raw, worker = statistics.median(raw_rates), statistics.median(worker_rates)
        return {"raw_tps": raw_rates, "worker_tps": worker_rates, "raw_median": raw, "worker_median": worker,
                "ratio": worker / raw, "tokens": count}

    # -- P2 -------------------------------------------------------------------
    def p2(self, max_tokens: int) -> dict:
        from PySide6.QtCore import Qt, QTimer

        from assistant.core.engines.base import GenerationParams

        ticks: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(PROBE_MS)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        self.engine._llm.reset()
        self._reset()
        timer.start()
        self.bridge.generate(PROMPT, GenerationParams(max_tokens=max_tokens, temperature=0.0, seed=1))
        self._wait()
        timer.stop()
        intervals = [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]
        return {
            "ticks": len(ticks),
            "p50_ms": percentile(intervals, 0.50),
            "p99_ms": percentile(intervals, 0.99),
            "max_ms": max(intervals, default=0.0),
            "p99_late_ms": max(0.0, percentile(intervals, 0.99) - PROBE_MS),
        }

    # -- P3 -------------------------------------------------------------------
    def p3(self, turns: int = 10, reply_tokens: int = 24) -> dict:
        from assistant.core.chat.prompt import DEFAULT_SYSTEM_PROMPT
        from assistant.core.engines.base import GenerationParams

        self.engine._llm.reset()
        history: list[dict] = []
        ttft: list[float] = []
        evaluated: list[int] = []
        for turn in range(1, turns + 1):
            history.append({"role": "user", "content": f"Question {turn}: name one interesting fact about the number {turn * 7}."})
            self._reset()
            asked = time.perf_counter()
            self.bridge.chat(DEFAULT_SYSTEM_PROMPT, list(history), GenerationParams(max_tokens=reply_tokens, temperature=0.0, seed=1))
            self._wait()
            ttft.append((self.first_batch_at or self.done_at) - asked)
            evaluated.append(self.result.prompt_tokens_evaluated)
            history.append({"role": "assistant", "content": self.view.toPlainText()})
        return {"ttft_s": ttft, "evaluated_tokens": evaluated, "prompt_tokens_last": self.result.prompt_tokens,
                "ratio": ttft[-1] / ttft[0]}

    def close(self) -> None:
        self.bridge.shutdown()


def render_markdown(info, threads: int, p1: dict, p2: dict, p3: dict, load_avg) -> tuple[str, list[dict]]:
    rows = [
        {"metric": "P1 worker ÷ raw streaming tok/s", "value": f"{p1['ratio']:.3f}", "goal": f">= {GOAL_P1}", "ok": p1["ratio"] >= GOAL_P1},
        {"metric": "P2 GUI tick interval p99 while generating", "value": f"{p2['p99_ms']:.1f} ms", "goal": f"<= {GOAL_P2_MS:.0f} ms", "ok": p2["p99_ms"] <= GOAL_P2_MS},
        {"metric": "P3 time to first token, turn 10 ÷ turn 1", "value": f"{p3['ratio']:.2f}", "goal": f"<= {GOAL_P3}", "ok": p3["ratio"] <= GOAL_P3},
    ]
    lines = [
        f"Model {info.model_name} ({Path(info.path).name}), {threads} threads, n_ctx {info.n_ctx}, "
        f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')}. Load average at start {load_avg[0]:.1f}.",
        "",
        "| measure | figure | baseline / detail | goal | ok |",
        "|---|---:|---|---|---|",
        (
            f"| P1 streaming tok/s via worker ÷ raw | {p1['ratio']:.3f} | worker median {p1['worker_median']:.1f} vs raw median "
            f"{p1['raw_median']:.1f} tok/s ({len(p1['raw_tps'])} interleaved repeats, {p1['tokens']} tokens) | ≥ {GOAL_P1} | "
            f"{'yes' if rows[0]['ok'] else 'NO'} |"
        ),
        f"| P2 GUI 16 ms timer interval p99 | {p2['p99_ms']:.1f} ms | p50 {p2['p50_ms']:.1f} ms, max {p2['max_ms']:.1f} ms over {p2['ticks']} ticks | ≤ {GOAL_P2_MS:.0f} ms | {'yes' if rows[1]['ok'] else 'NO'} |",
        (
            f"| P3 TTFT turn 10 ÷ turn 1 | {p3['ratio']:.2f} | {p3['ttft_s'][0] * 1000:.0f} ms → {p3['ttft_s'][-1] * 1000:.0f} ms; "
            f"tokens evaluated {p3['evaluated_tokens'][0]} → {p3['evaluated_tokens'][-1]} of {p3['prompt_tokens_last']} | "
            f"≤ {GOAL_P3} | {'yes' if rows[2]['ok'] else 'NO'} |"
        ),
    ]
    return "\n".join(lines), rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The app's overheads against raw llama-cpp-python.")
    parser.add_argument("--model", type=Path, help="GGUF file (default: the tests' SmolLM2-135M)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128, help="tokens per streamed reply")
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--omp-passive", action="store_true", help="run llama.cpp with OMP_WAIT_POLICY=PASSIVE")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if args.omp_passive:  # read by the OpenMP runtime when llama_cpp is first imported (below)
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    model = args.model
    if model is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import smollm_gguf

        model = smollm_gguf()
    load_avg = os.getloadavg()
    harness = Harness(model, args.threads, args.ctx)
    try:
        print("P1 ...", file=sys.stderr, flush=True)
        p1 = harness.p1(args.repeats, args.tokens)
        print("P2 ...", file=sys.stderr, flush=True)
        p2 = harness.p2(args.tokens)
        print("P3 ...", file=sys.stderr, flush=True)
        p3 = harness.p3()
    finally:
        harness.close()
    markdown, rows = render_markdown(harness.info, harness.engine.n_threads, p1, p2, p3, load_avg)
    print(markdown)
    if args.json:
        suffix = (", OMP_WAIT_POLICY=PASSIVE" if args.omp_passive else "") + (f", {args.threads} threads" if args.threads else "")
        payload = {"name": f"App overheads ({Path(model).name}{suffix})", "rows": rows, "markdown": markdown,
                   "raw": {"p1": p1, "p2": p2, "p3": p3}}
        Path(args.json).write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
