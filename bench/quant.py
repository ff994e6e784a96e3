"""The quantization table: size, memory and speed of each build of a Llama 3.2 shape.

    python bench/quant.py [--shape 1b|3b] [--threads N] [--ctx 2048] [--json OUT]

For each build (F16, Q8_0, Q6_K, Q4_K_M, Q4_0 of bench/synthetic.py's model) a fresh
subprocess loads the file with llama-cpp-python the way the app's engine does
(``use_mmap=False`` unless asked otherwise), evaluates a 512-token prompt, then
decodes 128 tokens greedily. Each build has its own process so peak memory figures
do not mix. Q4_K_M is measured a second time with ``use_mmap=True`` to check the
engine's default. Ratios against F16 are printed beside Meta's published ratios for
its quantized 1B (SpinQuant vs BF16, OnePlus 12).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PROMPT_TOKENS = 512
DECODE_TOKENS = 128

#: Meta's figures for Llama 3.2 1B, SpinQuant vs BF16, on a OnePlus 12.
META_1B = {"decode_bf16": 19.2, "decode_quant": 50.2, "file_bf16_mb": 2358, "file_quant_mb": 1083, "rss_bf16_mb": 3185, "rss_quant_mb": 1921}

#: Targets for Q4_K_M against F16 on this machine.
GOAL_FILE_SMALLER = 0.65
GOAL_RSS_LOWER = 0.55
GOAL_DECODE_SPEEDUP = 2.5

MB = 1_000_000


def measure_build(path: Path, threads: int, n_ctx: int, use_mmap: bool, prompt_tokens: int = PROMPT_TOKENS, decode_tokens: int = DECODE_TOKENS) -> dict:
    """Runs in the child: load, prompt, decode; returns the measurements."""
    import numpy as np

    from assistant.core.models.benchmark import current_rss_bytes, peak_rss_bytes

    baseline_rss = current_rss_bytes()
    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=str(path),
        n_ctx=n_ctx,
        n_batch=512,
        n_threads=threads,
        n_threads_batch=threads,
        n_gpu_layers=0,
        use_mmap=use_mmap,
        verbose=False,
    )
    load_seconds = time.perf_counter() - started
    rss_after_load = current_rss_bytes()
    peak_after_load = peak_rss_bytes()

    rng = np.random.default_rng(7)
    prompt = [llm.token_bos(), *rng.integers(300, 40000, prompt_tokens - 1).tolist()]
    started = time.perf_counter()
    llm.eval(prompt)
    prefill_seconds = time.perf_counter() - started
    peak_after_prompt = peak_rss_bytes()

    started = time.perf_counter()
    for _ in range(decode_tokens):
        token = llm.sample(temp=0.0)
        llm.eval([token])
    decode_seconds = time.perf_counter() - started
    result = {
        "file_bytes": path.stat().st_size,
        "use_mmap": use_mmap,
        "threads": threads,
        "n_ctx": n_ctx,
        "baseline_rss": baseline_rss,
        "load_seconds": load_seconds,
        "rss_after_load": rss_after_load,
        "peak_after_load": peak_after_load,
        "peak_after_prompt": peak_after_prompt,
        "prompt_tokens": prompt_tokens,
        "decode_tokens": decode_tokens,
        "prefill_tps": prompt_tokens / prefill_seconds,
        "decode_tps": decode_tokens / decode_seconds,
        "peak_final": peak_rss_bytes(),
    }
    llm.close()
    return result


def run_child(path: Path, threads: int, n_ctx: int, use_mmap: bool, prompt_tokens: int, decode_tokens: int, omp_passive: bool = False) -> dict:
    """Measure one build in a fresh Python process (with OMP_WAIT_POLICY=PASSIVE if asked)."""
    command = [sys.executable, __file__, "--child", str(path), "--threads", str(threads), "--ctx", str(n_ctx),
               "--prompt-tokens", str(prompt_tokens), "--decode-tokens", str(decode_tokens)]
    if use_mmap:
        command.append("--mmap")
    env = dict(os.environ)
    if omp_passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {path.name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratio_row(label: str, value: float, meta: float | None, goal: str) -> str:
    meta_text = f"{meta:.2f}" if meta is not None else "–"
    return f"| {label} | {value:.2f} | {meta_text} | {goal} |"


def render_markdown(shape_name: str, results: dict[str, dict], load_avg: tuple[float, ...], omp: str) -> tuple[str, list[dict]]:
    """The section for BENCHMARKS.md and the goal rows."""
    any_result = next(iter(results.values()))
    lines = [
        f"Synthetic {shape_name} (exact Llama 3.2 shape, random weights), {any_result['threads']} threads, OMP_WAIT_POLICY {omp}, "
        f"n_ctx {any_result['n_ctx']}, {any_result['prompt_tokens']}-token prompt, {any_result['decode_tokens']} greedy decode tokens, "
        f"one fresh process per build. Load average at start {load_avg[0]:.1f}.",
        "",
        "| build | mmap | file MB | load s | RSS after load MB | peak RSS after prompt MB | prefill tok/s | decode tok/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in results.items():
        lines.append(
            f"| {label.split('+')[0]} | {'on' if r['use_mmap'] else 'off'} | {r['file_bytes'] / MB:,.0f} | {r['load_seconds']:.1f} | "
            f"{r['rss_after_load'] / MB:,.0f} | {r['peak_after_prompt'] / MB:,.0f} | {r['prefill_tps']:.1f} | {r['decode_tps']:.1f} |"
        )
    rows: list[dict] = []
    f16, q4 = results.get("F16"), results.get("Q4_K_M")
    if f16 and q4:
        file_ratio = q4["file_bytes"] / f16["file_bytes"]
        rss_ratio = q4["peak_after_prompt"] / f16["peak_after_prompt"]
        decode_ratio = q4["decode_tps"] / f16["decode_tps"]
        prefill_ratio = q4["prefill_tps"] / f16["prefill_tps"]
        lines += [
            "",
            "Q4_K_M against F16 here, beside Meta's published 1B SpinQuant against BF16 (OnePlus 12):",
            "",
            "| ratio (quantized ÷ 16-bit) | this machine, Q4_K_M ÷ F16 | Meta 1B | goal here |",
            "|---|---:|---:|---|",
            _ratio_row("file size", file_ratio, META_1B["file_quant_mb"] / META_1B["file_bf16_mb"], f"≤ {1 - GOAL_FILE_SMALLER:.2f}"),
            _ratio_row("peak RSS", rss_ratio, META_1B["rss_quant_mb"] / META_1B["rss_bf16_mb"], f"≤ {1 - GOAL_RSS_LOWER:.2f}"),
            _ratio_row("decode tok/s", decode_ratio, META_1B["decode_quant"] / META_1B["decode_bf16"], f"≥ {GOAL_DECODE_SPEEDUP:.1f}"),
            _ratio_row("prefill tok/s", prefill_ratio, None, "–"),
        ]
        rows += [
            {"metric": "Q4_K_M file smaller than F16", "value": f"{1 - file_ratio:.0%}", "goal": f">= {GOAL_FILE_SMALLER:.0%}", "ok": 1 - file_ratio >= GOAL_FILE_SMALLER},
            {"metric": "Q4_K_M peak RSS lower than F16", "value": f"{1 - rss_ratio:.0%}", "goal": f">= {GOAL_RSS_LOWER:.0%}", "ok": 1 - rss_ratio >= GOAL_RSS_LOWER},
            {"metric": "Q4_K_M decode speed-up over F16", "value": f"{decode_ratio:.2f}x", "goal": f">= {GOAL_DECODE_SPEEDUP}x", "ok": decode_ratio >= GOAL_DECODE_SPEEDUP},
        ]
    mapped = results.get("Q4_K_M+mmap")
    if q4 and mapped:
        lines += [
            "",
            f"Engine default check (Q4_K_M): use_mmap=False peak {q4['peak_after_prompt'] / MB:,.0f} MB, "
            f"decode {q4['decode_tps']:.1f} tok/s; use_mmap=True peak {mapped['peak_after_prompt'] / MB:,.0f} MB, "
            f"decode {mapped['decode_tps']:.1f} tok/s.",
        ]
        rows.append(
            {
                "metric": "use_mmap=False saves memory over mmap (Q4_K_M)",
                "value": f"{(mapped['peak_after_prompt'] - q4['peak_after_prompt']) / MB:,.0f} MB",
                "goal": "> 0 MB at the same speed",
                "ok": mapped["peak_after_prompt"] > q4["peak_after_prompt"],
            }
        )
    return "\n".join(lines), rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Size, memory and speed of each quantized build.")
    parser.add_argument("--shape", choices=["1b", "3b"], default="1b")
    parser.add_argument("--types", default="F16,Q8_0,Q6_K,Q4_K_M,Q4_0")
    parser.add_argument("--threads", type=int, default=None, help="threads (default: physical cores)")
    parser.add_argument("--ctx", type=int, default=2048, help="context size (default 2048)")
    parser.add_argument("--prompt-tokens", type=int, default=PROMPT_TOKENS)
    parser.add_argument("--decode-tokens", type=int, default=DECODE_TOKENS)
    parser.add_argument("--omp-passive", action="store_true", help="run llama.cpp with OMP_WAIT_POLICY=PASSIVE")
    parser.add_argument("--no-mmap-check", action="store_true", help="skip the Q4_K_M use_mmap=True run")
    parser.add_argument("--json", metavar="OUT", help="write the result for bench/run.py")
    parser.add_argument("--child", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--mmap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from assistant.core.models.hardware import physical_cores

    threads = args.threads or physical_cores()
    if args.child:
        print(json.dumps(measure_build(Path(args.child), threads, args.ctx, args.mmap, args.prompt_tokens, args.decode_tokens)))
        return 0

    from synthetic import SHAPES, ensure_models

    shape = SHAPES[args.shape]
    types = args.types.split(",")
    builds = ensure_models(shape, types, log=lambda text: print(text, file=sys.stderr))
    load_avg = os.getloadavg()
    runs: list[tuple[str, Path, bool]] = []
    for quant in types:
        runs.append((quant, builds[quant], False))
        if quant == "Q4_K_M" and not args.no_mmap_check:  # right after, so both see the same machine load
            runs.append(("Q4_K_M+mmap", builds[quant], True))
    results: dict[str, dict] = {}
    for label, path, use_mmap in runs:
        print(f"measuring {label} ...", file=sys.stderr, flush=True)
        results[label] = run_child(path, threads, args.ctx, use_mmap, args.prompt_tokens, args.decode_tokens, args.omp_passive)
        r = results[label]
        print(
            f"  peak {r['peak_after_prompt'] / MB:,.0f} MB, prefill {r['prefill_tps']:.1f} tok/s, decode {r['decode_tps']:.1f} tok/s",
            file=sys.stderr,
            flush=True,
        )
    omp = "PASSIVE" if args.omp_passive else os.environ.get("OMP_WAIT_POLICY", "unset (libgomp default)")
    markdown, rows = render_markdown(shape.name, results, load_avg, omp)
    print(markdown)
    if args.json:
        title = f"Quantization table ({shape.name}{', OMP_WAIT_POLICY=PASSIVE' if args.omp_passive else ''})"
        payload = {"name": title, "rows": rows, "markdown": markdown, "raw": results}
        Path(args.json).write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
