"""`llama-desk ask` and `llama-desk --self-test`: the chat path without a window."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from assistant.core.chat.prompt import DEFAULT_SYSTEM_PROMPT, plan_prompt
from assistant.core.engines.base import Engine, EngineError, GenerationParams
from assistant.core.engines.choice import add_engine_arguments, engine_from_args

SELF_TEST_PROMPT = "Say hello in one short sentence."


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ask", help="answer one question on stdout", description="Stream one answer to stdout.")
    parser.add_argument("question", help="what to ask")
    add_engine_arguments(parser)
    parser.add_argument("--system", default=DEFAULT_SYSTEM_PROMPT, help="system prompt")
    parser.add_argument("--max-tokens", type=int, default=None, help="stop after this many tokens")
    parser.add_argument("--ctx", type=int, default=None, help="context size in tokens")
    parser.add_argument("--stats", action="store_true", help="print tokens/s and timings to stderr")
    parser.set_defaults(func=run_ask)


def stream_answer(engine: Engine, question: str, system: str, params: GenerationParams, out=sys.stdout) -> str:
    """The same prompt path as the chat window: system prompt + the user's message, fitted to the context."""
    plan = plan_prompt(engine, system, [{"role": "user", "content": question}], params)
    pieces = []
    for piece in engine.stream_chat(plan.messages, params, threading.Event()):
        pieces.append(piece)
        out.write(piece)
        out.flush()
    out.write("\n")
    return "".join(pieces)


def run_ask(args: argparse.Namespace) -> int:
    try:
        engine = engine_from_args(args, args.ctx)
        stream_answer(engine, args.question, args.system, GenerationParams(max_tokens=args.max_tokens))
    except EngineError as exc:
        print(f"llama-desk: {exc}", file=sys.stderr)
        return 1
    if args.stats:
        print(_stats_line(engine), file=sys.stderr)
    return 0


def _stats_line(engine: Engine) -> str:
    stats = engine.last_stats
    return (
        f"{stats.completion_tokens} tokens, {stats.tokens_per_second:.1f} tokens/s, "
        f"first token after {stats.time_to_first_token:.2f} s, prompt {stats.prompt_tokens} tokens"
    )


def run_self_test(model: str | None) -> int:
    """Load the model, write a short reply without a window, print the CPU variant and tokens/s; 0 when it works."""
    from assistant.core.engines.backends import describe_backend
    from assistant.core.engines.llama import LlamaCppEngine

    started = time.perf_counter()
    try:
        engine = engine_from_args(argparse.Namespace(model=model), 2048)
        print(f"model: {engine.info.model_name} ({engine.info.architecture}), loaded in {engine.info.load_seconds:.2f} s")
        if isinstance(engine, LlamaCppEngine):
            print(f"{describe_backend()}; runs on: {engine.info.where()}")
        reply = stream_answer(engine, SELF_TEST_PROMPT, DEFAULT_SYSTEM_PROMPT, GenerationParams(max_tokens=48, temperature=0.0))
    except EngineError as exc:
        print(f"self-test failed: {exc}", file=sys.stderr)
        return 1
    if not reply.strip():
        print("self-test failed: the model produced no text.", file=sys.stderr)
        return 1
    print(_stats_line(engine))
    print(f"self-test passed in {time.perf_counter() - started:.1f} s")
    return 0
