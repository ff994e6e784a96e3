"""Streaming overhead of RemoteEngine against a plain streaming HTTP client, same server and prompt.

    python bench/remote.py [--model PATH] [--repeats 6] [--tokens 256] [--quick] [--json OUT]

Starts ``python -m llama_cpp.server`` on 127.0.0.1 (default model: the tests' SmolLM2-135M),
then alternates (ABBA) a plain ``httpx`` streaming client (POST, read SSE lines, ``json.loads``
each chunk) and ``RemoteEngine.stream_chat`` on the same request (greedy sampling, fixed
seed, so both get the same tokens). Both are timed the same way, from the consumer's side:
decode tok/s = (pieces − 1) ÷ (time of the last piece − time of the first piece).
Figure: median tok/s through RemoteEngine ÷ median tok/s of the plain client. Goal ≥ 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 0.95
PROMPT = [{"role": "user", "content": "List 100 animals, one per line, numbered."}]  # SmolLM2 keeps going for 300+ tokens


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: Path, n_ctx: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    """llama_cpp.server on a free 127.0.0.1 port; returns (process, API base URL) once it answers."""
    import httpx

    port = _free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", str(n_ctx)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited: {log_path.read_text()[-1500:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("llama_cpp.server did not start in 120 s")


def plain_stream(client, url: str, body: dict) -> Iterator[str]:
    """The baseline: what any streaming OpenAI client does, nothing more."""
    with client.stream("POST", f"{url}/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            delta = json.loads(data)["choices"][0].get("delta") or {}
            if delta.get("content"):
                yield delta["content"]


def timed(pieces: Iterator[str]) -> dict:
    """Consume a stream; decode tok/s from the consumer's clock."""
    started = time.perf_counter()
    stamps = [time.perf_counter() for _ in pieces]
    if len(stamps) < 2:
        raise RuntimeError("the server produced fewer than 2 pieces")
    return {
        "pieces": len(stamps),
        "ttft_s": stamps[0] - started,
        "tps": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
    }


def measure(url: str, repeats: int, tokens: int) -> dict:
    import httpx

    from assistant.core.engines.base import GenerationParams
    from assistant.core.engines.remote import RemoteEngine

    engine = RemoteEngine(url)
    engine.load(n_ctx=2048)
    params = GenerationParams(max_tokens=tokens, temperature=0.0, top_p=1.0, seed=7)
    body = {"model": engine.model, "messages": PROMPT, "stream": True, "max_tokens": tokens,
            "temperature": 0.0, "top_p": 1.0, "seed": 7}  # fmt: skip
    plain: list[dict] = []
    ours: list[dict] = []
    try:
        with httpx.Client(timeout=120) as client:
            timed(plain_stream(client, url, {**body, "max_tokens": 8}))  # warm-up (first request is slow)
            for index in range(repeats):  # ABBA order: a slow drift of the machine's load hits both alike
                for which in (("plain", "ours") if index % 2 == 0 else ("ours", "plain")):
                    if which == "plain":
                        plain.append(timed(plain_stream(client, url, body)))
                    else:
                        ours.append(timed(engine.stream_chat(PROMPT, params)))
                        ours[-1]["engine_stats_tps"] = engine.last_stats.tokens_per_second
    finally:
        engine.close()
    plain_median = statistics.median(r["tps"] for r in plain)
    ours_median = statistics.median(r["tps"] for r in ours)
    return {
        "plain": plain,
        "remote_engine": ours,
        "plain_median": plain_median,
        "engine_median": ours_median,
        "ratio": ours_median / plain_median,
        "pair_ratio_median": statistics.median(o["tps"] / p["tps"] for o, p in zip(ours, plain, strict=True)),
        "pieces": [r["pieces"] for r in ours],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="RemoteEngine streaming overhead against a plain client.")
    parser.add_argument("--model", type=Path, help="GGUF file to serve (default: the tests' SmolLM2-135M)")
    parser.add_argument("--repeats", type=int, default=6, help="interleaved pairs")
    parser.add_argument("--tokens", type=int, default=256, help="max tokens per reply")
    parser.add_argument("--quick", action="store_true", help="4 pairs of 160 tokens (about a minute)")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.tokens = min(args.repeats, 4), min(args.tokens, 160)
    model = args.model
    if model is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import smollm_gguf

        model = smollm_gguf()
    load_avg = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        process, url = start_server(model, 2048, Path(scratch) / "server.log")
        try:
            result = measure(url, args.repeats, args.tokens)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
    ok = result["ratio"] >= GOAL
    rows = [{"metric": "RemoteEngine ÷ plain streaming client tok/s", "value": f"{result['ratio']:.3f}", "goal": f">= {GOAL}", "ok": ok}]
    markdown = "\n".join([
        f"Server: llama_cpp.server on 127.0.0.1 serving {Path(model).name}. Load average at start {load_avg[0]:.1f}.",
        "",
        "| measure | figure | detail | goal | ok |",
        "|---|---:|---|---|---|",
        (f"| RemoteEngine ÷ plain client decode tok/s | {result['ratio']:.3f} | median {result['engine_median']:.1f} vs "
        f"{result['plain_median']:.1f} tok/s, {args.repeats} interleaved pairs (ABBA), {result['pieces'][0]} pieces each; "
        f"median of pair ratios {result['pair_ratio_median']:.3f} | ≥ {GOAL} | {'yes' if ok else 'NO'} |"),
    ])  # fmt: skip
    print(markdown)
    if args.json:
        payload = {"name": "Remote engine streaming overhead", "rows": rows, "markdown": markdown, "raw": result}
        Path(args.json).write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
