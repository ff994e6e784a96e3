"""Ranges people ask about ("next week", "the rest of the week", "this afternoon", "between January 18
and 22"): the period reading of the English date grammar, for agenda and free-time questions."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from assistant.core.date_grammar import PART_RANGES, Impossible, PhraseError, add_months, read

_REST_OF = re.compile(r"(?:for |during |in |over )?(?:the )?rest of (?:the |this )?(week|day|today|month)")
_WHOLE = re.compile(r"(?:for |during |in |over )?(?:the )?(next|this) (week|month)")
_DATE_RANGE = re.compile(r"(?:between|from)\s+(.+?)\s+(?:and|to|until|till|-)\s+(.+)")


def read_period(text: str, now: datetime) -> tuple[datetime, datetime | None]:
    """The range a phrase covers, for listing events or finding free time: [start, end).

    A day is that whole day; "this afternoon", "Monday morning" are the part of the day (see
    PART_RANGES); "next week" is Monday to Monday; "the rest of the week" runs from now to
    next Monday; "between January 18 and January 22" includes both days. A time of day
    gives its start and no end (the caller decides the length); a span gives both ends.
    """
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    midnight = datetime.combine(today, time(0))
    rest = _REST_OF.fullmatch(text)
    if rest:
        unit = rest.group(1)
        if unit in ("day", "today"):
            return now, midnight + timedelta(days=1)
        if unit == "week":
            return now, datetime.combine(monday + timedelta(weeks=1), time(0))
        return now, datetime.combine(add_months(today.replace(day=1), 1), time(0))
    whole = _WHOLE.fullmatch(text)
    if whole:
        if whole.group(2) == "week":
            first = monday + timedelta(weeks=1 if whole.group(1) == "next" else 0)
            return datetime.combine(first, time(0)), datetime.combine(first + timedelta(weeks=1), time(0))
        first = add_months(today.replace(day=1), 1 if whole.group(1) == "next" else 0)
        return datetime.combine(first, time(0)), datetime.combine(add_months(first, 1), time(0))
    both = _DATE_RANGE.fullmatch(text)
    if both:
        try:
            first, last = read(both.group(1), now), read(both.group(2), now)
        except PhraseError:
            first = last = None
        if first and last and first.clock is None and last.clock is None and first.day and last.day:
            if last.day < first.day:
                raise Impossible("The range ends before it starts.")
            return datetime.combine(first.day, time(0)), datetime.combine(last.day + timedelta(days=1), time(0))
    reading = read(text, now)
    if reading.offset is not None:
        return now + reading.offset, None
    assert reading.day is not None
    if reading.clock is None:
        return datetime.combine(reading.day, time(0)), datetime.combine(reading.day + timedelta(days=1), time(0))
    if reading.part is not None:
        begin, end = PART_RANGES[reading.part]
        end_at = datetime.combine(reading.day, end) if end else datetime.combine(reading.day + timedelta(days=1), time(0))
        return datetime.combine(reading.day, begin), end_at
    start = datetime.combine(reading.day, reading.clock)
    if reading.end_clock is not None:
        return start, datetime.combine(reading.day + timedelta(days=int(reading.end_next_day)), reading.end_clock)
    return start, None
