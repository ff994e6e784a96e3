"""`llama-desk ask` and `llama-desk --self-test`: the chat path without a window."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import datetime

from assistant.core.chat.prompt import DEFAULT_SYSTEM_PROMPT, plan_prompt
from assistant.core.dates import DateError, get_zone, local_zone
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
    parser.add_argument(
        "--tools",
        action="store_true",
        help="let the model propose calendar actions (nothing is written: proposals are printed, not saved)",
    )
    parser.add_argument("--json", action="store_true", help='with --tools: print {"reply": ..., "calls": [...]} as JSON')
    parser.add_argument("--now", metavar="ISO-DATETIME", help="with --tools: the moment dates are read against (default: now)")
    parser.add_argument("--tz", metavar="ZONE", help="with --tools: your time zone, e.g. Europe/Berlin (default: this computer's)")
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
    if (args.json or args.now or args.tz) and not args.tools:
        print("llama-desk: --json, --now and --tz go with --tools.", file=sys.stderr)
        return 1
    try:
        moment = _moment(args.now, args.tz) if args.tools else None
        engine = engine_from_args(args, args.ctx)
        if moment is not None:
            return _ask_with_tools(engine, args, *moment)
        stream_answer(engine, args.question, args.system, GenerationParams(max_tokens=args.max_tokens))
    except EngineError as exc:
        print(f"llama-desk: {exc}", file=sys.stderr)
        return 1
    if args.stats:
        print(_stats_line(engine), file=sys.stderr)
    return 0


def _moment(now: str | None, tz: str | None) -> tuple[datetime, str]:
    """The reference moment and zone for --tools, checked before a model is loaded."""
    try:
        zone = get_zone(tz) if tz else local_zone()
    except DateError as exc:
        raise EngineError(str(exc)) from None
    if not now:
        return datetime.now(zone), zone.key
    try:
        moment = datetime.fromisoformat(now)
    except ValueError:
        raise EngineError(f"--now '{now}' is not a date and time like 2026-12-01T09:30.") from None
    return (moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)), zone.key


def _ask_with_tools(engine: Engine, args: argparse.Namespace, now: datetime, zone: str) -> int:
    """One request with calendar actions: proposals are resolved and printed, never written."""
    from assistant.core.calendars import CalendarError, open_calendar
    from assistant.core.chat.actions import answer, routed_system_prompt, uses_routing
    from assistant.core.chat.turn import build_system_prompt

    extra = "" if args.system == DEFAULT_SYSTEM_PROMPT else args.system
    system = routed_system_prompt(now, zone, extra) if uses_routing(engine) else build_system_prompt(now, zone, extra)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": args.question}]
    try:
        calendar = open_calendar(zone=get_zone(zone))
    except CalendarError as exc:
        raise EngineError(str(exc)) from None
    result = answer(engine, messages, calendar, now=now, zone=zone, params=GenerationParams(max_tokens=args.max_tokens))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.reply.strip() if result.reply else _describe(result.to_dict()["calls"]))
    if args.stats:
        print(_stats_line(engine), file=sys.stderr)
    return 0


def _describe(calls: list[dict]) -> str:
    lines = []
    for call in calls:
        resolved = call["resolved"]
        problems = " ".join(p["message"] for p in resolved.get("problems", []))
        what = ", ".join(f"{k}: {v}" for k, v in resolved.items() if k != "problems" and v not in (None, "", []))
        lines.append(f"{call['name']} ({what}){' — ' + problems if problems else ''} [not saved]")
    return "\n".join(lines)


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
