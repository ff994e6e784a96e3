"""Resolve the dates and times people type ("next Tuesday at 3pm") against a clock and zone.

Everything is resolved in Python, never by the model: the model passes the user's words
(or an ISO string) and :func:`resolve_datetime` turns them into an aware datetime in
the user's IANA time zone, or says clearly why it cannot (so the app asks the user).

Rules (documented because every one of them is a decision):

* Phrases in German, French, Spanish, Italian and Portuguese are first rewritten into the
  English grammar by :mod:`assistant.core.date_words` ("bis Freitag" -> "by friday",
  "mardi prochain à 10 h" -> "next tuesday at 10 o'clock"); the rules below then apply to
  every language alike. The grammar itself is :mod:`assistant.core.date_grammar`.
* ISO strings (``2026-12-01T15:00``, ``2026-12-01 15:00``, with ``Z`` or an offset) are
  taken literally; with an offset they are converted into the user's zone.
* ``today``, ``tomorrow``, ``day after tomorrow``, ``yesterday``.
* A weekday (``Tuesday``, ``on Tuesday``, ``this Tuesday``) is the first such day *after*
  today (1-7 days ahead); ``this Friday`` said on a Friday is today. ``Tuesday next week``,
  ``next week Tuesday`` is the Tuesday of the next Monday-started week.
* ``next Tuesday`` (``mardi prochain``, ``nächsten Dienstag``, ``el próximo martes``,
  ``martedì prossimo``, ``próxima terça``) is the coming Tuesday when that falls in next week,
  where both readings ("the next one", "the one of next week") agree. When the coming Tuesday
  is still in this week, or is tomorrow, speakers mean either that one or the one a week later,
  so it is ambiguous and the user is asked. French usage is no exception: "mardi prochain"
  said on a Monday is as split as the English.
* ``in N minutes/hours`` is exact (absolute time, DST-safe); ``in N days/weeks/months``
  moves the calendar date and keeps no time of day (date only). ``a week from Friday``
  counts from that day. ``same time`` is the reference time's hour and minute.
* Month names: ``December 3``, ``3 Dec``, ``Dec 3rd 2027``; without a year the next
  occurrence (today included). ``February 30`` is impossible. Numeric ``03/04`` is
  ambiguous (day/month order differs by country) unless one number is above 12; dotted
  ``3.12.`` / ``03.04.2027`` is day.month (the only convention that writes dots).
  ``the 5th``: that day this month if not past, else next month; said on the 5th with a time
  that has passed, it is ambiguous (today, or next month?). A weekday that does not match the
  date (``Wednesday, December 1`` in 2026) is ambiguous.
* Deadlines: ``by``/``before``/``until`` only mark a due date (``by Friday`` is Friday).
  ``end of the week`` is this week's Friday (ambiguous on a weekend), ``end of next week``
  next week's Friday, ``end of the month`` its last day, ``end of day Monday`` Monday (date
  only). ``after the meeting`` is today, date only.
* ``next week``, ``next month``, ``this week`` without a day are ambiguous as a point in time
  (``resolve_period`` reads them as ranges).
* Times: ``15:30``, ``3pm``, ``3:30 pm``, ``noon``/``midday``, ``3 o'clock``, number words
  (``at ten``, ``half past two``, ``quarter to nine``, ``ten to nine``). Parts of the day stand
  for a time: morning 09:00, afternoon 14:00, evening 18:00, tonight 20:00; ``that evening``
  is the evening of the date said in the phrase. ``midnight`` is ambiguous (which night?).
* A bare hour 1-12 without am/pm (``at 3``): if a part of the day is given it decides;
  otherwise the reading inside 08:00-18:59 wins (``at 3`` -> 15:00, ``at 9`` -> 09:00,
  ``at 12`` -> noon). When neither or both readings are inside (``at 7``), it is
  ambiguous. Two-digit hours with a leading zero (``07:00``) are 24-hour times.
* Spans (:func:`resolve_span`): ``from 6 to 8``, ``from 4 to 5 pm``, ``10 to 11:30``,
  ``14:00-16:00``, ``between 2 and 4``. The start follows the rules above (a bare start takes
  the end's am/pm when that keeps it first); a bare end is the first reading after the start
  (``from 1 to 3`` -> 13:00-15:00). ``from 9`` alone is a start without an end. A span over
  midnight (``10 pm to 2 am``) ends the next day.
* A local time that does not exist (skipped by a spring-forward DST change) is
  impossible; one that happens twice (fall-back) is ambiguous.
* Dates must fall in the years :data:`FIRST_YEAR` to :data:`LAST_YEAR` (1900-2199); others
  are impossible. This keeps every range, end and repeat far from Python's year 1 and 9999.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.core.date_grammar import PhraseError, read
from assistant.core.date_periods import read_period
from assistant.core.date_words import normalize

Status = Literal["ok", "ambiguous", "impossible", "unrecognized"]


class DateError(ValueError):
    """A date or time the user has to clarify; the message says what to ask."""


@dataclass(frozen=True)
class DateResolution:
    """The outcome of resolving one expression.

    ``value`` is an aware datetime in the requested zone when ``status == "ok"``.
    ``date_only`` means no time of day was given (value is then 00:00 that day).
    ``reason`` explains a non-ok status in words meant for the user.
    """

    status: Status
    value: datetime | None = None
    date_only: bool = False
    reason: str = ""
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


#: Where Linux and macOS keep the zone as a symlink into a zoneinfo folder (patched by tests).
LOCALTIME = Path("/etc/localtime")


def _os_zone_name() -> str:
    """The zone name the operating system reports (Windows registry, macOS, Linux), or "".

    tzlocal maps Windows zone keys ("W. Europe Standard Time") to IANA names and reads
    /etc/timezone or timedatectl where /etc/localtime is a copy rather than a symlink.
    """
    try:
        import tzlocal

        return tzlocal.get_localzone_name() or ""
    except Exception:  # tzlocal raises on a misconfigured zone; fall back to the symlink
        return ""


def local_zone() -> ZoneInfo:
    """The computer's IANA time zone: $TZ, else the OS (tzlocal), else /etc/localtime; UTC when unknown."""
    candidates = [os.environ.get("TZ", "").lstrip(":"), _os_zone_name()]
    try:
        if LOCALTIME.is_symlink():
            candidates.append(str(LOCALTIME.resolve()).split("zoneinfo/", 1)[-1])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return ZoneInfo("UTC")


