"""Events and tasks as plain data, their iCalendar form, and conflict/free-time checks."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

PRODID = "-//Llama Desk//llama-desk//EN"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Text without control characters, which RFC 5545 forbids (tab and line breaks are kept)."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def span_text(event: CalendarEvent, zone: ZoneInfo) -> str:
    """'10:00-11:00', or with dates when it spans days; times in ``zone``, labelled with it."""
    if event.all_day:
        return "all day"
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    if start.date() == end.date() or (end - start <= timedelta(days=1) and end.time() == time(0)):
        return f"{start:%H:%M}-{end:%H:%M} {zone.key}"
    return f"{start:%a %d %b %H:%M} - {end:%a %d %b %Y %H:%M} {zone.key}"


def new_uid() -> str:
    return f"{uuid.uuid4()}@llama-desk"


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    """DATE values become local midnight; floating times get the user's zone."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), zone)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def optional_event_fields(item: Any) -> dict[str, Any]:
    """The optional parts of an event or event draft, only those that are set."""
    data: dict[str, Any] = {key: getattr(item, key) for key in ("location", "description") if getattr(item, key)}
    if item.attendees:
        data["attendees"] = list(item.attendees)
    if item.reminder_minutes is not None:
        data["reminder_minutes"] = item.reminder_minutes
    return data


