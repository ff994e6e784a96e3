"""Predicted ÷ measured decode speed: does the machine check tell the truth about this machine?

    python bench/predict.py [--quick] [--threads N] [--decode-tokens 48] [--json OUT]

Runs the machine check afresh (not the cached one, calibration 1: the raw model is
judged), predicts decode tokens/s for the synthetic Llama 3.2 1B and 3B Q4_K_M files
(bench/synthetic.py, the exact shapes and sizes) with assistant.core.models.speed,
then decodes each in a fresh process with the engine's thread count (bench/quant.py's
child) and prints predicted ÷ measured. Goals: 0.7..1.3 for each shape, the check in
at most 3 s. ``--quick`` measures the 1B shape only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GOAL_LOW, GOAL_HIGH = 0.7, 1.3
GOAL_CHECK_SECONDS = 3.0
CATALOG_IDS = {"1b": "llama-3.2-1b-instruct-q4_k_m", "3b": "llama-3.2-3b-instruct-q4_k_m"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Predicted / measured decode tokens/s for the synthetic 1B and 3B Q4_K_M shapes.")
    parser.add_argument("--quick", action="store_true", help="the 1B shape only")
    parser.add_argument("--threads", type=int, default=None, help="threads (default: the engine's, physical cores - 1)")
    parser.add_argument("--decode-tokens", type=int, default=48)
    parser.add_argument("--json", metavar="OUT", help="write the result for bench/run.py")
    args = parser.parse_args(argv)

    from quant import run_child
    from synthetic import SHAPES, ensure_models

    from assistant.core.engines.llama import default_threads
    from assistant.core.models.catalog import load_catalog
    from assistant.core.models.hardware import probe
    from assistant.core.models.machine_check import measure
    from assistant.core.models.speed import predict

    threads = args.threads or default_threads()
    profile = probe(check_offload=False)
    catalog = load_catalog()
    load_start = os.getloadavg()
    check = measure(profile, threads=threads)
    print(f"check: {check.bandwidth / 1e9:.1f} GB/s, {check.matmul_flops / 1e9:.1f} GFLOP/s, {check.seconds:.2f} s, {threads} threads", file=sys.stderr)
    rows = [{"metric": "machine check time", "value": f"{check.seconds:.2f} s", "goal": f"<= {GOAL_CHECK_SECONDS:.0f} s",
             "ok": check.seconds <= GOAL_CHECK_SECONDS}]
    lines = [
        f"Machine check: copy bandwidth {check.bandwidth / 1e9:.1f} GB/s and float32 matrix-vector {check.matmul_flops / 1e9:.1f} GFLOP/s "
        f"on {threads} thread(s), {check.seconds:.2f} s. Decode of {args.decode_tokens} tokens after a 16-token prompt, "
        f"n_ctx 512, use_mmap off, one fresh process per shape. Load average at start {load_start[0]:.1f}.",
        "",
        "| shape | file MB | predicted tok/s | measured tok/s | predicted ÷ measured |",
        "|---|---:|---:|---:|---:|",
    ]
    raw = {"check": check.to_dict()}
    for name in ["1b"] if args.quick else ["1b", "3b"]:
        path = ensure_models(SHAPES[name], ["Q4_K_M"], log=lambda text: print(text, file=sys.stderr))["Q4_K_M"]
        build = replace(catalog.build(CATALOG_IDS[name]), size=path.stat().st_size)
        predicted = predict(profile, build, 0, check).tokens_per_second
        measured = run_child(path, threads, 512, False, 16, args.decode_tokens)["decode_tps"]
        ratio = predicted / measured
        print(f"{name}: predicted {predicted:.1f}, measured {measured:.1f}, ratio {ratio:.2f}", file=sys.stderr)
        lines.append(f"| {name.upper()} Q4_K_M | {path.stat().st_size / 1e6:,.0f} | {predicted:.1f} | {measured:.1f} | {ratio:.2f} |")
        rows.append({"metric": f"{name.upper()} Q4_K_M predicted / measured", "value": f"{ratio:.2f}",
                     "goal": f"{GOAL_LOW}..{GOAL_HIGH}", "ok": GOAL_LOW <= ratio <= GOAL_HIGH})
        raw[name] = {"predicted": predicted, "measured": measured}
    lines += ["", f"Load average at end {os.getloadavg()[0]:.1f}: other work on this shared machine moves both figures."]
    markdown = "\n".join(lines)
    print(markdown)
    if args.json:
        Path(args.json).write_text(json.dumps({"name": "Speed prediction", "rows": rows, "markdown": markdown, "raw": raw}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
