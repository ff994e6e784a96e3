"""The English date grammar behind :mod:`assistant.core.dates`.

It reads a phrase that :func:`assistant.core.date_words.normalize` has already turned into
lowercase English with digits ("next tuesday at 10 o'clock", "saturday from 6 to 8 in the
morning") and returns a :class:`Reading`: wall-clock day and time, an optional end time, or an
exact offset from now. It knows no time zones; :mod:`assistant.core.dates` localizes the result
and documents the rules. Anything it cannot read with certainty raises :class:`Ambiguous`,
:class:`Impossible` or :class:`PhraseError` (unrecognized), never a guess.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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
# What a part of the day covers when it is a range to search ("free time this afternoon").
PART_RANGES = {
    "morning": (time(8), time(12)),
    "afternoon": (time(12), time(18)),
    "evening": (time(18), time(22)),
    "tonight": (time(18), None),
    "night": (time(18), None),
}
PLAUSIBLE_HOURS = range(8, 19)  # a bare "at 3" is read inside 08:00-18:59
_FILLER = {
    "at",
    "on",
    "the",
    "of",
    "this",
    "from",
    "by",
    "for",
    "around",
    "about",
    "starting",
    "in",
    "a",
    "an",
    "before",
    "latest",
    "due",
}


class PhraseError(ValueError):
    """The phrase cannot be read; the message says what to ask the user."""

    status = "unrecognized"


class Ambiguous(PhraseError):
    status = "ambiguous"


class Impossible(PhraseError):
    status = "impossible"


@dataclass
class Reading:
    """What a phrase says, as wall-clock values (no zone).

    ``offset``: an exact distance from now ("in 2 hours"); otherwise ``day`` and, when a time
    was said, ``clock``. ``part``: the part of the day when it alone gave the clock
    ("tomorrow morning"). ``end_clock``: the end of a span, on ``day`` (or the day after,
    ``end_next_day``, for spans over midnight).
    """

    day: date | None = None
    clock: time | None = None
    offset: timedelta | None = None
    part: str | None = None
    end_clock: time | None = None
    end_next_day: bool = False


_NUM = r"(\d+|a couple of|couple of|forty[- ]five|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|ninety)"
_RELATIVE = re.compile(rf"\bin\s+{_NUM}\s+(minute|min|hour|hr|day|week|month|year)s?\b")
_FROM_DAY = re.compile(r"\b(a|an|one|two|three|\d+)\s+(day|week)s?\s+(?:from|after)\s+")
_TIME_AMPM = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?=\s|$|[,.;])")
_TIME_24 = re.compile(r"\b(\d{1,2})[:h](\d{2})\b|(?<=\bat )(\d{1,2})\.(\d{2})\b(?!\.)")
_TIME_OCLOCK = re.compile(r"\b(\d{1,2})\s*o'?clock\b")
_NOT_A_DAY_AFTER = r"(?!\s*(?:st|nd|rd|th)\b)(?!\s+(?:of\s+)?(?:" + "|".join(m[:3] for m in MONTHS) + r"))"
_TIME_BARE = re.compile(r"\b(?:at|around|about|from|@)\s+(\d{1,2})\b(?![:/.\d])" + _NOT_A_DAY_AFTER)
_MONTH_DAY = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?(?:,?\s+(\d{4}))?\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_DOTTED_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?(?!\d)")  # day.month.[year], as in Germany
_ORDINAL_DAY = re.compile(r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_CLOCK = r"\d{1,2}(?:[:.]\d{2})?(?:\s*(?:a\.?m\.?|p\.?m\.?|o'clock))?"
_SPAN = re.compile(rf"(?<![\d/.:-])\b(?:(from|between)\s+)?({_CLOCK})\s*(to|till|until|-|and)\s*({_CLOCK})(?![\d/:])")
_MARKED = re.compile(r":|\.\d|m\.?$|o'clock")


def number(word: str) -> int | None:
    word = word.strip()
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


class _Parse:
    """Mutable state while consuming the pieces of one expression."""

    def __init__(self, text: str) -> None:
        self.rest = " " + text + " "
        self.ordinal_today = False

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


def _take_span(parse: _Parse) -> str | None:
    """Cut "from 6 to 8" out of the phrase, leaving "at 6"; return the end ("8")."""
    for match in _SPAN.finditer(parse.rest):
        lead, start, joiner, end = match.group(1), match.group(2), match.group(3), match.group(4)
        if joiner == "and" and lead != "between":
            continue
        if not lead and not (_MARKED.search(start) or _MARKED.search(end)):
            continue  # "3 to 5" alone could be anything; "3 to 5 pm", "10 to 11:30", "from 3 to 5" are spans
        start = _meridiem_from_end(start.strip(), end.strip())
        parse.rest = parse.rest[: match.start()] + f" at {start} " + parse.rest[match.end() :]
        return end.strip()
    return None


def _meridiem_from_end(start: str, end: str) -> str:
    """"from 4 to 5 pm": a bare start takes the end's am/pm when that keeps it before the end."""
    end_ampm = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?m\.?", end)
    bare = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?", start)
    if not end_ampm or not bare or start.startswith("0") or not 1 <= int(bare.group(1)) <= 12:
        return start
    end_hour = int(end_ampm.group(1)) % 12 + (12 if end_ampm.group(3) == "p" else 0)
    same = int(bare.group(1)) % 12 + (12 if end_ampm.group(3) == "p" else 0)
    end_minutes, start_minutes = end_hour * 60 + int(end_ampm.group(2) or 0), same * 60 + int(bare.group(2) or 0)
    meridiem = end_ampm.group(3) if start_minutes < end_minutes else ("a" if end_ampm.group(3) == "p" else "p")
    return f"{start} {meridiem}m"


