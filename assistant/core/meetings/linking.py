"""Meetings linked to calendar events: a recording that starts during an event takes its title and attendees.

:func:`event_during` looks through the user's calendars for the event a meeting starting at a
moment belongs to (in progress, or starting within a few minutes; all-day and free events are
left out; of several, the one whose start is nearest). The attendees' names become the names
the notes accept as owners (:func:`owners_from_attendees`) besides the transcript's own, which
matters for recordings, whose speakers are "You" and "Others". Reading calendars only: nothing
is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from assistant.core.dates import plain_words
from assistant.core.meetings.notes import MeetingNotes

if TYPE_CHECKING:  # the calendar stack is imported only when a calendar is read
    from assistant.core.calendars.base import Calendar
    from assistant.core.calendars.events import CalendarEvent

#: A recording that starts this many minutes before an event belongs to it (people join early).
EARLY_MINUTES = 10


@dataclass
class LinkedEvent:
    """What a meeting keeps of its calendar event."""

    title: str
    start: datetime
    end: datetime
    attendees: list[str] = field(default_factory=list)  # names, as the notes use them
    calendar: str = ""
    uid: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "attendees": list(self.attendees),
            "calendar": self.calendar,
            "uid": self.uid,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkedEvent | None:
        """The stored link, or None when it cannot be read."""
        try:
            return cls(
                title=str(data["title"]),
                start=datetime.fromisoformat(str(data["start"])),
                end=datetime.fromisoformat(str(data["end"])),
                attendees=[str(a) for a in data.get("attendees", [])],
                calendar=str(data.get("calendar", "")),
                uid=str(data.get("uid", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None


def attendee_name(address: str) -> str:
    """A person's name from an attendee entry: "Ruth Miller <ruth@x.org>", "mailto:ruth.miller@x.org" -> "Ruth Miller"."""
    text = address.strip()
    named = re.match(r'^\s*"?([^"<]+?)"?\s*<[^>]*>\s*$', text)
    if named:
        return " ".join(named.group(1).split())
    text = re.sub(r"^mailto:", "", text, flags=re.IGNORECASE)
    local = text.split("@", 1)[0] if "@" in text else text
    words = [w for w in re.split(r"[._\-+\s]+", local) if w and not w.isdigit()]
    return " ".join(w[:1].upper() + w[1:] for w in words)


def _link(event: CalendarEvent) -> LinkedEvent:
    names: list[str] = []
    for attendee in event.attendees:
        name = attendee_name(attendee)
        if name and name not in names:
            names.append(name)
    return LinkedEvent(event.title, event.start, event.end, names, event.calendar, event.uid)


def event_during(
    moment: datetime, calendars: Iterable[Calendar], *, early_minutes: int = EARLY_MINUTES
) -> tuple[LinkedEvent | None, list[str]]:
    """The event a meeting starting at ``moment`` (aware) belongs to, and one line per calendar that could not be read."""
    from assistant.core.calendars.base import CalendarError

    early = timedelta(minutes=early_minutes)
    candidates: list[CalendarEvent] = []
    problems: list[str] = []
    for calendar in calendars:
        try:
            events = calendar.list_events(moment - timedelta(hours=12), moment + early)
        except CalendarError as exc:
            problems.append(f"{calendar.name}: {exc}")
            continue
        candidates += [e for e in events if not e.all_day and e.busy and e.start <= moment + early and e.end > moment]
    if not candidates:
        return None, problems
    best = min(candidates, key=lambda e: (abs((e.start - moment).total_seconds()), e.title))
    return _link(best), problems


def find_linked_event(moment: datetime, zone=None) -> tuple[LinkedEvent | None, list[str]]:
    """:func:`event_during` over every calendar the user has (local, CalDAV accounts, imported files)."""
    from assistant.core.calendars import CalendarError, calendar_names, open_calendar

    calendars: list[Calendar] = []
    problems: list[str] = []
    for name in calendar_names():
        try:
            calendars.append(open_calendar(name, zone=zone))
        except CalendarError as exc:
            problems.append(f"{name}: {exc}")
    try:
        found, more = event_during(moment, calendars)
    finally:
        for calendar in calendars:
            calendar.close()
    return found, problems + more


def attendees_note(names: Iterable[str]) -> str:
    """The line the notes prompt gets: who was invited, so owners are named as in the calendar."""
    listed = ", ".join(n for n in names if n)
    return f"The people invited to this meeting (from the calendar): {listed}. Name owners as they are named here." if listed else ""


def owners_from_attendees(notes: MeetingNotes, data: Any, names: Iterable[str]) -> MeetingNotes:
    """Owners the model named that the transcript check left out, kept when they are invited attendees.

    A recording's transcript says "You" and "Others", so "Ruth" never occurs in it; an attendee
    "Ruth Miller" (matched by full name or by first name) still counts as a known owner.
    """
    known = {" ".join(plain_words(n)): n for n in names if plain_words(n)}
    firsts: dict[str, str] = {}
    for key, name in known.items():
        firsts.setdefault(key.split()[0], name)
    if not known or not isinstance(data, dict):
        return notes
    said: dict[str, str] = {}
    for item in data.get("commitments") or []:
        if isinstance(item, dict):
            said[" ".join(plain_words(str(item.get("task") or "")))] = str(item.get("owner") or "")
    for action in notes.action_items:
        if action.owner:
            continue
        owner = " ".join(plain_words(said.get(" ".join(plain_words(action.task)), "")))
        if owner in known:
            action.owner = known[owner]
        elif owner in firsts:
            action.owner = firsts[owner]
    return notes
