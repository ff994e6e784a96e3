"""`llama-desk record OUT.wav`: record the microphone, this computer's sound, or both, without a window.

With ``--source both`` two files are written on one clock: OUT.wav (the microphone) and
OUT.system.wav (this computer's sound); each is crash-safe as it is written (at most about two
seconds are lost if the process dies). ``--transcribe`` transcribes them afterwards; with both
sources the microphone's segments are "You", the computer's "Others", and the microphone's
echoes of the call are dropped. Exit codes: 0 done (Ctrl+C stops the recording normally),
1 could not record or transcribe.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from assistant.core.audio.sources import BOTH, MIC, SOURCE_CHOICES, SYSTEM, roles
from assistant.core.meetings.transcript import Segment, clock

#: Extra wall-clock seconds allowed beyond ``--seconds`` for audio that arrives late.
GRACE_SECONDS = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "record",
        help="record a meeting (microphone, computer sound or both) without a window",
        description=(
            "Record to a WAV file: your microphone, this computer's sound (the other side of a call), or both "
            "(then OUT.wav is the microphone and OUT.system.wav the computer's sound). Ctrl+C stops."
        ),
    )
    parser.add_argument("out", metavar="OUT.wav", help="the WAV file to write")
    parser.add_argument("--source", choices=list(SOURCE_CHOICES), default=MIC,
                        help="mic (default), system (this computer's sound) or both")
    parser.add_argument("--seconds", type=float, default=None, metavar="N", help="stop after N seconds (default: Ctrl+C)")
    parser.add_argument("--device", default=None, metavar="NAME-OR-INDEX", help="microphone input (default: the default input)")
    parser.add_argument("--system-device", default=None, metavar="NAME",
                        help="where the computer's sound comes from (Linux: a PulseAudio source such as "
                             "'speakers.monitor'; default: the default output's monitor or loopback)")
    parser.add_argument("--transcribe", action="store_true", help="transcribe the recording when it ends")
    parser.add_argument("--json", action="store_true", help="print the result (and transcript) as JSON")
    parser.add_argument("--language", default=None, metavar="CODE", help="spoken language, e.g. de (default: detect)")
    parser.add_argument("--stt-model", metavar="PATH-OR-ID", help="faster-whisper model folder or downloaded model id")
    parser.add_argument("--threads", type=int, default=None, metavar="N", help="CPU threads for transcription")
    parser.set_defaults(func=run_record)


def _device(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


def output_paths(out: Path, choice: str) -> dict[str, Path]:
    """The file of each source: OUT.wav first, OUT.system.wav for the computer's sound beside the microphone."""
    paths = {}
    for role in roles(choice):
        paths[role] = out if not paths else out.with_name(out.stem + ".system" + out.suffix)
    return paths


def _problem(out: Path, args: argparse.Namespace) -> str:
    if out.suffix.lower() != ".wav":
        return f"'{out}' must end in .wav."
    if out.is_dir():
        return f"'{out}' is a folder; give a file name such as {out / 'meeting.wav'}."
    if not out.parent.is_dir():
        return f"The folder '{out.parent}' does not exist."
    if args.seconds is not None and args.seconds <= 0:
        return "--seconds must be more than 0."
    return ""


def _record(args: argparse.Namespace, paths: dict[str, Path]) -> tuple[float, str]:
    from assistant.core.audio.sources import MultiRecorder, open_sources

    sources = open_sources(args.source, _device(args.device), _device(args.system_device))
    recorder = MultiRecorder(sources, paths=paths, on_notice=lambda text: print(f"llama-desk: {text}", file=sys.stderr))
    recorder.start()
    names = " and ".join(getattr(s, "name", role) for role, s in sources.items())
    until = f"for {clock(args.seconds)}" if args.seconds else "until Ctrl+C"
    print(f"Recording {names} {until}…", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        while recorder.running:
            if args.seconds is not None and (
                recorder.elapsed >= args.seconds or time.monotonic() - started > args.seconds + GRACE_SECONDS
            ):
                break
            time.sleep(0.1)
    except KeyboardInterrupt:
        print("Stopping…", file=sys.stderr)
    result = recorder.stop()
    return result.seconds, result.error


def _transcribe(args: argparse.Namespace, recognizer: object, paths: dict[str, Path]) -> tuple[list[Segment], int]:
    from assistant.core.audio.live_stt import transcribe_in_pieces
    from assistant.core.audio.speakers import combine, labelled, speaker_for
    from assistant.core.audio.wav import read_wav

    found: dict[str, list[Segment]] = {}
    for role, path in paths.items():
        print(f"Transcribing {path.name}…", file=sys.stderr, flush=True)
        samples, _ = read_wav(path)  # 16 kHz, as recorded
        found[role] = transcribe_in_pieces(recognizer, samples)  # type: ignore[arg-type]
    if args.source == BOTH:
        segments, echoes = combine(found[MIC], found[SYSTEM])
        return segments, len(echoes)
    role = args.source
    return labelled(found[role], speaker_for(role, both=False)), 0


def run_record(args: argparse.Namespace) -> int:
    from assistant.core.audio.capture import CaptureError
    from assistant.core.audio.stt import SpeechRecognizer, TranscribeError

    out = Path(args.out).expanduser()
    problem = _problem(out, args)
    if problem:
        print(f"llama-desk: {problem}", file=sys.stderr)
        return 1
    paths = output_paths(out, args.source)
    recognizer = None
    try:
        if args.transcribe:  # before recording: a missing model is better known first
            recognizer = SpeechRecognizer(args.stt_model, threads=args.threads, language=args.language, beam_size=5)
            if args.language and recognizer.language != args.language:
                print(f"llama-desk: {recognizer.path.name} only knows English; transcribing as English.", file=sys.stderr)
        seconds, error = _record(args, paths)
    except (CaptureError, TranscribeError) as exc:
        print(f"llama-desk: {exc}", file=sys.stderr)
        return 1
    for role, path in paths.items():
        print(f"Saved {SOURCE_CHOICES[role].lower()}: {path}", file=sys.stderr)
    if error:
        print(f"llama-desk: {error}", file=sys.stderr)
    report: dict = {"source": args.source, "files": {r: str(p) for r, p in paths.items()}, "seconds": round(seconds, 2)}
    if recognizer is not None:
        try:
            segments, echoes = _transcribe(args, recognizer, paths)
        except TranscribeError as exc:
            print(f"llama-desk: {exc} The recording is kept.", file=sys.stderr)
            return 1
        report["echoes_dropped"] = echoes
        report["segments"] = [
            {"start": round(s.start or 0.0, 2), "end": round(s.end or 0.0, 2), "speaker": s.speaker, "text": s.text}
            for s in segments
        ]
        if not args.json:
            for segment in segments:
                print(segment.render())
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    return 1 if error and seconds == 0 else 0