def _take_clock(parse: _Parse, part: str | None) -> time | None:
    """The time of day in the phrase (consumed), read with the part of the day if one was said."""
    clock: time | None = None
    if parse.take_word("midnight"):
        raise Ambiguous(
            "'Midnight' could mean the start or the end of the day. Say the date and time, e.g. 23:59 or 00:00 on a given day."
        )
    if parse.take_word("noon", "midday"):
        clock = time(12)
    ampm = parse.take(_TIME_AMPM)
    if ampm and clock is None:
        hour, minute = int(ampm.group(1)), int(ampm.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise Impossible(f"'{ampm.group(0).strip()}' is not a real time.")
        pm = ampm.group(3).startswith("p")
        clock = time((hour % 12) + (12 if pm else 0), minute)
    h24 = parse.take(_TIME_24) if clock is None else None
    if h24:
        hour_text = h24.group(1) or h24.group(3)
        hour, minute = int(hour_text), int(h24.group(2) or h24.group(4))
        if hour > 23 or minute > 59:
            raise Impossible(f"'{h24.group(0)}' is not a real time.")
        if hour <= 12 and not hour_text.startswith("0") and hour != 0:
            clock = bare_hour(hour, minute, part, h24.group(0))
        else:
            clock = time(hour, minute)
    if clock is None:
        bare = parse.take(_TIME_OCLOCK) or parse.take(_TIME_BARE)
        if bare:
            hour = int(bare.group(1))
            if hour > 23:
                raise Impossible(f"'{bare.group(0).strip()}' is not a real time.")
            clock = (
                time(hour)
                if hour == 0 or hour > 12 or bare.group(1).startswith("0")
                else bare_hour(hour, 0, part, bare.group(0).strip())
            )
    return clock


def _end_clock(text: str, start: time, part: str | None) -> tuple[time, bool]:
    """The end of a span said as "to 8": a bare hour is the first reading after the start."""
    parse = _Parse(text if re.search(r"[ap]\.?m|o'clock|:", text) else f"at {text}")
    bare = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?", text)
    if bare and not text.startswith("0") and 1 <= int(bare.group(1)) <= 12 and part is None:
        hour, minute = int(bare.group(1)), int(bare.group(2) or 0)
        if minute > 59:
            raise Impossible(f"'{text}' is not a real time.")
        readings = [time(h, minute) for h in (hour % 12, hour % 12 + 12) if time(h, minute) > start]
        if readings:
            return readings[0], False
        raise Ambiguous(f"The span ends at '{text}', which is not after its start. Say the end time with am or pm.")
    end = _take_clock(parse, part)
    if end is None:
        raise PhraseError(f"I could not read '{text}' as the end time.")
    return end, end <= start


def read(text: str, now: datetime) -> Reading:
    """Read a normalized English phrase against ``now`` (naive local wall time)."""
    parse = _Parse(text)
    today = now.date()
    end_text = _take_span(parse)

    # Exact offsets ("in 2 hours") are absolute and need nothing else.
    relative = parse.take(_RELATIVE)
    if relative and relative.group(2) in ("minute", "min", "hour", "hr"):
        amount = number(relative.group(1)) or 0
        delta = timedelta(minutes=amount) if relative.group(2).startswith("min") else timedelta(hours=amount)
        if parse.leftovers() or end_text:
            raise PhraseError(f"I could not read '{text}' as a date and time.")
        return Reading(offset=delta)

    day: date | None = None
    if relative:
        amount = number(relative.group(1)) or 0
        unit = relative.group(2)
        if unit == "day":
            day = today + timedelta(days=amount)
        elif unit == "week":
            day = today + timedelta(weeks=amount)
        elif unit == "month":
            day = add_months(today, amount)
        else:
            day = add_months(today, 12 * amount)
    later = parse.take(_FROM_DAY)  # "a week from Friday"
    shift = timedelta(0)
    if later:
        shift = timedelta(days=(number(later.group(1)) or 0) * (7 if later.group(2) == "week" else 1))

    # Words that stand for a day or a time.
    clock: time | None = None
    if parse.take_word("same time"):
        clock = time(now.hour, now.minute)
    after_meeting = parse.take_word("after the meeting")
    parse.take_word("end of day")  # a deadline on that day: the day is what counts
    deadline = _take_deadline(parse, today)
    if deadline is not None:
        day = deadline

    part = None
    anaphor = parse.take_word("that morning", "that afternoon", "that evening", "that night", "that day")
    if anaphor and anaphor != "that day":
        part = anaphor.split()[1]
    part_word = parse.take_word(
        "this morning", "this afternoon", "this evening", "tonight", "morning", "afternoon", "evening", "night"
    )
    if part_word:
        part = part_word.replace("this ", "")
        if part_word.startswith("this ") or part_word == "tonight":
            day = day or today
    # Times first, so that "3pm" is not read as a day of the month.
    said = _take_clock(parse, part)
    clock = said or clock
    part_only = clock is None and part is not None
    if clock is None and part:
        clock = PART_OF_DAY[part]

    # Dates.
    if day is None:
        day = _take_date(parse, today)
    said_weekday = _take_weekday(parse)[0] if day is not None else None
    if said_weekday is not None and day is not None and said_weekday != day.weekday():
        raise Ambiguous(
            f"{day.strftime('%d %B %Y').lstrip('0')} is a {WEEKDAYS[day.weekday()].title()}, "
            f"not a {WEEKDAYS[said_weekday].title()}. Which date did you mean?"
        )
    leftovers = parse.leftovers()
    if leftovers:
        raise PhraseError(
            f"I could not read '{text}' as a date and time. Try e.g. 'next Tuesday at 3pm' or '2026-12-01 15:00'."
        )
    if anaphor and day is None:
        raise Ambiguous(f"'{anaphor}' does not say which day. Which date do you mean?")
    if later:
        if day is None:
            raise PhraseError(f"I could not tell from when to count in '{text}'.")
        day += shift
    if day is None and clock is None and not after_meeting:
        raise PhraseError(f"I could not find a date or time in '{text}'.")
    day = day or today
    if parse.ordinal_today and said is not None and datetime.combine(day, said) < now:
        raise Ambiguous(
            f"Today is the {day.day}{_suffix(day.day)} and {said:%H:%M} has passed. Today, or the {day.day}{_suffix(day.day)} of next month?"
        )
    reading = Reading(day=day, clock=clock, part=part if part_only else None)
    if end_text:
        if clock is None:
            raise PhraseError(f"I could not read '{text}' as a date and time.")
        reading.end_clock, reading.end_next_day = _end_clock(end_text, clock, part)
    return reading


def _suffix(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _take_deadline(parse: _Parse, today: date) -> date | None:
    """"end of the week" (Friday), "end of the month", "end of next week/month", "end of the year"."""
    said = parse.take_word(
        "end of next week", "end of next month", "end of the week", "end of the month", "end of the year"
    )
    if said is None:
        return None
    if said == "end of the week":
        if today.weekday() > 4:
            raise Ambiguous("The working week is over. Which day do you mean: this Sunday, or Friday next week?")
        return today + timedelta(days=4 - today.weekday())
    if said == "end of next week":
        return today + timedelta(days=7 - today.weekday() + 4)
    if said == "end of the year":
        return date(today.year, 12, 31)
    first = add_months(today.replace(day=1), 1 if said == "end of next month" else 0)
    return first.replace(day=_calendar.monthrange(first.year, first.month)[1])


def bare_hour(hour: int, minute: int, part: str | None, said: str) -> time:
    """Read an hour without am/pm, using the part of the day or the plausible-hours rule."""
    if part in ("afternoon", "evening", "tonight", "night"):
        return time(hour % 12 + 12, minute)
    if part == "morning":
        return time(hour % 12, minute)
    if hour == 12:
        return time(12, minute)
    readings = [h for h in (hour, hour + 12) if h in PLAUSIBLE_HOURS]
    if len(readings) != 1:
        raise Ambiguous(f"'{said}' could be {hour}:{minute:02d} in the morning or in the evening. Say am or pm.")
    return time(readings[0], minute)


def make_date(year: int, month: int, day: int, label: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise Impossible(
            f"{label} is not a real date ({_calendar.month_name[month] if 1 <= month <= 12 else 'that month'} has no day {day})."
        ) from None


def _take_date(parse: _Parse, today: date) -> date | None:
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
        return make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), iso.group(0))
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
        raise Ambiguous(
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
        found = _next_day_of_month(today, int(ordinal.group(1)), ordinal.group(0).strip())
        parse.ordinal_today = found == today
        return found
    weekday, modifier = _take_weekday(parse)
    next_week = parse.take_word("next week")
    if weekday is not None:
        if next_week:
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
            return monday + timedelta(days=weekday)
        if modifier == "this" and weekday == today.weekday():
            return today
        coming = today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
        if modifier == "next" and (weekday > today.weekday() or coming == today + timedelta(days=1)):
            name = WEEKDAYS[weekday].title()
            later = coming + timedelta(weeks=1)
            raise Ambiguous(
                f"'Next {name}' could be {name} {coming.day} {coming:%B} or {name} {later.day} {later:%B}. "
                f"Say 'this {name}' or '{name} next week', or give the date."
            )
        return coming
    if next_week:
        raise Ambiguous("'Next week' does not say which day. Which day next week?")
    if parse.take_word("next month", "this week", "this month"):
        raise Ambiguous("That does not say which day. Which date do you mean?")
    return None


def _next_day_of_month(today: date, day: int, label: str) -> date:
    """'The 5th': that day this month if not past, else in the next month that has it."""
    if not 1 <= day <= 31:
        raise Impossible(f"'{label}' is not a real day of the month.")
    month_start = today.replace(day=1)
    for offset in range(0, 3):
        first = add_months(month_start, offset)
        if day <= _calendar.monthrange(first.year, first.month)[1]:
            candidate = first.replace(day=day)
            if candidate >= today:
                return candidate
    raise Impossible(f"'{label}' is not a real day of the month.")


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _month_day(today: date, month: int, day: int, year: int | None, label: str) -> date:
    if not 1 <= month <= 12:
        raise Impossible(f"'{label}' is not a real date (there is no month {month}).")
    if year is not None:
        return make_date(year, month, day, label)
    if day > 31 or day > max(_calendar.monthrange(y, month)[1] for y in (today.year, today.year + 1, 2028)):
        raise Impossible(f"{label} is not a real date ({_calendar.month_name[month]} has no day {day}).")
    for candidate_year in range(today.year, today.year + 9):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:  # February 29 outside a leap year
            continue
        if candidate >= today:
            return candidate
    raise Impossible(f"{label} is not a real date.")


def _take_weekday(parse: _Parse) -> tuple[int | None, str | None]:
    names = sorted(list(WEEKDAYS) + list(_WEEKDAY_ABBR), key=len, reverse=True)
    pattern = re.compile(r"\b(?:(next|this|on)\s+)?(" + "|".join(names) + r")\.?\b")
    match = parse.take(pattern)
    if not match:
        return None, None
    word = match.group(2)
    return (WEEKDAYS.index(word) if word in WEEKDAYS else _WEEKDAY_ABBR[word]), match.group(1)