@dataclass
class CalendarEvent:
    """One event (or one occurrence of a recurring event) with aware start and end."""

    title: str
    start: datetime
    end: datetime
    uid: str = field(default_factory=new_uid)
    location: str = ""
    description: str = ""
    attendees: list[str] = field(default_factory=list)
    reminder_minutes: int | None = None
    all_day: bool = False
    busy: bool = True  # False for TRANSP:TRANSPARENT (does not block time)
    recurring: bool = False
    calendar: str = ""

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO strings) for the CLI and tool results."""
        data: dict[str, Any] = {
            "title": self.title,
            "start": self.start.date().isoformat() if self.all_day else self.start.isoformat(),
            "end": self.end.date().isoformat() if self.all_day else self.end.isoformat(),
            "uid": self.uid,
            "calendar": self.calendar,
        }
        data.update(optional_event_fields(self))
        if self.all_day:
            data["all_day"] = True
        if self.recurring:
            data["recurring"] = True
        return data

    def to_component(self) -> icalendar.Event:
        event = icalendar.Event()
        event.add("uid", self.uid)
        event.add("dtstamp", datetime.now(UTC))
        event.add("summary", clean_text(self.title))
        if self.all_day:
            event.add("dtstart", self.start.date())
            event.add("dtend", self.end.date())
        else:
            event.add("dtstart", self.start)
            event.add("dtend", self.end)
        if self.location:
            event.add("location", clean_text(self.location))
        if self.description:
            event.add("description", clean_text(self.description))
        for attendee in map(clean_text, self.attendees):
            address = attendee if attendee.lower().startswith("mailto:") else f"mailto:{attendee}"
            event.add("attendee", address)
        if not self.busy:
            event.add("transp", "TRANSPARENT")
        if self.reminder_minutes is not None:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", clean_text(self.title))
            alarm.add("trigger", timedelta(minutes=-self.reminder_minutes))
            event.add_component(alarm)
        return event

    @classmethod
    def from_component(cls, component: icalendar.cal.Component, zone: ZoneInfo, calendar: str = "") -> CalendarEvent:
        start_value = component.decoded("dtstart")
        all_day = not isinstance(start_value, datetime)
        start = _aware(start_value, zone)
        if "dtend" in component:
            end = _aware(component.decoded("dtend"), zone)
        elif "duration" in component:
            end = start + component.decoded("duration")
        else:
            end = start + (timedelta(days=1) if all_day else timedelta(0))
        attendees = component.get("attendee", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        reminder = None
        for sub in component.subcomponents:
            if sub.name == "VALARM" and "trigger" in sub:
                trigger = sub.decoded("trigger")
                if isinstance(trigger, timedelta):
                    reminder = int(-trigger.total_seconds() // 60)
                    break
        return cls(
            title=str(component.get("summary", "")) or "(no title)",
            start=start,
            end=end,
            uid=str(component.get("uid", "")) or new_uid(),
            location=str(component.get("location", "")),
            description=str(component.get("description", "")),
            attendees=[str(a).removeprefix("mailto:").removeprefix("MAILTO:") for a in attendees],
            reminder_minutes=reminder,
            all_day=all_day,
            busy=str(component.get("transp", "OPAQUE")).upper() != "TRANSPARENT",
            recurring="rrule" in component or "recurrence-id" in component or "rdate" in component,
            calendar=calendar,
        )


@dataclass
class CalendarTask:
    """A to-do (VTODO), e.g. an action item from meeting notes."""

    title: str
    due: datetime | None = None
    uid: str = field(default_factory=new_uid)
    description: str = ""
    calendar: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"title": self.title, "uid": self.uid, "calendar": self.calendar}
        if self.due:
            data["due"] = self.due.isoformat()
        if self.description:
            data["description"] = self.description
        return data

    def to_component(self) -> icalendar.Todo:
        todo = icalendar.Todo()
        todo.add("uid", self.uid)
        todo.add("dtstamp", datetime.now(UTC))
        todo.add("summary", clean_text(self.title))
        todo.add("status", "NEEDS-ACTION")
        if self.due:
            todo.add("due", self.due)
        if self.description:
            todo.add("description", clean_text(self.description))
        return todo

    @classmethod
    def from_component(cls, component: icalendar.cal.Component, zone: ZoneInfo, calendar: str = "") -> CalendarTask:
        due = _aware(component.decoded("due"), zone) if "due" in component else None
        return cls(
            title=str(component.get("summary", "")) or "(no title)",
            due=due,
            uid=str(component.get("uid", "")) or new_uid(),
            description=str(component.get("description", "")),
            calendar=calendar,
        )


def new_ical_calendar() -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    return cal


def find_conflicts(
    events: list[CalendarEvent], start: datetime, end: datetime, *, ignore_uid: str = ""
) -> list[CalendarEvent]:
    """Busy, timed events overlapping [start, end). All-day and 'free' events do not block time."""
    return [e for e in events if e.busy and not e.all_day and e.uid != ignore_uid and e.overlaps(start, end)]


def _normal_title(title: str) -> str:
    return " ".join(title.casefold().split())


def find_duplicates(events: list[CalendarEvent], title: str, start: datetime) -> list[CalendarEvent]:
    """Events with the same title (ignoring case and spacing) starting at the same instant."""
    wanted = _normal_title(title)
    return [e for e in events if _normal_title(e.title) == wanted and e.start == start]


def free_slots(
    events: list[CalendarEvent],
    range_start: datetime,
    range_end: datetime,
    duration: timedelta,
    zone: ZoneInfo,
    working_hours: tuple[time, time] = (time(9), time(17)),
    include_weekends: bool = False,
    limit: int = 5,
) -> list[tuple[datetime, datetime]]:
    """Up to ``limit`` free windows of at least ``duration`` inside working hours (local time)."""
    busy = sorted((e.start, e.end) for e in events if e.busy and not e.all_day)
    slots: list[tuple[datetime, datetime]] = []
    day = range_start.astimezone(zone).date()
    last_day = range_end.astimezone(zone).date()
    while day <= last_day and len(slots) < limit:
        if include_weekends or day.weekday() < 5:
            window_start = max(datetime.combine(day, working_hours[0], zone), range_start)
            window_end = min(datetime.combine(day, working_hours[1], zone), range_end)
            cursor = window_start
            for busy_start, busy_end in busy:
                if busy_end <= cursor or busy_start >= window_end:
                    continue
                if busy_start - cursor >= duration:
                    slots.append((cursor, cursor + duration))
                    if len(slots) >= limit:
                        return slots
                cursor = max(cursor, busy_end)
            if window_end - cursor >= duration:
                slots.append((cursor, cursor + duration))
        day += timedelta(days=1)
    return slots[:limit]
