"""Date phrases as people say them, in six languages: table-driven over the labelled data.

- tests/data/date_phrases.json: the phrase a model would pass for each chat request of
  tests/data/quality/chat.json (source ``chat:<id>``), plus cases per language (``extra:<lang>``).
- tests/data/quality/transcripts.json: every due date and session start labelled in the
  quality transcripts (and the end, where one is labelled).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.core.date_words import normalize
from assistant.core.dates import DateResolution, resolve_datetime, resolve_period, resolve_span
from tests.support import TEST_DATA

DATA = TEST_DATA
PHRASES = json.loads((DATA / "date_phrases.json").read_text(encoding="utf-8"))["phrases"]
TRANSCRIPTS = json.loads((DATA / "quality" / "transcripts.json").read_text(encoding="utf-8"))
BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = datetime(2026, 11, 27, 11, 25, tzinfo=BERLIN)
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def _minute(result: DateResolution | None) -> str | None:
    if result is None:
        return None
    return result.value.strftime("%Y-%m-%dT%H:%M") if result.ok and result.value else f"<{result.status}>"


def _now(entry: dict[str, Any], key: str) -> tuple[datetime, ZoneInfo]:
    zone = ZoneInfo(entry["timezone"])
    return datetime.fromisoformat(entry[key]).replace(tzinfo=zone), zone


def _got(entry: dict[str, Any]) -> dict[str, str | None]:
    now, zone = _now(entry, "now")
    expect = entry["expect"]
    if entry["kind"] == "period":
        period = resolve_period(entry["said"], now, zone)
        start = period.start
        if start.ok and start.value and entry.get("clamp_to_now"):
            start = DateResolution("ok", value=max(start.value, now))
        return {"start": _minute(start), "end": _minute(period.end)}
    span = resolve_span(entry["said"], now, zone)
    assert span.start == resolve_datetime(entry["said"], now, zone)  # the start, as before
    if "status" in expect:
        assert not span.ok and span.start.value is None and span.reason
        return {"status": span.start.status}
    if "due" in expect:
        assert span.start.ok, span.reason
        return {"due": span.start.value.date().isoformat()}
    got = {"start": _minute(span.start)}
    if "end" in expect:
        if entry.get("duration_minutes"):
            got["end"] = _minute(DateResolution("ok", value=span.start.value + timedelta(minutes=entry["duration_minutes"])))
        else:
            got["end"] = _minute(span.end)
    return got


@pytest.mark.parametrize("entry", PHRASES, ids=[f"{e['source']}:{e['said']}" for e in PHRASES])
def test_phrase_table(entry: dict[str, Any]) -> None:
    assert _got(entry) == entry["expect"]


def _transcript_labels() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    rows = []
    for transcript in TRANSCRIPTS:
        for item in transcript["commitments"] + transcript["sessions"]:
            said = item.get("due_said") or item.get("start_said")
            if said:
                rows.append((f"{transcript['language']}:{said}", transcript, item))
    return rows


@pytest.mark.parametrize(("label", "transcript", "item"), _transcript_labels(), ids=[r[0] for r in _transcript_labels()])
def test_transcript_labels(label: str, transcript: dict[str, Any], item: dict[str, Any]) -> None:
    now, zone = _now(transcript, "meeting_start")
    if "due_said" in item:
        result = resolve_datetime(item["due_said"], now, zone)
        assert result.ok, result.reason
        assert result.value.date().isoformat() == item["due"]
        return
    span = resolve_span(item["start_said"], now, zone)
    if item.get("ambiguous_ok") and span.start.status == "ambiguous":
        return
    assert _minute(span.start) == item["start"]
    if item.get("end"):
        assert _minute(span.end) == item["end"]


def test_the_measured_share_meets_the_target() -> None:
    """At least 95% of the transcript labels and of the chat labels resolve exactly."""
    failures = 0
    rows = _transcript_labels()
    for _label, transcript, item in rows:
        try:
            test_transcript_labels(_label, transcript, item)
        except AssertionError:
            failures += 1
    assert failures <= len(rows) * 0.05
    chat = [e for e in PHRASES if e["source"].startswith("chat:")]
    misses = [e for e in chat if _got(e) != e.get("chat_label", e["expect"])]
    assert len(misses) <= len(chat) * 0.05, [m["said"] for m in misses]


# --- asking instead of guessing, in every language --------------------------------------------

REFUSALS = [
    # impossible dates and times
    ("31/11", "impossible", "no day 31"),
    ("le 30 février", "impossible", "no day 30"),
    ("am 30. Februar", "impossible", "no day 30"),
    ("el 31 de noviembre", "impossible", "no day 31"),
    ("il 31 novembre", "impossible", "no day 31"),
    ("30 de fevereiro", "impossible", "no day 30"),
    ("um 25 Uhr", "impossible", "not a real time"),
    ("à 25 h", "impossible", "not a real time"),
    ("às 25h", "impossible", "not a real time"),
    ("alle 25", "impossible", "not a real time"),
    ("13 pm", "impossible", "not a real time"),
    # a bare 7 is morning or evening in every language
    ("at seven", "ambiguous", "am or pm"),
    ("um 7 Uhr", "ambiguous", "am or pm"),
    ("à 7 h", "ambiguous", "am or pm"),
    ("a las siete", "ambiguous", "am or pm"),
    ("alle sette", "ambiguous", "am or pm"),
    ("às sete", "ambiguous", "am or pm"),
    # a week without a day
    ("next week", "ambiguous", "Which day"),
    ("nächste Woche", "ambiguous", "Which day"),
    ("la semaine prochaine", "ambiguous", "Which day"),
    ("la próxima semana", "ambiguous", "Which day"),
    ("la settimana prossima", "ambiguous", "Which day"),
    ("na próxima semana", "ambiguous", "Which day"),
    # midnight, and a weekday that does not match the date (6 December 2026 is a Sunday)
    ("demain à minuit", "ambiguous", "Midnight"),
    ("El sábado 6 a las ocho", "ambiguous", "not a Saturday"),
    ("Samstag, den 6. Dezember", "ambiguous", "not a Saturday"),
    # "that evening" needs a date said before it; words the tables do not know are refused
    ("that evening", "ambiguous", "which day"),
    ("irgendwann bald", "unrecognized", "could not"),
    ("quand tu veux", "unrecognized", "could not"),
]


@pytest.mark.parametrize(("text", "status", "reason_part"), REFUSALS)
def test_refuses_to_guess_in_every_language(text: str, status: str, reason_part: str) -> None:
    result = resolve_datetime(text, FRIDAY, BERLIN)
    assert (result.status, result.value) == (status, None)
    assert reason_part in result.reason


@pytest.mark.parametrize(
    "text", ["next Friday", "vendredi prochain", "nächsten Freitag", "el próximo viernes", "venerdì prossimo", "próxima sexta"]
)
def test_next_weekday_still_this_week_is_ambiguous_in_every_language(text: str) -> None:
    # Said on a Monday, "next Friday" is this Friday (27 November) or the one after (4 December).
    result = resolve_datetime(text, MONDAY, BERLIN)
    assert result.status == "ambiguous"
    assert "27 November" in result.reason and "4 December" in result.reason
    # Said on a Friday, both readings are the Friday of next week.
    assert resolve_datetime(text, FRIDAY, BERLIN).value == datetime(2026, 12, 4, tzinfo=BERLIN)


def test_next_weekday_that_is_tomorrow_is_ambiguous() -> None:
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=BERLIN)
    assert resolve_datetime("next Monday", sunday, BERLIN).status == "ambiguous"
    assert resolve_datetime("Monday", sunday, BERLIN).value == datetime(2026, 11, 30, tzinfo=BERLIN)


def test_the_nth_said_on_that_day_after_the_time_has_passed_is_ambiguous() -> None:
    fourth = datetime(2026, 12, 4, 11, 0, tzinfo=BERLIN)
    assert resolve_datetime("on the 4th at 10", fourth, BERLIN).status == "ambiguous"
    assert resolve_datetime("on the 4th at 3pm", fourth, BERLIN).value == datetime(2026, 12, 4, 15, tzinfo=BERLIN)
    assert resolve_datetime("the 4th", fourth, BERLIN).value == datetime(2026, 12, 4, tzinfo=BERLIN)


# --- the span and period API -------------------------------------------------------------------


def test_span_without_end_and_with_end() -> None:
    only_start = resolve_span("Samstag, den 12. Dezember, ab 8 Uhr", FRIDAY, BERLIN)
    assert only_start.ok and only_start.end is None
    assert only_start.start.value == datetime(2026, 12, 12, 8, tzinfo=BERLIN)
    both = resolve_span("tomorrow from one to three", FRIDAY, BERLIN)
    assert both.ok and both.status == "ok"
    assert (both.start.value, both.end.value) == (  # type: ignore[union-attr]
        datetime(2026, 11, 28, 13, tzinfo=BERLIN),
        datetime(2026, 11, 28, 15, tzinfo=BERLIN),
    )
    assert resolve_datetime("tomorrow from one to three", FRIDAY, BERLIN) == both.start


def test_span_refusals_carry_the_reason() -> None:
    span = resolve_span("tomorrow from 7 to 9", FRIDAY, BERLIN)  # 07:00 or 19:00
    assert not span.ok and span.status == "ambiguous" and "am or pm" in span.reason


def test_span_end_in_a_dst_gap_is_impossible() -> None:
    saturday = datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN)
    span = resolve_span("tomorrow from 1:30 am to 2:30 am", saturday, BERLIN)
    assert span.start.ok and span.end is not None and span.end.status == "impossible"
    assert span.status == "impossible" and not span.ok


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("next week", (2026, 11, 30), (2026, 12, 7)),
        ("la semaine prochaine", (2026, 11, 30), (2026, 12, 7)),
        ("this afternoon", (2026, 11, 27, 12), (2026, 11, 27, 18)),
        ("lunedì mattina", (2026, 11, 30, 8), (2026, 11, 30, 12)),
        ("between December 1 and December 3", (2026, 12, 1), (2026, 12, 4)),
        ("tomorrow", (2026, 11, 28), (2026, 11, 29)),
        ("the rest of the week", (2026, 11, 27, 11, 25), (2026, 11, 30)),
    ],
)
def test_periods(text: str, start: tuple[int, ...], end: tuple[int, ...]) -> None:
    period = resolve_period(text, FRIDAY, BERLIN)
    assert period.ok, period.reason
    assert period.start.value == datetime(*start, tzinfo=BERLIN)
    assert period.end is not None and period.end.value == datetime(*end, tzinfo=BERLIN)


def test_period_of_a_point_has_no_end() -> None:
    period = resolve_period("tomorrow at 3pm", FRIDAY, BERLIN)
    assert period.start.value == datetime(2026, 11, 28, 15, tzinfo=BERLIN) and period.end is None
    assert resolve_period("in 2 hours", FRIDAY, BERLIN).start.value == datetime(2026, 11, 27, 13, 25, tzinfo=BERLIN)
    assert resolve_period("between December 3 and December 1", FRIDAY, BERLIN).status == "impossible"


# --- the normaliser on its own -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "english"),
    [
        ("bis Mittwoch nächster Woche", "by wednesday next week"),
        ("halb drei", "2:30"),  # German: half *to* three
        ("neuf heures moins le quart", "8:45"),
        ("le 20 janvier, à 9 h 30", "20 january at 9:30"),
        ("Quinta-feira, 4 de março, às 18h30", "thursday 4 march at 18:30"),
        ("El sábado 20 a las ocho", "on saturday the 20th at 8"),
        ("ten to nine", "8:50"),
        ("from ten to twelve", "from 10 to 12"),  # a span, not 11:50
        ("10 am Monday", "10 am monday"),  # English "am" stays
        ("due Friday", "due friday"),  # Italian "due" (two) only before a unit or after "alle"
        ("Sept 5", "sept 5"),  # French "sept" (seven) only as an hour
    ],
)
def test_normalize(said: str, english: str) -> None:
    assert normalize(said) == english
