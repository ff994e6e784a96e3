"""`llama-desk summarize FILE`: meeting notes for a transcript file, without a window.

Markdown goes to stdout (or the validated JSON object with ``--json``); progress and
notices go to stderr, so the output can be redirected into a file as it is.
A transcript of more than 20,000 words is only summarized with ``--yes``: without it the
time estimate is printed and nothing runs (exit 1).
``--template NAME`` adds a template's instructions and shows only its sections (the JSON keeps
every key; hidden sections are empty); ``--language CODE`` writes the notes in that language.
Exit codes: 0 notes written, 1 could not run (file, model, options), 2 the model's answers
could not be read as structured notes (the plain-text notes are still printed), 130 stopped.
"""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.core.engines.base import Engine, EngineError
from assistant.core.engines.choice import add_engine_arguments, engine_from_args, load_local
from assistant.core.meetings import (
    MeetingContext,
    SummarizeError,
    Summarizer,
    SummaryProgress,
)
from assistant.core.meetings.language import notes_language
from assistant.core.meetings.templates import get_template, shown_notes
from assistant.core.meetings.transcript import TranscriptError, load_transcript, long_transcript_notice
from assistant.core.settings import DEFAULT_CONTEXT_SIZE

#: The smallest context that holds the instructions and a part of a transcript.
MIN_CONTEXT = 1024


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "summarize",
        help="write meeting notes for a transcript file",
        description=(
            "Write structured meeting notes (summary, decisions, action items, open questions, proposed "
            "follow-up events) for a .txt, .md, .vtt or .srt transcript. Notes go to stdout, progress to stderr."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="transcript file (.txt, .md, .vtt or .srt)")
    add_engine_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the validated notes as a JSON object")
    parser.add_argument(
        "--now",
        metavar="ISO-DATETIME",
        help="when the meeting took place, e.g. 2026-11-24T10:00 (default: now); relative dates are read against it",
    )
    parser.add_argument("--tz", metavar="ZONE", help="your time zone, e.g. Europe/Berlin (default: this computer's)")
    parser.add_argument("--ctx", type=int, default=None, metavar="N", help=f"context size in tokens (default: the app's setting, {DEFAULT_CONTEXT_SIZE})")
    parser.add_argument(
        "--max-tokens", type=int, default=None, metavar="N", help="longest answer per part of the transcript, in tokens"
    )
    parser.add_argument(
        "--template",
        metavar="NAME",
        help="meeting template: what to look for and which sections to show (see `llama-desk templates list`)",
    )
    parser.add_argument(
        "--language",
        metavar="CODE",
        default="auto",
        help="language of the notes, e.g. de or es (default: auto, the transcript's language)",
    )
    parser.add_argument(
        "--yes", action="store_true", help="summarize a long transcript (over 20,000 words) without asking"
    )
    parser.set_defaults(func=run_summarize)


def load_engine(path: str, n_ctx: int) -> Engine:
    """The local engine with the model loaded (a seam: tests replace it with a FakeEngine)."""
    return load_local(path, n_ctx)


def meeting_context(now: str | None, tz: str | None) -> MeetingContext:
    """The meeting's moment and zone from the options; raises ValueError with a plain message."""
    zone = None
    if tz:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"Unknown time zone '{tz}'. Use a name like Europe/Berlin or America/New_York.") from None
    moment = None
    if now:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise ValueError(f"--now '{now}' is not a date and time. Use the form 2026-11-24T10:00.") from None
    return MeetingContext.create(moment, zone)


def _print_progress(update: SummaryProgress) -> None:
    print(f"[{update.done}/{update.total}] {update.message}", file=sys.stderr, flush=True)


def check_sizes(ctx: int | None, max_tokens: int | None) -> None:
    """--ctx and --max-tokens are checked before any model is loaded (ValueError with a plain message)."""
    if ctx is not None and ctx < MIN_CONTEXT:
        raise ValueError(f"--ctx {ctx} is too small: use at least {MIN_CONTEXT} tokens (default {DEFAULT_CONTEXT_SIZE}).")
    if max_tokens is not None and max_tokens < 1:
        raise ValueError(f"--max-tokens {max_tokens} must be a positive number of tokens.")


def run_summarize(args: argparse.Namespace) -> int:
    try:
        check_sizes(args.ctx, args.max_tokens)
        template = get_template(getattr(args, "template", None))
        language = notes_language(getattr(args, "language", "auto"))
        context = replace(meeting_context(args.now, args.tz), language=language, instructions=template.instructions)
        transcript = load_transcript(args.file)
    except (ValueError, TranscriptError) as exc:
        print(f"llama-desk: {exc}", file=sys.stderr)
        return 1
    for warning in transcript.warnings:
        print(f"Note: {warning}", file=sys.stderr)
    notice = long_transcript_notice(transcript.word_count)
    if notice:
        print(f"llama-desk: {notice}", file=sys.stderr)
        if not args.yes:
            print("llama-desk: nothing was started. Run again with --yes to summarize it anyway.", file=sys.stderr)
            return 1
    stop = threading.Event()
    try:
        engine = engine_from_args(args, args.ctx, load=load_engine)
        print(
            f"Summarizing {transcript.word_count:,} words with {engine.info.model_name if engine.info else 'the model'} "
            f"(context {engine.context_size:,} tokens)…",
            file=sys.stderr,
            flush=True,
        )
        result = Summarizer(engine, context, max_output_tokens=args.max_tokens).summarize(transcript, progress=_print_progress, stop=stop)
    except (EngineError, SummarizeError) as exc:
        print(f"llama-desk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stop.set()
        print("llama-desk: stopped.", file=sys.stderr)
        return 130
    for notice in result.notices:
        print(f"Note: {notice}", file=sys.stderr)
    result.notes = shown_notes(result.notes, template.sections)
    if args.json:
        if not result.structured:
            print("llama-desk: no structured notes could be made; the plain-text notes follow.", file=sys.stderr)
            print(result.plain_text, file=sys.stderr)
            return 2
        print(result.notes.to_json())
    else:
        print(result.to_markdown(), end="")
    return 0 if result.structured else 2
