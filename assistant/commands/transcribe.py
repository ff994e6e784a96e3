"""`llama-desk transcribe AUDIO`: a timestamped transcript of an audio or video file.

The transcript goes to stdout (segments as a JSON object with ``--json``); progress goes to
stderr. Exit codes: 0 done, 1 could not run (file, model), 130 stopped with Ctrl+C (the part
transcribed so far is still printed).
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from assistant.core.audio.stt import SpeechRecognizer, TranscribeError, TranscriptionResult
from assistant.core.meetings.language import notes_language
from assistant.core.meetings.transcript import clock


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "transcribe",
        help="transcribe an audio or video file",
        description=(
            "Transcribe a wav, mp3, m4a, mp4 or webm file with a local speech model. "
            "The transcript goes to stdout with timestamps, progress to stderr."
        ),
    )
    parser.add_argument("audio", metavar="AUDIO", help="audio or video file")
    parser.add_argument(
        "--stt-model",
        metavar="PATH-OR-ID",
        help="faster-whisper model folder, or the id of a downloaded speech model (default: a downloaded one)",
    )
    parser.add_argument("--json", action="store_true", help="print the segments as a JSON object")
    parser.add_argument(
        "--language",
        metavar="CODE",
        default="auto",
        help="spoken language, e.g. de or es (default: auto, detected; needs a multilingual speech model)",
    )
    parser.add_argument("--threads", type=int, default=None, metavar="N", help="CPU threads (default: physical cores)")
    parser.set_defaults(func=run_transcribe)


def _progress_printer() -> Callable[[float, float], None]:
    shown = {"percent": -100}

    def show(done: float, total: float) -> None:
        percent = int(100 * done / total) if total else 100
        if percent >= shown["percent"] + 5 or (percent == 100 and shown["percent"] != 100):
            shown["percent"] = percent
            print(f"{percent:3d}% ({clock(done)} of {clock(total)})", file=sys.stderr, flush=True)

    return show


def _print(result: TranscriptionResult, as_json: bool) -> None:
    if as_json:
        print(result.to_json())
    else:
        for segment in result.segments:
            print(segment.render())


def run_transcribe(args: argparse.Namespace) -> int:
    cancel = threading.Event()
    audio = Path(args.audio)
    if not audio.is_file():  # before the speech model: a missing file is the more likely mistake
        what = "is a folder, not an audio file" if audio.is_dir() else "does not exist. Check the name and folder"
        print(f"llama-desk: The file '{audio}' {what}.", file=sys.stderr)
        return 1
    try:
        language = notes_language(args.language)
    except ValueError as exc:
        print(f"llama-desk: {exc}", file=sys.stderr)
        return 1
    try:
        recognizer = SpeechRecognizer(args.stt_model, threads=args.threads, language=None if language == "auto" else language, beam_size=5)
        if language not in ("auto", "en") and recognizer.language == "en":
            print(
                f"llama-desk: {recognizer.path.name} understands English only. Download a multilingual speech model "
                "on the app's Models page and pass its id or folder with --stt-model.",
                file=sys.stderr,
            )
            return 1
        print(f"Transcribing {args.audio} with {recognizer.path.name} ({recognizer.threads} threads)…", file=sys.stderr)
        result = recognizer.transcribe_file(args.audio, progress=_progress_printer(), cancel=cancel)
    except TranscribeError as exc:
        print(f"llama-desk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("llama-desk: stopped.", file=sys.stderr)
        return 130
    _print(result, args.json)
    print(
        f"Done: {clock(result.duration)} of audio in {result.compute_seconds:.1f} s "
        f"(real-time factor {result.real_time_factor:.2f}).",
        file=sys.stderr,
    )
    return 0
