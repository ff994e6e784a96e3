"""Reading events out of an iCalendar file safely: bad events skipped, repeats bounded.

One odd event must never make a whole calendar unreadable, and a 200-byte file with
``RRULE:FREQ=SECONDLY`` must never take minutes and gigabytes. The limits (also in the
README, "Limits and rules"):

* a series is not expanded when reaching the end of the listed range would take more than
  :data:`MAX_REPEAT_STEPS` repeats from its start (an upper estimate from its rule);
* series are skipped once the listing's series together need :data:`MAX_LISTING_STEPS`;
* at most :data:`MAX_PER_EVENT` occurrences of one series and :data:`MAX_PER_LISTING`
  events in one listing are returned;
* each limit that was hit, and each event that could not be read, adds a sentence to
  :attr:`EventList.notices`, which every caller shows to the user.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from assistant.core.calendars.events import CalendarEvent

#: Repeats one series may need from its start to the end of a listed range (about 1.5 s of work).
MAX_REPEAT_STEPS = 200_000
#: Repeats all series of one listing may need together.
MAX_LISTING_STEPS = 1_000_000
#: Occurrences of one series in one listing.
MAX_PER_EVENT = 1_000
#: Events in one listing, all series together.
MAX_PER_LISTING = 5_000

_GAP_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3_600,
    "DAILY": 86_400,
    "WEEKLY": 7 * 86_400,
    "MONTHLY": 28 * 86_400,
    "YEARLY": 365 * 86_400,
}
_EXPANDING_PARTS = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH")


class EventList(list[CalendarEvent]):
    """Events of a listing, plus ``notices``: sentences for the user about what was left out."""

    def __init__(self, events: list[CalendarEvent] | None = None, notices: list[str] | None = None) -> None:
        super().__init__(events or [])
        self.notices: list[str] = list(notices or [])


def describe(component: icalendar.cal.Component) -> str:
    """How a message names an event: its title and UID."""
    title = str(component.get("summary", "")).strip() or "(no title)"
    uid = str(component.get("uid", "")).strip()
    return f"'{title[:80]}'" + (f" (UID {uid[:80]})" if uid else "")


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
    return datetime.combine(value, time(0), ZoneInfo("UTC"))


def _values(rule: Any, part: str) -> list[Any]:
    value = rule.get(part, [])
    return value if isinstance(value, list) else [value]


def repeat_steps(component: icalendar.cal.Component, until: datetime) -> float:
    """An upper estimate of the repeats the component's rules make from its start to ``until``."""
    rules = component.get("rrule")
    if rules is None:
        return 0
    start = _as_datetime(component.decoded("dtstart"))
    total = 0.0
    for rule in rules if isinstance(rules, list) else [rules]:
        freq = str((_values(rule, "FREQ") or [""])[0]).upper()
        if freq not in _GAP_SECONDS:
            raise ValueError(f"the repeat rule has no valid FREQ ({freq or 'none'})")
        interval = max(1, int((_values(rule, "INTERVAL") or [1])[0]))
        per_period = 1
        for part in _EXPANDING_PARTS:
            per_period *= max(1, len(_values(rule, part)))
        end = until
        for value in _values(rule, "UNTIL"):
            end = min(end, _as_datetime(value))
        steps = max(0.0, (end - start).total_seconds()) / (_GAP_SECONDS[freq] * interval) * per_period
        counts = _values(rule, "COUNT")
        total += min(steps, int(counts[0])) if counts else steps
    return total


def event_problem(component: icalendar.cal.Component, until: datetime) -> tuple[str, float]:
    """Why this VEVENT cannot be shown ("" when it can), checked up to ``until``, and its repeat steps."""
    if "dtstart" not in component:
        return "it has no start (DTSTART)", 0
    try:
        CalendarEvent.from_component(component, ZoneInfo("UTC"))
        steps = repeat_steps(component, until)
    except Exception as exc:  # icalendar raises many kinds for bad values
        return f"it cannot be read ({type(exc).__name__}: {str(exc)[:120]})", 0
    if steps > MAX_REPEAT_STEPS:
        return (
            f"it repeats too often to show (more than {MAX_REPEAT_STEPS:,} repeats from its start "
            f"to {until:%d %b %Y})"
        ), steps
    return "", steps


def events_in(cal: icalendar.Calendar) -> list[icalendar.cal.Component]:
    return [c for c in cal.subcomponents if c.name == "VEVENT"]


def expand_events(
    cal: icalendar.Calendar, start: datetime, end: datetime, zone: ZoneInfo, calendar: str
) -> EventList:
    """Events of ``cal`` overlapping [start, end), in ``zone``; bad events skipped, repeats bounded."""
    notices: list[str] = []
    bad_uids: set[str] = set()
    recurring_uids: set[str] = set()
    budget = MAX_LISTING_STEPS
    for component in events_in(cal):
        uid = str(component.get("uid", ""))
        if any(key in component for key in ("rrule", "rdate", "recurrence-id")):
            recurring_uids.add(uid)
        problem, steps = event_problem(component, end)
        if not problem and steps > budget:
            problem = f"the events before it already repeat {MAX_LISTING_STEPS:,} times up to this range"
        elif not problem:
            budget -= steps
        if problem:
            bad_uids.add(uid)
            notices.append(f"Skipped the event {describe(component)} in '{calendar}': {problem}.")
    usable = icalendar.Calendar()
    usable.subcomponents = [
        c for c in cal.subcomponents if c.name != "VEVENT" or str(c.get("uid", "")) not in bad_uids
    ]
    events: list[CalendarEvent] = []
    query = recurring_ical_events.of(usable, skip_bad_series=True)
    for series in query.series:
        try:
            occurrences = list(itertools.islice(series.between(start, end), MAX_PER_EVENT + 1))
        except Exception as exc:  # a rule the library cannot follow: skip that series, keep the rest
            notices.append(f"A repeating event in '{calendar}' could not be read and was skipped ({type(exc).__name__}).")
            continue
        if len(occurrences) > MAX_PER_EVENT:
            occurrences = occurrences[:MAX_PER_EVENT]
            notices.append(
                f"'{occurrences[0].as_component(False).get('summary', '')}' repeats more than {MAX_PER_EVENT:,} "
                f"times in this range; only {MAX_PER_EVENT:,} are shown."
            )
        for occurrence in occurrences:
            event = CalendarEvent.from_component(occurrence.as_component(False), zone, calendar)
            event.recurring = event.uid in recurring_uids
            if not event.all_day:
                event.start, event.end = event.start.astimezone(zone), event.end.astimezone(zone)
            if event.overlaps(start, end) or (event.start == event.end and start <= event.start < end):
                events.append(event)
    events.sort(key=lambda e: (e.start, e.title))
    if len(events) > MAX_PER_LISTING:
        notices.append(
            f"This range holds more than {MAX_PER_LISTING:,} events; only the first {MAX_PER_LISTING:,} are shown. "
            "Choose a shorter range."
        )
        del events[MAX_PER_LISTING:]
    return EventList(events, notices)


def import_problem(cal: icalendar.Calendar, horizon: timedelta = timedelta(days=366)) -> str:
    """The first reason not to import ``cal`` (a sentence naming the event), or ""."""
    until = datetime.now(ZoneInfo("UTC")) + horizon
    for component in events_in(cal):
        problem, _steps = event_problem(component, until)
        if problem:
            return f"the event {describe(component)} cannot be used: {problem}"
    return ""
