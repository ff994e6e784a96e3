"""`llama-desk bench`: a short benchmark of a model on this computer (prefill, decode, memory)."""

from __future__ import annotations

import argparse
import json
import sys

from assistant.core.engines.base import EngineError
from assistant.core.engines.choice import engine_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure how fast a model runs on this computer",
        description="Load a model, read a prompt, write a reply, and report tokens/s and memory.",
    )
    parser.add_argument("--model", dest="bench_model", metavar="PATH", help="GGUF model file (default: the remembered one)")
    parser.add_argument("--prompt-tokens", type=int, default=256, help="length of the prompt (default 256)")
    parser.add_argument("--decode-tokens", type=int, default=64, help="tokens to write (default 64)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: physical cores)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from assistant.core.models.benchmark import run_benchmark

    try:
        n_ctx = max(2048, args.prompt_tokens + args.decode_tokens + 64)  # the benchmark's own size, not the setting
        engine = engine_from_args(args, n_ctx, model=args.bench_model, threads=args.threads)
        info = engine.info
        result = run_benchmark(engine, prompt_tokens=args.prompt_tokens, decode_tokens=args.decode_tokens)
    except EngineError as exc:
        print(f"llama-desk: {exc}", file=sys.stderr)
        return 1
    data = result.as_dict()
    data["load_seconds"] = info.load_seconds
    data["model_path"] = info.path
    data["file_size"] = info.file_size
    engine.unload()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(f"Loaded in {info.load_seconds:.2f} s")
        for line in result.summary_lines():
            print(line)
    return 0
