"""Resolve the dates and times people type ("next Tuesday at 3pm") against a clock and zone.

Everything is resolved in Python, never by the model: the model passes the user's words
(or an ISO string) and :func:`resolve_datetime` turns them into an aware datetime in
the user's IANA time zone, or says clearly why it cannot (so the app asks the user).

Rules (documented because every one of them is a decision):

* ISO strings (``2026-12-01T15:00``, ``2026-12-01 15:00``, with ``Z`` or an offset) are
  taken literally; with an offset they are converted into the user's zone.
* ``today``, ``tomorrow``, ``day after tomorrow``, ``yesterday``.
* A weekday (``Tuesday``, ``on Tuesday``, ``this Tuesday``, ``next Tuesday``) is the
  first such day *after* today (1-7 days ahead). ``Tuesday next week`` is the
  Tuesday of the next Monday-started week. ``next week`` with no day is ambiguous.
* ``in N minutes/hours`` is exact (absolute time, DST-safe); ``in N days/weeks/months``
  moves the calendar date and keeps no time of day (date only).
* Month names: ``December 3``, ``3 Dec``, ``Dec 3rd 2027``; without a year the next
  occurrence (today included). ``February 30`` is impossible. Numeric ``03/04`` is
  ambiguous (day/month order differs by country) unless one number is above 12; dotted
  ``3.12.`` / ``03.04.2027`` is day.month (the only convention that writes dots).
  ``the 5th``: that day this month if not past, else next month. A weekday that does not
  match the date (``Wednesday, December 1`` in 2026) is ambiguous.
* ``next week``, ``next month`` without a day are ambiguous.
* Times: ``15:30``, ``3pm``, ``3:30 pm``, ``noon``/``midday``, ``3 o'clock``. Parts of the
  day stand for a time: morning 09:00, afternoon 14:00, evening 18:00, tonight 20:00.
  ``midnight`` is ambiguous (which night?), so the user is asked.
* A bare hour 1-12 without am/pm (``at 3``): if a part of the day is given it decides;
  otherwise the reading inside 08:00-18:59 wins (``at 3`` -> 15:00, ``at 9`` -> 09:00,
  ``at 12`` -> noon). When neither or both readings are inside (``at 7``), it is
  ambiguous. Two-digit hours with a leading zero (``07:00``) are 24-hour times.
* A local time that does not exist (skipped by a spring-forward DST change) is
  impossible; one that happens twice (fall-back) is ambiguous.
"""

from __future__ import annotations