def get_zone(name: str | ZoneInfo | None) -> ZoneInfo:
    """A ZoneInfo for an IANA name; raises DateError with a readable message if unknown."""
    if isinstance(name, ZoneInfo):
        return name
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DateError(f"Unknown time zone '{name}'. Use a name like 'Europe/Berlin' or 'America/New_York'.") from exc


def localize(naive: datetime, zone: ZoneInfo) -> DateResolution:
    """Attach ``zone`` to a wall-clock time, refusing times skipped or repeated by DST."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    when = naive.strftime("%H:%M on %A %d %B %Y")
    if round_trip != naive:
        return DateResolution(
            "impossible",
            reason=f"{when} does not exist in {zone.key}: the clocks jump forward then. Pick another time.",
        )
    if first.utcoffset() != second.utcoffset():
        return DateResolution(
            "ambiguous",
            reason=f"{when} happens twice in {zone.key} (the clocks go back). Say which one, or pick another time.",
        )
    return DateResolution("ok", value=first)


def _parse_iso(text: str, zone: ZoneInfo) -> DateResolution | None:
    candidate = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?", candidate):
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", candidate):
        try:
            day = date.fromisoformat(candidate)
        except ValueError:
            return DateResolution("impossible", reason=f"'{candidate}' is not a real date.", text=text)
        return DateResolution("ok", value=datetime.combine(day, time(0), zone), date_only=True, text=text)
    try:
        parsed = datetime.fromisoformat(candidate.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return DateResolution("impossible", reason=f"'{candidate}' is not a real date and time.", text=text)
    if parsed.tzinfo is not None:
        return DateResolution("ok", value=parsed.astimezone(zone), text=text)
    result = localize(parsed, zone)
    return DateResolution(result.status, result.value, reason=result.reason, text=text)



def _zone_and_now(now: datetime, zone: str | ZoneInfo | None) -> tuple[ZoneInfo, datetime]:
    tz = get_zone(zone if zone is not None else getattr(now.tzinfo, "key", None))
    return tz, (now.astimezone(tz) if now.tzinfo else now.replace(tzinfo=tz))


@dataclass(frozen=True)
class SpanResolution:
    """A start and, when one was said ("from 6 to 8", "14:00-16:00"), an end.

    ``end`` is None when the phrase gives no end ("ab 8 Uhr", "Thursday at ten").
    """

    start: DateResolution
    end: DateResolution | None = None

    @property
    def ok(self) -> bool:
        return self.start.ok and (self.end is None or self.end.ok)

    @property
    def status(self) -> Status:
        return self.start.status if not self.start.ok or self.end is None else self.end.status

    @property
    def reason(self) -> str:
        return self.start.reason or (self.end.reason if self.end else "")


def _failed(status: Status, reason: str, text: str) -> SpanResolution:
    return SpanResolution(DateResolution(status, reason=reason, text=text))


def resolve_span(text: str, now: datetime, zone: str | ZoneInfo | None = None) -> SpanResolution:
    """Resolve ``text`` (in any of the six languages) to a start and an optional end.

    Dates outside the years 1900-2199 are impossible (see :data:`FIRST_YEAR`).
    """
    return _in_range(text, lambda: _span(text, now, zone))


FIRST_YEAR, LAST_YEAR = 1900, 2199
_OUT_OF_RANGE = f"Dates must be between the years {FIRST_YEAR} and {LAST_YEAR}."


def _in_range(text: str, resolve: Callable[[], SpanResolution]) -> SpanResolution:
    """``resolve()``, refusing dates outside FIRST_YEAR-LAST_YEAR (and Python's own date limits)."""
    too_far = _failed("impossible", f"'{text}' is too far away. {_OUT_OF_RANGE}", text)
    try:
        span = resolve()
    except OverflowError:
        return too_far
    for part in (span.start, span.end):
        if part is not None and part.value is not None and not FIRST_YEAR <= part.value.year <= LAST_YEAR:
            return too_far
    return span


def _span(text: str, now: datetime, zone: str | ZoneInfo | None) -> SpanResolution:
    try:
        tz, now_local = _zone_and_now(now, zone)
    except DateError as exc:
        return _failed("unrecognized", str(exc), text)
    if not " ".join(text.split()):
        return _failed("unrecognized", "No date or time was given.", text)
    iso = _parse_iso(text, tz)
    if iso is not None:
        return SpanResolution(iso)
    try:
        reading = read(normalize(text), now_local.replace(tzinfo=None))
    except PhraseError as exc:
        return _failed(exc.status, str(exc), text)  # type: ignore[arg-type]
    if reading.offset is not None:  # exact: absolute time, DST-safe
        value = (now_local.astimezone(UTC) + reading.offset).astimezone(tz)
        return SpanResolution(DateResolution("ok", value=value, text=text))
    assert reading.day is not None
    if reading.clock is None:
        return SpanResolution(DateResolution("ok", datetime.combine(reading.day, time(0), tz), True, text=text))
    start = _with_text(localize(datetime.combine(reading.day, reading.clock), tz), text)
    if reading.end_clock is None:
        return SpanResolution(start)
    end_day = reading.day + timedelta(days=int(reading.end_next_day))
    return SpanResolution(start, _with_text(localize(datetime.combine(end_day, reading.end_clock), tz), text))


def resolve_datetime(text: str, now: datetime, zone: str | ZoneInfo | None = None) -> DateResolution:
    """Resolve ``text`` against ``now`` in ``zone`` (defaults to ``now``'s zone, else UTC).

    For a span ("tomorrow from 1 to 3") this is its start; see :func:`resolve_span`.
    """
    return resolve_span(text, now, zone).start


def resolve_period(text: str, now: datetime, zone: str | ZoneInfo | None = None) -> SpanResolution:
    """The range a phrase covers, to list events or find free time ("next week", "this afternoon").

    See :func:`assistant.core.date_periods.read_period` for the rules. ``end`` is None when
    the phrase is a point in time ("tomorrow at 3"): the caller picks the length.
    """
    return _in_range(text, lambda: _period(text, now, zone))


def _period(text: str, now: datetime, zone: str | ZoneInfo | None) -> SpanResolution:
    try:
        tz, now_local = _zone_and_now(now, zone)
    except DateError as exc:
        return _failed("unrecognized", str(exc), text)
    iso = _parse_iso(text, tz) if " ".join(text.split()) else None
    if iso is not None and not iso.date_only:
        return SpanResolution(iso)
    try:
        english = normalize(text)
        if not english:
            return _failed("unrecognized", "No date or time was given.", text)
        if _is_offset(english, now_local):
            return resolve_span(text, now, zone)
        start, end = read_period(english, now_local.replace(tzinfo=None))
    except PhraseError as exc:
        return _failed(exc.status, str(exc), text)  # type: ignore[arg-type]
    first = _with_text(localize(start, tz), text) if start != now_local.replace(tzinfo=None) else None
    first = first or DateResolution("ok", value=now_local, text=text)
    return SpanResolution(first, _with_text(localize(end, tz), text) if end is not None else None)


#: Longest run of words tried as one date phrase by :func:`find_phrase`.
_MAX_PHRASE_WORDS = 12


def find_phrase(text: str, hint: str, now: datetime | None = None, *, period: bool = False) -> str:
    """The words of ``text`` that say a date or time, picked with ``hint`` (a model's copy of them).

    A small model copying "the day after tomorrow at 9:15" may write "tomorrow at 9:15", or
    turn "next week Tuesday" into "next Tuesday": every word is in the message, the meaning
    is not. So the phrase is taken from the user's own words instead: of the runs of words
    that the grammar reads as a date (not "unrecognized"), the one sharing the most words with
    ``hint``, then the longest. "" when no run shares a word with ``hint``. With ``period``, runs
    are read as ranges ("next week", "the rest of the week"), as agenda questions mean them.
    """
    read = resolve_period if period else resolve_span
    words = [word.strip(",;:!?()\"'“”«»") for word in text.split()]
    # Compared in the English date grammar, so a copy in another language still finds the
    # words that were said ("by Friday" → "bis Freitag").
    wanted = set(plain_words(hint)) | set(plain_words(normalize(hint)))
    moment = now or datetime.now(UTC)

    def phrase(first: int, last: int) -> str:
        return " ".join(w for w in words[first:last] if w).rstrip(".")

    def in_grammar(run: str) -> set[str]:
        return set(plain_words(run)) | set(plain_words(normalize(run)))

    # Ranked by shared words, then a reading that resolves (the grammar may call a run with
    # stray words ambiguous before it notices them), then length.
    best: tuple[int, bool, int, int, int] | None = None
    for first in range(len(words)):
        for last in range(first + 1, min(len(words), first + _MAX_PHRASE_WORDS) + 1):
            shared = len(wanted & in_grammar(phrase(first, last)))
            if shared == 0 or (best is not None and shared < best[0]):
                continue
            status = read(phrase(first, last), moment, "UTC").start.status
            key = (shared, status == "ok", last - first, first, last)
            if status != "unrecognized" and (best is None or key[:3] > best[:3]):
                best = key
    if best is None:
        return ""
    first, last = best[3:]
    reading = read(phrase(first, last), moment, "UTC")
    if not reading.ok:  # nothing to compare: keep the words from the first to the last one the hint has
        inside = [i for i in range(first, last) if in_grammar(words[i]) & wanted]
        if not inside:  # only the run's reading shares a word ("at" in "tomorrow morning" read as 9:00)
            return ""
        return phrase(inside[0], inside[-1] + 1)
    shrunk = True
    while shrunk:  # drop words at either end that change nothing ("for", "put a call with")
        shrunk = False
        for trial in ((first + 1, last), (first, last - 1)):
            if trial[1] > trial[0] and _same(read(phrase(*trial), moment, "UTC"), reading):
                first, last = trial
                shrunk = True
                break
    return phrase(first, last)


def _same(a: SpanResolution, b: SpanResolution) -> bool:
    def key(part: DateResolution | None) -> tuple:
        return (None,) if part is None else (part.status, part.value, part.date_only)

    return key(a.start) == key(b.start) and key(a.end) == key(b.end)


def plain_words(text: str) -> list[str]:
    """The words of ``text``, case-folded, without punctuation (how phrases are compared everywhere)."""
    return re.findall(r"[^\W_]+", text.casefold())


def _is_offset(english: str, now_local: datetime) -> bool:
    try:
        return read(english, now_local.replace(tzinfo=None)).offset is not None
    except PhraseError:
        return False


def _with_text(result: DateResolution, text: str) -> DateResolution:
    return DateResolution(result.status, result.value, result.date_only, result.reason, text)


def parse_duration(value: str | int | float) -> timedelta:
    """Minutes (a number) or text like '30 minutes', '1h30', '1.5 hours', 'PT45M'. Raises DateError."""
    if isinstance(value, bool):
        raise DateError("A duration must be a number of minutes.")
    if isinstance(value, (int, float)):
        minutes = float(value)
    else:
        text = value.strip().lower()
        iso = re.fullmatch(r"pt(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?", text)
        units = re.fullmatch(
            r"(?:(\d+(?:\.\d+)?|an?|one|two|three|half an?)\s*(?:h|hr|hrs|hours?))?\s*(?:and\s*)?(?:(\d+)\s*(?:m|min|mins|minutes?)?)?",
            text,
        )
        if re.fullmatch(r"\d+(\.\d+)?", text):
            minutes = float(text)
        elif iso and (iso.group(1) or iso.group(2)):
            minutes = float(iso.group(1) or 0) * 60 + float(iso.group(2) or 0)
        elif units and (units.group(1) or units.group(2)):
            hours_word = units.group(1) or "0"
            hours = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "half a": 0.5, "half an": 0.5}.get(hours_word)
            minutes = (hours if hours is not None else float(hours_word)) * 60 + float(units.group(2) or 0)
        else:
            raise DateError(f"I could not read '{value}' as a duration. Use minutes, e.g. 30 or '1 hour'.")
    if minutes <= 0:
        raise DateError("A duration must be longer than zero minutes.")
    if minutes > 60 * 24 * 14:
        raise DateError("A duration longer than two weeks is not supported; check the end time.")
    return timedelta(minutes=minutes)


