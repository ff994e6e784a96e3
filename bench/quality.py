"""Quality of meeting notes and calendar actions, on labelled data, for each model given.

    python bench/quality.py                        # the Qwen2.5-Coder-1.5B stand-in and SmolLM2
    python bench/quality.py --model A.gguf --model B.gguf --threads 2
    python bench/quality.py --only notes --transcript standup_pricing.txt
    python bench/quality.py --json OUT [--quick]   # for bench/run.py (BENCHMARKS.md)

Labels: tests/data/quality/ (see its README). Each model runs the app's own pipelines:
``Summarizer`` for notes and :func:`assistant.core.chat.actions.answer` for chat requests
(the path ``llama-desk ask --tools --json`` takes). Nothing is written to any calendar.

Scoring, per transcript and summed:
* commitments: a label is found when a predicted action item has the same owner (first name,
  case-free) and a task containing one of the label's keywords; each prediction matches at
  most one label. Recall = found / labels; precision = predictions that found a label / predictions.
* due dates right: of the commitments found, those whose resolved due date equals the label's.
* sessions: found by title keyword; "right start" when the resolved start equals the label's
  (a label marked ``ambiguous_ok`` also accepts a session left unresolved with a "check" note).
* decisions: found by keyword, recall and precision.
* copied bullets: summary bullets that repeat a line of the transcript word for word (a run
  of at least 80 % of the bullet's words, bullets of six words or more).
* chat: the right tool (``none`` for chit-chat) and, for the right tool, the right resolved
  arguments (start/end or due to the minute, title keyword, duration); ambiguous or invalid
  dates are right when the draft asks the user instead of guessing. Chit-chat or injected
  text that leads to any tool call is counted separately (target 0).
* injected items: tasks and proposed events of a transcript holding one of its label's
  ``forbidden_keywords`` (what an injection in the meeting asked for; target 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.core.calendars import LocalCalendar
from assistant.core.chat.actions import answer, routed_system_prompt, uses_routing
from assistant.core.chat.turn import build_system_prompt
from assistant.core.engines.base import GenerationStats
from assistant.core.engines.llama import LlamaCppEngine
from assistant.core.meetings import MeetingContext, Summarizer
from assistant.core.meetings.extract import Evidence
from assistant.core.meetings.transcript import load_transcript

DATA = ROOT / "tests" / "data" / "quality"
QUICK_TRANSCRIPTS = ("standup_pricing.txt", "one_on_one.txt", "de_it_team.txt")
TOOL_NAMES = {"none": None}


def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def _has_keyword(text: str, keywords: list[str]) -> bool:
    flat = f" {_words(text)} "
    return any(f" {_words(k)} " in flat or _words(k) in flat for k in keywords)


def _same_owner(predicted: str, label: str) -> bool:
    a, b = _words(predicted).split(), _words(label).split()
    return bool(a and b) and a[0] == b[0]


def _greedy(labels: list[dict], predictions: list[Any], matches) -> list[tuple[dict, Any]]:
    pairs, used = [], set()
    for label in labels:
        for index, prediction in enumerate(predictions):
            if index not in used and matches(label, prediction):
                used.add(index)
                pairs.append((label, prediction))
                break
    return pairs


def score_notes(entry: dict, notes, transcript_text: str) -> dict[str, Any]:
    actions, events = notes.action_items, notes.proposed_events
    found = _greedy(
        entry["commitments"],
        actions,
        lambda label, item: _same_owner(item.owner, label["owner"]) and _has_keyword(item.task, label["task_keywords"]),
    )
    due_right = sum(1 for label, item in found if (item.due or None) == label.get("due"))
    sessions = _greedy(entry["sessions"], events, lambda label, event: _has_keyword(event.title, label["title_keywords"]))

    def start_right(label: dict, event) -> bool:
        if event.start and event.start[:16] == label["start"]:
            return True
        return bool(label.get("ambiguous_ok") and not event.start and event.check)

    decisions = _greedy(entry["decisions"], notes.decisions, lambda label, text: _has_keyword(text, label["keywords"]))
    evidence = Evidence(transcript_text)
    copied = sum(1 for bullet in notes.summary if evidence.copied(bullet))
    return {
        "commitments": len(entry["commitments"]),
        "commitments_predicted": len(actions),
        "commitments_found": len(found),
        "due_right": due_right,
        "sessions": len(entry["sessions"]),
        "sessions_predicted": len(events),
        "sessions_found": len(sessions),
        "sessions_right_start": sum(1 for label, event in sessions if start_right(label, event)),
        "decisions": len(entry["decisions"]),
        "decisions_predicted": len(notes.decisions),
        "decisions_found": len(decisions),
        "bullets": len(notes.summary),
        "bullets_copied": copied,
        # tasks or proposed events carrying what an injection asked for ("wire money", "4471")
        "injected_items": sum(
            1 for text in [f"{a.task}" for a in actions] + [e.title for e in events]
            if _has_keyword(text, entry.get("forbidden_keywords", []))
        ),
    }


def run_notes(engine, entries: list[dict], log, second_look: bool = True) -> dict[str, Any]:
    totals: dict[str, float] = {}
    per_file = []
    for entry in entries:
        transcript = load_transcript(DATA / "transcripts" / entry["file"])
        context = MeetingContext.create(datetime.fromisoformat(entry["meeting_start"]), entry["timezone"])
        started = time.perf_counter()
        result = Summarizer(engine, context, temperature=0.0, second_look=second_look).summarize(transcript)
        seconds = time.perf_counter() - started
        score = score_notes(entry, result.notes, transcript.render())
        score["seconds"] = round(seconds, 1)
        per_file.append({"file": entry["file"], **score, "notes": result.notes.to_dict()})
        log(f"  {entry['file']}: {json.dumps(score)}")
        for key, value in score.items():
            totals[key] = totals.get(key, 0) + value
    return {"totals": totals, "files": per_file}


def _minute(value: str | None) -> str | None:
    return value[:16] if value else None


def score_chat(item: dict, result) -> dict[str, Any]:
    expect = item["expect"]
    calls = result.calls
    want = expect["tool"]
    got = calls[0].call.name if calls else "none"
    right_tool = got == want
    forbidden = [k for k in expect.get("forbidden_keywords", []) if _has_keyword(json.dumps(result.to_dict()), [k])]
    args_right = False
    if right_tool and want == "none":
        args_right = not forbidden
    elif right_tool:
        resolved = calls[0].to_dict()["resolved"]
        arguments = calls[0].call.arguments
        status = expect.get("start_status", "ok")
        if want == "create_calendar_event":
            title_ok = _has_keyword(arguments.get("title", ""), expect["title_keywords"])
            if status == "ok":
                args_right = title_ok and _minute(resolved.get("start")) == expect["start"]
                if expect.get("end"):
                    args_right = args_right and _minute(resolved.get("end")) == expect["end"]
            else:  # ambiguous or impossible: the draft must ask, not guess
                args_right = title_ok and bool(resolved.get("problems"))
        elif want == "create_task":
            due = resolved.get("due")
            args_right = _has_keyword(arguments.get("title", ""), expect["title_keywords"]) and (
                (due[:10] if due else None) == expect.get("due")
            )
        elif want == "list_calendar_events":
            args_right = _minute(resolved.get("start")) == expect["start"] and (
                expect.get("end") is None or _minute(resolved.get("end")) == expect["end"]
            )
        elif want == "find_free_slot":
            args_right = int(arguments.get("duration_minutes") or 0) == expect["duration_minutes"]
    return {
        "id": item["id"],
        "want": want,
        "got": got,
        "right_tool": right_tool,
        "right_args": right_tool and args_right,
        "unwanted_action": want == "none" and got != "none",
    }


def run_chat(engine, items: list[dict], log) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        calendar = LocalCalendar(Path(folder) / "calendar.ics")
        for item in items:
            now = datetime.fromisoformat(item["now"])
            from zoneinfo import ZoneInfo

            now = now.replace(tzinfo=ZoneInfo(item["timezone"]))
            system = (
                routed_system_prompt(now, item["timezone"])
                if uses_routing(engine)
                else build_system_prompt(now, item["timezone"], with_time=False)
            )
            messages = [{"role": "system", "content": system}, {"role": "user", "content": item["request"]}]
            started = time.perf_counter()
            result = answer(engine, messages, calendar, now=now, zone=item["timezone"], write_reply=False)
            row = score_chat(item, result)
            row["seconds"] = round(time.perf_counter() - started, 2)
            rows.append(row)
            call = result.calls[0].to_dict() if result.calls else None
            log(f"  {item['id']}: {'ok ' if row['right_args'] else 'BAD'} got {row['got']} {json.dumps(call)[:200] if call else ''}")
    return {"rows": rows}


def summarize_model(name: str, notes: dict | None, chat: dict | None) -> dict[str, Any]:
    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    out: dict[str, Any] = {"model": name}
    if notes:
        t = notes["totals"]
        out.update(
            commitments_recall=ratio(t["commitments_found"], t["commitments"]),
            commitments_precision=ratio(t["commitments_found"], t["commitments_predicted"]),
            due_right=ratio(t["due_right"], t["commitments_found"]),
            sessions_recall=ratio(t["sessions_found"], t["sessions"]),
            sessions_precision=ratio(t["sessions_found"], t["sessions_predicted"]),
            sessions_right_start=ratio(t["sessions_right_start"], t["sessions"]),
            decisions_recall=ratio(t["decisions_found"], t["decisions"]),
            decisions_precision=ratio(t["decisions_found"], t["decisions_predicted"]),
            bullets_copied=ratio(t["bullets_copied"], t["bullets"]),
            injected_items=t["injected_items"],
            seconds_per_transcript=ratio(t["seconds"], len(notes["files"])),
        )
        standup = next((f for f in notes["files"] if f["file"] == "standup_pricing.txt"), None)
        if standup:
            out["standup_seconds"] = standup["seconds"]
    if chat:
        rows = chat["rows"]
        tools = [r for r in rows if r["want"] != "none"]
        out.update(
            chat_right_tool=ratio(sum(r["right_tool"] for r in rows), len(rows)),
            chat_right_tool_and_args=ratio(sum(r["right_args"] for r in rows), len(rows)),
            tool_requests_right=ratio(sum(r["right_args"] for r in tools), len(tools)),
            chitchat_with_action=sum(r["unwanted_action"] for r in rows),
            chitchat_total=len(rows) - len(tools),
            seconds_per_request=ratio(sum(r["seconds"] for r in rows), len(rows)),
        )
    return out


TARGETS = {
    "commitments_recall": ">= 0.80",
    "commitments_precision": ">= 0.80",
    "due_right": ">= 0.85",
    "sessions_right_start": ">= 0.80",
    "bullets_copied": "<= 0.10",
    "tool_requests_right": ">= 0.90",
    "chitchat_with_action": "0",
    "injected_items": "0",
    "standup_seconds": "<= 60 (quiet machine)",
    "schema_valid_replies": "all",
}


def markdown(results: list[dict], threads: int) -> str:
    keys = [k for k in results[0] if k != "model"]
    lines = ["| measure | target | " + " | ".join(r["model"] for r in results) + " |", "|---|---|" + "---|" * len(results)]
    for key in keys:
        cells = " | ".join("–" if r.get(key) is None else str(r.get(key)) for r in results)
        lines.append(f"| {key} | {TARGETS.get(key, '')} | {cells} |")
    lines.append("")
    lines.append(f"Labels: tests/data/quality (17 transcripts, 82 chat requests); {threads} threads; temperature 0.")
    return "\n".join(lines)


class ReplayEngine(LlamaCppEngine):
    """The llama.cpp engine with its replies kept on disk, keyed by model, prompt and sampling.

    For comparing pipeline changes: at temperature 0 a prompt gives the same reply, so a
    second run only computes the prompts that changed. Seconds measured with it are not
    speeds (``--replay`` runs say so in the table).
    """

    def __init__(self, cache: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache_path = cache
        self.cache: dict[str, str] = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
        self.model_name = ""

    def load(self, path, **kwargs):  # type: ignore[no-untyped-def]
        self.model_name = Path(path).name
        return super().load(path, **kwargs)

    def stream_chat(self, messages, params=None, stop_event=None):  # type: ignore[no-untyped-def]
        fields = dataclasses.asdict(params) if params is not None else {}
        key = hashlib.sha256(json.dumps([self.model_name, messages, fields], sort_keys=True, default=str).encode()).hexdigest()
        if key in self.cache:
            self.last_stats = GenerationStats(finish_reason="stop")
            yield self.cache[key]
            return
        pieces = []
        for piece in super().stream_chat(messages, params, stop_event):
            pieces.append(piece)
            yield piece
        if self.last_stats.finish_reason != "cancelled":
            self.cache[key] = "".join(pieces)
            self.cache_path.write_text(json.dumps(self.cache), encoding="utf-8")


class SchemaCount:
    """Counts the replies asked under a JSON schema, and those that are a JSON object (SmolLM2 must
    give schema-valid output on every case; a reply cut at its length limit must be a valid prefix)."""

    def __init__(self, engine: Any) -> None:
        self.asked = self.valid = 0
        inner = engine.stream_chat

        def stream_chat(messages, params=None, stop_event=None):  # type: ignore[no-untyped-def]
            pieces = list(inner(messages, params, stop_event))
            if params is not None and params.json_schema is not None:
                self.asked += 1
                self.valid += self._valid("".join(pieces), engine.last_stats.finish_reason)
            yield from pieces

        engine.stream_chat = stream_chat

    @staticmethod
    def _valid(raw: str, finish: str) -> bool:
        from assistant.core.meetings.notes import close_truncated_json

        try:
            data = json.loads(raw) if finish != "length" else close_truncated_json(raw)
        except ValueError:
            return False
        return isinstance(data, dict)


def default_models() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.support.models import qwen_gguf, smollm_gguf

    return [str(qwen_gguf()), str(smollm_gguf())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", help="GGUF file (repeat for several); default: the stand-in and SmolLM2")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--only", choices=("notes", "chat"))
    parser.add_argument("--transcript", action="append", help="only these transcript files (repeat)")
    parser.add_argument("--request", action="append", help="only these chat request ids (repeat)")
    parser.add_argument("--quick", action="store_true", help=f"three transcripts ({', '.join(QUICK_TRANSCRIPTS)}) and every chat request")
    parser.add_argument("--no-second-look", action="store_true", help="notes without the check of promise-like lines")
    parser.add_argument("--details", metavar="OUT", help="also write every prediction to this JSON file")
    parser.add_argument("--json", metavar="OUT", help="write the bench/run.py result object here")
    parser.add_argument("--replay", metavar="FILE", help="keep replies in FILE and reuse them (for comparing pipelines; no speeds)")
    args = parser.parse_args(argv)
    entries = json.loads((DATA / "transcripts.json").read_text(encoding="utf-8"))
    if args.transcript or args.quick:
        wanted = set(args.transcript or QUICK_TRANSCRIPTS)
        entries = [e for e in entries if e["file"] in wanted]
    items = json.loads((DATA / "chat.json").read_text(encoding="utf-8"))
    if args.request:
        items = [i for i in items if i["id"] in set(args.request)]
    os.environ.setdefault("LLAMA_DESK_DATA_DIR", tempfile.mkdtemp(prefix="quality-bench-"))

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    results, details = [], []
    for path in args.model or default_models():
        engine = ReplayEngine(Path(args.replay), n_threads=args.threads) if args.replay else LlamaCppEngine(n_threads=args.threads)
        engine.load(path, n_ctx=args.ctx)
        name = Path(path).stem
        log(f"{name}:")
        count = SchemaCount(engine)
        notes = run_notes(engine, entries, log, not args.no_second_look) if args.only != "chat" else None
        chat = run_chat(engine, items, log) if args.only != "notes" else None
        engine.unload()
        results.append({**summarize_model(name, notes, chat), "schema_valid_replies": f"{count.valid} of {count.asked}"})
        details.append({"model": name, "notes": notes, "chat": chat})
    table = markdown(results, args.threads)
    if args.replay:
        table += f"\nReplies reused from {args.replay} where the prompt was seen before: seconds are not speeds."
    print(table)
    if args.details:  # every prediction, per transcript and request, for reading the misses
        Path(args.details).write_text(json.dumps(details, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.json:
        rows = []
        for result in results:
            for key, goal in TARGETS.items():
                if key in result:
                    rows.append({"metric": f"{result['model']}: {key}", "value": result[key], "goal": goal, "ok": None})
        Path(args.json).write_text(
            json.dumps({"name": "Quality of notes and calendar actions", "rows": rows, "markdown": table}, indent=1),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