import calendar as _calendar
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Status = Literal["ok", "ambiguous", "impossible", "unrecognized"]

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ABBR = {name[:3]: i for i, name in enumerate(WEEKDAYS)} | {"tues": 1, "thur": 3, "thurs": 3}
MONTHS = [m.lower() for m in _calendar.month_name[1:]]
_MONTH_LOOKUP = {m: i + 1 for i, m in enumerate(MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "forty five": 45,
    "ninety": 90,
    "couple of": 2,
    "a couple of": 2,
}
PART_OF_DAY = {"morning": time(9), "afternoon": time(14), "evening": time(18), "tonight": time(20), "night": time(20)}
PLAUSIBLE_HOURS = range(8, 19)  # a bare "at 3" is read inside 08:00-18:59
_FILLER = {"at", "on", "the", "of", "this", "from", "by", "for", "around", "about", "starting", "in", "a", "an"}


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


def _number(word: str) -> int | None:
    word = word.strip()
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


_NUM = r"(\d+|a couple of|couple of|forty[- ]five|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|ninety)"
_RELATIVE = re.compile(rf"\bin\s+{_NUM}\s+(minute|min|hour|hr|day|week|month|year)s?\b")
_TIME_AMPM = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?=\s|$|[,.;])")
_TIME_24 = re.compile(r"\b(\d{1,2})[:h](\d{2})\b|(?<=\bat )(\d{1,2})\.(\d{2})\b(?!\.)")
_TIME_OCLOCK = re.compile(r"\b(\d{1,2})\s*o'?clock\b")
_TIME_BARE = re.compile(r"\b(?:at|around|about|@)\s+(\d{1,2})\b(?![:/.\d])")
_MONTH_DAY = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?(?:,?\s+(\d{4}))?\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_DOTTED_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?(?!\d)")  # day.month.[year], as in Germany
_ORDINAL_DAY = re.compile(r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


class _Parse:
    """Mutable state while consuming the pieces of one expression."""

    def __init__(self, text: str) -> None:
        self.rest = " " + text + " "

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        match = pattern.search(self.rest)
        if match:
            self.rest = self.rest[: match.start()] + " " + self.rest[match.end() :]
        return match

    def take_word(self, *words: str) -> str | None:
        for word in words:
            pattern = re.compile(rf"\b{re.escape(word)}\b")
            if self.take(pattern):
                return word
        return None

    def leftovers(self) -> list[str]:
        words = re.findall(r"[a-z0-9']+", self.rest)
        return [w for w in words if w not in _FILLER]


def resolve_datetime(text: str, now: datetime, zone: str | ZoneInfo | None = None) -> DateResolution:
    """Resolve ``text`` against ``now`` in ``zone`` (defaults to ``now``'s zone, else UTC)."""
    try:
        tz = get_zone(zone if zone is not None else getattr(now.tzinfo, "key", None))
    except DateError as exc:
        return DateResolution("unrecognized", reason=str(exc), text=text)
    now_local = now.astimezone(tz) if now.tzinfo else now.replace(tzinfo=tz)
    original = text
    lowered = " ".join(text.lower().replace(",", " ").split()).strip()
    if not lowered:
        return DateResolution("unrecognized", reason="No date or time was given.", text=original)
    iso = _parse_iso(text, tz)
    if iso is not None:
        return iso
    try:
        result = _resolve_words(lowered, now_local, tz)
    except DateError as exc:
        return DateResolution(_status_of(exc), reason=str(exc), text=original)
    return DateResolution(result.status, result.value, result.date_only, result.reason, original)


class _Impossible(DateError):
    pass


class _Ambiguous(DateError):
    pass


def _status_of(exc: DateError) -> Status:
    if isinstance(exc, _Impossible):
        return "impossible"
    if isinstance(exc, _Ambiguous):
        return "ambiguous"
    return "unrecognized"


def _make_date(year: int, month: int, day: int, label: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _Impossible(
            f"{label} is not a real date ({_calendar.month_name[month] if 1 <= month <= 12 else 'that month'} has no day {day})."
        ) from None


def _resolve_words(text: str, now: datetime, tz: ZoneInfo) -> DateResolution:
    parse = _Parse(text)
    today = now.date()

    # Exact offsets ("in 2 hours") are absolute and need nothing else.
    relative = parse.take(_RELATIVE)
    if relative and relative.group(2) in ("minute", "min", "hour", "hr"):
        amount = _number(relative.group(1)) or 0
        delta = timedelta(minutes=amount) if relative.group(2).startswith("min") else timedelta(hours=amount)
        if parse.leftovers():
            raise DateError(f"I could not read '{text}' as a date and time.")
        value = (now.astimezone(UTC) + delta).astimezone(tz)
        return DateResolution("ok", value=value)

    day: date | None = None
    if relative:
        amount = _number(relative.group(1)) or 0
        unit = relative.group(2)
        if unit == "day":
            day = today + timedelta(days=amount)
        elif unit == "week":
            day = today + timedelta(weeks=amount)
        elif unit == "month":
            day = _add_months(today, amount)
        else:
            day = _add_months(today, 12 * amount)

    # Times first, so that "3pm" is not read as a day of the month.
    clock: time | None = None
    part = None
    if parse.take_word("midnight"):
        raise _Ambiguous(
            "'Midnight' could mean the start or the end of the day. Say the date and time, e.g. 23:59 or 00:00 on a given day."
        )
    if parse.take_word("noon", "midday"):
        clock = time(12)
    ampm = parse.take(_TIME_AMPM)
    if ampm and clock is None:
        hour, minute = int(ampm.group(1)), int(ampm.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise _Impossible(f"'{ampm.group(0).strip()}' is not a real time.")
        pm = ampm.group(3).startswith("p")
        clock = time((hour % 12) + (12 if pm else 0), minute)
    part_word = parse.take_word(
        "this morning", "this afternoon", "this evening", "tonight", "morning", "afternoon", "evening", "night"
    )
    if part_word:
        part = part_word.replace("this ", "")
        if part_word.startswith("this ") or part_word == "tonight":
            day = day or today
    h24 = parse.take(_TIME_24) if clock is None else None
    if h24:
        hour_text = h24.group(1) or h24.group(3)
        hour, minute = int(hour_text), int(h24.group(2) or h24.group(4))
        if hour > 23 or minute > 59:
            raise _Impossible(f"'{h24.group(0)}' is not a real time.")
        if hour <= 12 and not hour_text.startswith("0") and hour != 0:
            clock = _bare_hour(hour, minute, part, h24.group(0))
        else:
            clock = time(hour, minute)
    if clock is None:
        bare = parse.take(_TIME_OCLOCK) or parse.take(_TIME_BARE)
        if bare:
            hour = int(bare.group(1))
            if hour > 23:
                raise _Impossible(f"'{bare.group(0).strip()}' is not a real time.")
            clock = (
                time(hour)
                if hour == 0 or hour > 12 or bare.group(1).startswith("0")
                else _bare_hour(hour, 0, part, bare.group(0).strip())
            )
    if clock is None and part:
        clock = PART_OF_DAY[part]

    # Dates.
    if day is None:
        day = _take_date(parse, today, text)
    said_weekday = _take_weekday(parse) if day is not None else None
    if said_weekday is not None and day is not None and said_weekday != day.weekday():
        raise _Ambiguous(
            f"{day.strftime('%d %B %Y').lstrip('0')} is a {WEEKDAYS[day.weekday()].title()}, "
            f"not a {WEEKDAYS[said_weekday].title()}. Which date did you mean?"
        )
    if parse.leftovers():
        raise DateError(
            f"I could not read '{text}' as a date and time. Try e.g. 'next Tuesday at 3pm' or '2026-12-01 15:00'."
        )
    if day is None and clock is None:
        raise DateError(f"I could not find a date or time in '{text}'.")
    if day is None:
        day = today
    if clock is None:
        return DateResolution("ok", value=datetime.combine(day, time(0), tz), date_only=True)
    return localize(datetime.combine(day, clock), tz)


def _bare_hour(hour: int, minute: int, part: str | None, said: str) -> time:
    """Read an hour without am/pm, using the part of the day or the plausible-hours rule."""
    if part in ("afternoon", "evening", "tonight", "night"):
        return time(hour % 12 + 12, minute)
    if part == "morning":
        return time(hour % 12, minute)
    if hour == 12:
        return time(12, minute)
    readings = [h for h in (hour, hour + 12) if h in PLAUSIBLE_HOURS]
    if len(readings) != 1:
        raise _Ambiguous(f"'{said}' could be {hour}:{minute:02d} in the morning or in the evening. Say am or pm.")
    return time(readings[0], minute)


def _take_date(parse: _Parse, today: date, text: str) -> date | None:
    if parse.take_word("day after tomorrow"):
        return today + timedelta(days=2)
    if parse.take_word("tomorrow", "tmrw"):
        return today + timedelta(days=1)
    if parse.take_word("today"):
        return today
    if parse.take_word("yesterday"):
        return today - timedelta(days=1)
    iso = parse.take(_ISO_DATE)
    if iso:
        return _make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), iso.group(0))
    dotted = parse.take(_DOTTED_DATE)
    if dotted:
        year = _full_year(dotted.group(3)) if dotted.group(3) else None
        return _month_day(today, int(dotted.group(2)), int(dotted.group(1)), year, dotted.group(0))
    numeric = parse.take(_NUMERIC_DATE)
    if numeric:
        first, second = int(numeric.group(1)), int(numeric.group(2))
        if first > 12 and second <= 12 or second > 12 and first <= 12:
            day_num, month = (first, second) if first > 12 else (second, first)
            year = _full_year(numeric.group(3)) if numeric.group(3) else None
            return _month_day(today, month, day_num, year, numeric.group(0))
        raise _Ambiguous(
            f"'{numeric.group(0)}' could be read as day/month or month/day. Write the month as a word, e.g. '3 April'."
        )
    for pattern, month_group, day_group in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
        match = next(
            (m for m in pattern.finditer(parse.rest) if m.group(month_group).rstrip(".") in _MONTH_LOOKUP), None
        )
        if match:
            parse.rest = parse.rest[: match.start()] + " " + parse.rest[match.end() :]
            month = _MONTH_LOOKUP[match.group(month_group).rstrip(".")]
            year = int(match.group(3)) if match.group(3) else None
            return _month_day(today, month, int(match.group(day_group)), year, match.group(0).strip().title())
    ordinal = parse.take(_ORDINAL_DAY)
    if ordinal:
        return _next_day_of_month(today, int(ordinal.group(1)), ordinal.group(0).strip())
    weekday = _take_weekday(parse)
    next_week = parse.take_word("next week")
    if weekday is not None:
        if next_week:
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
            return monday + timedelta(days=weekday)
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    if next_week:
        raise _Ambiguous("'Next week' does not say which day. Which day next week?")
    if parse.take_word("next month", "this week", "this month"):
        raise _Ambiguous("That does not say which day. Which date do you mean?")
    return None


def _next_day_of_month(today: date, day: int, label: str) -> date:
    """'The 5th': that day this month if not past, else in the next month that has it."""
    if not 1 <= day <= 31:
        raise _Impossible(f"'{label}' is not a real day of the month.")
    month_start = today.replace(day=1)
    for offset in range(0, 3):
        first = _add_months(month_start, offset)
        if day <= _calendar.monthrange(first.year, first.month)[1]:
            candidate = first.replace(day=day)
            if candidate >= today:
                return candidate
    raise _Impossible(f"'{label}' is not a real day of the month.")


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _month_day(today: date, month: int, day: int, year: int | None, label: str) -> date:
    if year is not None:
        return _make_date(year, month, day, label)
    if day > 31 or day > max(_calendar.monthrange(y, month)[1] for y in (today.year, today.year + 1, 2028)):
        raise _Impossible(f"{label} is not a real date ({_calendar.month_name[month]} has no day {day}).")
    for candidate_year in range(today.year, today.year + 9):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:  # February 29 outside a leap year
            continue
        if candidate >= today:
            return candidate
    raise _Impossible(f"{label} is not a real date.")


def _take_weekday(parse: _Parse) -> int | None:
    names = sorted(list(WEEKDAYS) + list(_WEEKDAY_ABBR), key=len, reverse=True)
    pattern = re.compile(r"\b(?:next\s+|this\s+|on\s+)?(" + "|".join(names) + r")\.?\b")
    match = parse.take(pattern)
    if not match:
        return None
    word = match.group(1)
    return WEEKDAYS.index(word) if word in WEEKDAYS else _WEEKDAY_ABBR[word]


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