def system_prompt_date_line(now: datetime, zone: str | ZoneInfo | None = None, *, with_time: bool = True) -> str:
    """The system-prompt sentence telling the model today's date, weekday, time and zone.

    ``with_time=False`` leaves the clock out, so the prompt stays the same all day and a
    chat keeps reusing its cached prompt prefix (tools resolve times against the real clock).
    """
    tz = get_zone(zone if zone is not None else getattr(now.tzinfo, "key", None))
    local = now.astimezone(tz) if now.tzinfo else now.replace(tzinfo=tz)
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}"
    clock = f"; the time is {local.strftime('%H:%M')}" if with_time else ""
    return (
        f"Today is {local.strftime('%A')}, {local.day} {local.strftime('%B %Y')}{clock} "
        f"in the user's time zone {tz.key} ({offset}). "
        "Pass dates and times to tools exactly as the user said them (e.g. 'next Tuesday at 3pm') or as ISO 8601."
    )


def format_when(value: datetime) -> str:
    """A short human form for confirmations: 'Tue 1 Dec 2026, 15:00 (Europe/Berlin)'."""
    zone = getattr(value.tzinfo, "key", None) or value.strftime("%Z")
    return f"{value.strftime('%a')} {value.day} {value.strftime('%b %Y, %H:%M')} ({zone})"
