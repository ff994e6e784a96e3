"""Benchmark: live meeting notes vs one-shot map-reduce on the 60-minute planning meeting.

    python bench/summarize.py [MODEL.gguf] [--ctx 4096] [--max-tokens 256] [--min-update 300] [--json OUT]

Without MODEL it uses the synthetic Llama-3.2-1B-shaped Q4_K_M build from
``bench/synthetic.py`` (built on first use), the 1B Q4_K_M-sized model the target names.

Measures, in one run on one loaded model:

1. one-shot: :class:`Summarizer` over the whole transcript (map over chunks, merge).
2. live: the transcript is replayed on a simulated meeting clock — each segment arrives at
   its end timestamp; whenever the summarizer is idle it runs one step on the wall clock and
   stays busy for as long as the step really took (so a slow model falls behind and batches,
   exactly as it would in a real meeting). Nothing sleeps: the hour is simulated, the
   compute is real.

Reports:
- final-notes ratio = (time from "meeting ended" to final notes in live mode) / (one-shot time);
  the live latency includes any step still running when the meeting ends. Target <= 0.25.
- live load = (total live compute) / (meeting duration). Target <= 0.5 for a 1B Q4_K_M model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.core.meetings import LIVE_MAX_LOAD, MeetingContext, RollingSummarizer, Summarizer
from assistant.core.meetings.transcript import load_transcript

DEFAULT_TRANSCRIPT = ROOT / "tests" / "data" / "transcripts" / "planning_60min.vtt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="GGUF model file (default: the synthetic 1B Q4_K_M)")
    parser.add_argument("--transcript", default=str(DEFAULT_TRANSCRIPT))
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--max-tokens", type=int, default=256, help="output tokens per model call")
    parser.add_argument("--min-update", type=int, default=300, help="live mode: tokens gathered before a step")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-load", type=float, default=LIVE_MAX_LOAD,
                        help=f"live pacing, as in the app (default {LIVE_MAX_LOAD}; 0 turns it off)")
    parser.add_argument("--json", metavar="OUT", help="write the result for bench/run.py")
    args = parser.parse_args(argv)
    if args.model is None:
        sys.path.insert(0, str(ROOT / "bench"))
        from synthetic import LLAMA_32_1B, ensure_models

        args.model = str(ensure_models(LLAMA_32_1B, ["Q4_K_M"], log=lambda m: print(m, file=sys.stderr))["Q4_K_M"])

    from assistant.core.engines.llama import LlamaCppEngine

    engine = LlamaCppEngine(n_threads=args.threads)
    info = engine.load(args.model, n_ctx=args.ctx)
    transcript = load_transcript(args.transcript)
    duration = transcript.duration or 3600.0
    context = MeetingContext.create(datetime(2026, 11, 24, 10, 0), "Europe/Berlin", language="en")
    print(
        f"model {info.model_name} ({Path(args.model).name}, {info.file_size / 1e6:.0f} MB), ctx {info.n_ctx}, "
        f"threads {info.n_threads}; transcript {transcript.word_count} words, {duration / 60:.0f} min",
        file=sys.stderr,
    )

    started = time.perf_counter()
    one_shot = Summarizer(engine, context, max_output_tokens=args.max_tokens).summarize(
        transcript, progress=lambda p: print(f"  one-shot {p.stage} {p.done}/{p.total}", file=sys.stderr, flush=True)
    )
    one_shot_seconds = time.perf_counter() - started

    meeting_clock = [0.0]  # the simulated meeting time, which paces the live steps as a real clock would
    live = RollingSummarizer(engine, context, min_update_tokens=args.min_update, max_output_tokens=args.max_tokens,
                             max_load=args.max_load, clock=lambda: meeting_clock[0])
    busy_until = 0.0  # meeting-clock second until which the summarizer is busy
    for segment in transcript.segments:
        arrival = segment.end if segment.end is not None else busy_until
        meeting_clock[0] = arrival
        live.feed(segment.render() + "\n")
        if busy_until <= arrival:
            step_started = time.perf_counter()
            if live.step():
                busy_until = arrival + (time.perf_counter() - step_started)
                print(
                    f"  live step {live.steps} at {arrival / 60:5.1f} min, busy until {busy_until / 60:5.1f} min",
                    file=sys.stderr,
                    flush=True,
                )
    still_busy = max(0.0, busy_until - duration)
    finish_started = time.perf_counter()
    final = live.finish()
    finish_seconds = time.perf_counter() - finish_started
    final_latency = still_busy + finish_seconds

    report = {
        "model": info.model_name,
        "model_file": Path(args.model).name,
        "n_ctx": info.n_ctx,
        "threads": info.n_threads,
        "max_tokens": args.max_tokens,
        "min_update_tokens": args.min_update,
        "max_load": args.max_load,
        "words": transcript.word_count,
        "meeting_seconds": round(duration, 1),
        "one_shot_seconds": round(one_shot_seconds, 1),
        "one_shot_chunks": one_shot.chunks,
        "one_shot_calls": one_shot.model_calls,
        "live_steps": live.steps,
        "live_compute_seconds": round(live.compute_seconds, 1),
        "live_still_busy_at_end_seconds": round(still_busy, 1),
        "live_finish_seconds": round(finish_seconds, 1),
        "final_notes_ratio": round(final_latency / one_shot_seconds, 3),
        "live_load_ratio": round(live.compute_seconds / duration, 3),
        "one_shot_action_items": len(one_shot.notes.action_items),
        "live_action_items": len(final.notes.action_items),
        "notices": len(one_shot.notices) + len(final.notices),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(bench_result(report), indent=1), encoding="utf-8")
    return 0


def bench_result(report: dict) -> dict:
    """The bench/run.py section for one measurement."""
    synthetic = report["model_file"].startswith("synthetic-")
    rows = [
        {"metric": "final-notes ratio: live time from meeting end to final notes ÷ one-shot map-reduce",
         "value": f"{report['final_notes_ratio']:.3f}", "goal": "<= 0.25", "ok": report["final_notes_ratio"] <= 0.25},
        {"metric": "live load: total live compute ÷ meeting duration",
         "value": f"{report['live_load_ratio']:.3f}", "goal": "<= 0.5", "ok": report["live_load_ratio"] <= 0.5},
    ]
    lines = [
        f"Model `{report['model_file']}`{' (random weights with the exact Llama 3.2 1B shape: the timing is real, the notes are not)' if synthetic else ''}, "
        f"n_ctx {report['n_ctx']}, {report['threads']} threads, at most {report['max_tokens']} output tokens per model call, "
        f"a live step once {report['min_update_tokens']} transcript tokens are waiting, paced to a load of "
        f"{report['max_load']} (as the app does). "
        f"Transcript: `tests/data/transcripts/planning_60min.vtt`, {report['words']:,} words, "
        f"{report['meeting_seconds'] / 60:.0f} min, replayed on a simulated clock (the compute is real).",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| one-shot map-reduce | {report['one_shot_seconds']:.1f} s ({report['one_shot_chunks']} chunks, {report['one_shot_calls']} model calls) |",
        f"| live steps during the meeting | {report['live_steps']} |",
        f"| live compute, whole meeting | {report['live_compute_seconds']:.1f} s |",
        f"| step still running when the meeting ended | {report['live_still_busy_at_end_seconds']:.1f} s |",
        f"| finishing the tail after the meeting | {report['live_finish_seconds']:.1f} s |",
        f"| action items: one-shot / live | {report['one_shot_action_items']} / {report['live_action_items']} |",
        f"| notices (invalid output retried or shown as text) | {report['notices']} |",
    ]
    return {"name": f"Meeting notes ({report['model_file']})", "rows": rows, "markdown": "\n".join(lines), "raw": report}


if __name__ == "__main__":
    sys.exit(main())
