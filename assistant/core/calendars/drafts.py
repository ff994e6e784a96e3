"""Proposals the user confirms before anything is written: EventDraft, TaskDraft, write_event.

A draft holds what the model (or meeting notes) proposed, as text and as resolved values,
plus the problems that need the user: end before start, impossible dates, ambiguous times
("ask the user" rather than guess). :meth:`EventDraft.check_calendar` adds overlaps and
duplicates. Nothing is written until :meth:`confirm` is called (the user's click, or the
CLI user typing the command) and :func:`write_event` runs — once per draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from assistant.core.calendars.base import Calendar, CalendarError
from assistant.core.calendars.events import (
    CalendarEvent,
    CalendarTask,
    find_conflicts,
    find_duplicates,
    optional_event_fields,
    span_text,
)
from assistant.core.dates import (
    DateError,
    DateResolution,
    format_when,
    get_zone,
    localize,
    parse_duration,
    resolve_datetime,
    resolve_span,
)

DEFAULT_DURATION = timedelta(hours=1)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ProblemKind = Literal["ask", "invalid"]


@dataclass(frozen=True)
class Problem:
    """Something the user must settle. ``kind`` 'ask': a question (ambiguous); 'invalid': wrong value."""

    field: str
    message: str
    kind: ProblemKind = "invalid"


class DraftNotReadyError(CalendarError):
    """write_event was called on a draft that still has problems or was not confirmed."""


@dataclass
class EventDraft:
    """An event proposal. Text fields keep what was said so the card can show and edit it."""

    title: str = ""
    start_text: str = ""
    end_text: str = ""
    duration_text: str = ""
    timezone: str = ""
    location: str = ""
    attendees: list[str] = field(default_factory=list)
    description: str = ""
    reminder_minutes: int | None = None
    calendar: str = "local"
    all_day: bool = False  # start_text and end_text are dates; end_text is the last day
    now: datetime | None = None
    user_timezone: str = ""  # the user's own zone, to warn when the event uses another one
    # Filled in by resolve():
    start: datetime | None = None
    end: datetime | None = None
    problems: list[Problem] = field(default_factory=list)
    conflicts: list[CalendarEvent] = field(default_factory=list)
    duplicates: list[CalendarEvent] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # events skipped or limits hit while checking
    confirmed: bool = False
    written_uid: str = ""

    @classmethod
    def from_arguments(
        cls, arguments: dict[str, Any], *, now: datetime, zone: str, calendar: str = "local"
    ) -> EventDraft:
        """Build from validated create_calendar_event arguments and resolve it."""
        duration = arguments.get("duration_minutes", "")
        draft = cls(
            title=str(arguments.get("title", "")).strip(),
            start_text=str(arguments.get("start", "")).strip(),
            end_text=str(arguments.get("end", "") or "").strip(),
            duration_text=str(duration) if duration not in ("", None) else "",
            timezone=str(arguments.get("timezone") or zone),
            location=str(arguments.get("location", "") or ""),
            attendees=[str(a) for a in arguments.get("attendees", []) or []],
            description=str(arguments.get("description", "") or ""),
            reminder_minutes=arguments.get("reminder_minutes"),
            calendar=calendar,
            all_day=bool(arguments.get("all_day", False)),
            now=now,
            user_timezone=zone,
        )
        return draft.resolve()

    @property
    def zone(self) -> ZoneInfo:
        return get_zone(self.timezone or None)

    @property
    def ready(self) -> bool:
        """True when nothing blocks writing (conflicts and duplicates only warn)."""
        return not self.problems and self.start is not None and self.end is not None

    @property
    def questions(self) -> list[str]:
        return [p.message for p in self.problems]

    @property
    def warnings(self) -> list[str]:
        """Things the user should see before confirming but that do not block saving."""
        try:
            zone = get_zone(self.user_timezone or self.timezone or None)
        except DateError:
            zone = ZoneInfo("UTC")
        notes = [f"Overlaps '{e.title}' ({span_text(e, zone)})." for e in self.conflicts]
        if self.duplicates:
            notes.append("The same event (same title and start) is already in this calendar.")
        if self.user_timezone and self.timezone and self.timezone != self.user_timezone:
            notes.append(f"The time is in {self.timezone}, not in your time zone {self.user_timezone}.")
        return notes + self.notices

    def edited(self, **changes: Any) -> EventDraft:
        """A re-resolved copy with fields changed by the user (clears confirmation)."""
        fresh = replace(
            self,
            **changes,
            start=None,
            end=None,
            problems=[],
            conflicts=[],
            duplicates=[],
            notices=[],
            confirmed=False,
            written_uid="",
        )
        return fresh.resolve()

    def resolve(self) -> EventDraft:
        """Resolve the text fields into start/end and list the problems."""
        self.problems = []
        self.start = self.end = None
        now = self.now or datetime.now(ZoneInfo("UTC"))
        try:
            zone = self.zone
        except DateError as exc:
            self.problems.append(Problem("timezone", str(exc)))
            return self
        if not self.title:
            self.problems.append(Problem("title", "The event needs a title.", "ask"))
        elif len(self.title) > 200:
            self.problems.append(Problem("title", "The title is too long (200 characters at most)."))
        if not self.start_text:
            self.problems.append(Problem("start", "When should the event start?", "ask"))
            return self
        if self.all_day:
            return self._resolve_days(now, zone)
        start = self._resolve_point("start", self.start_text, now, zone)
        if start is None:
            return self
        self.start = start
        end = self._resolve_end(start, now, zone)
        if end is not None:
            if end <= start:
                self.problems.append(
                    Problem("end", f"The end ({format_when(end)}) is not after the start ({format_when(start)}).")
                )
            else:
                self.end = end
        if start < now - timedelta(minutes=5):
            self.problems.append(
                Problem("start", f"{format_when(start)} is in the past. Is that the right date?", "ask")
            )
        if self.reminder_minutes is not None and (
            isinstance(self.reminder_minutes, bool)
            or not isinstance(self.reminder_minutes, int)
            or not 0 <= self.reminder_minutes <= 40320
        ):
            self.problems.append(
                Problem("reminder_minutes", "A reminder must be between 0 minutes and 4 weeks before the event.")
            )
        for attendee in self.attendees:
            if "@" in attendee and not _EMAIL.fullmatch(attendee.strip().removeprefix("mailto:")):
                self.problems.append(Problem("attendees", f"'{attendee}' is not a valid e-mail address."))
        return self

    def _resolve_days(self, now: datetime, zone: ZoneInfo) -> EventDraft:
        """An all-day event: midnight of the first day to midnight after the last (inclusive) day."""
        days = []
        for name, text in (("start", self.start_text), ("end", self.end_text or self.start_text)):
            result = resolve_datetime(text, now, zone)
            if not result.ok or result.value is None:
                kind: ProblemKind = "invalid" if result.status == "impossible" else "ask"
                self.problems.append(Problem(name, result.reason, kind))
                return self
            days.append(result.value.astimezone(zone).date())
        if days[1] < days[0]:
            self.problems.append(Problem("end", f"The last day ({days[1]:%d %b %Y}) is before the first ({days[0]:%d %b %Y})."))
            return self
        self.start = datetime.combine(days[0], time(0), zone)
        self.end = datetime.combine(days[1] + timedelta(days=1), time(0), zone)
        if days[0] < now.astimezone(zone).date():
            self.problems.append(Problem("start", f"{days[0]:%A %d %B %Y} is in the past. Is that the right date?", "ask"))
        return self

    def _resolve_point(self, name: str, text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
        result: DateResolution = resolve_datetime(text, now, zone)
        if not result.ok:
            kind: ProblemKind = "invalid" if result.status == "impossible" else "ask"
            self.problems.append(Problem(name, result.reason, kind))
            return None
        if result.date_only:
            self.problems.append(Problem(name, f"What time on {result.value:%A %d %B}?", "ask"))
            return None
        return result.value

    def _resolve_end(self, start: datetime, now: datetime, zone: ZoneInfo) -> datetime | None:
        if self.end_text:
            # "16:00" or "4pm" alone means that time on the start's day.
            result = resolve_datetime(self.end_text, now, zone)
            if result.ok and not result.date_only:
                value = result.value
                assert value is not None
                if value.date() != start.astimezone(zone).date() and _is_time_only(self.end_text):
                    same_day = localize(datetime.combine(start.astimezone(zone).date(), value.time()), zone)
                    if not same_day.ok:
                        self.problems.append(Problem("end", same_day.reason))
                        return None
                    value = same_day.value
                return value
            return self._resolve_point("end", self.end_text, now, zone)
        if self.duration_text:
            try:
                return start + parse_duration(self.duration_text)
            except DateError as exc:
                self.problems.append(Problem("duration_minutes", str(exc)))
                return None
        said_end = resolve_span(self.start_text, now, zone).end  # "tomorrow from 4 to 5 pm"
        if said_end is not None and said_end.ok and said_end.value is not None:
            return said_end.value
        return start + DEFAULT_DURATION

    def check_calendar(self, calendar: Calendar, *, others: list[Calendar] | None = None) -> EventDraft:
        """Fill ``conflicts`` (overlaps in the target and ``others``) and ``duplicates``.

        A read-only target becomes a problem (the user picks another calendar). Errors
        reading the calendars propagate as CalendarError.
        """
        self.conflicts, self.duplicates = [], []
        self.problems = [p for p in self.problems if p.field != "calendar"]
        if calendar.read_only:
            self.problems.append(
                Problem("calendar", f"The calendar '{calendar.name}' is read-only. Choose another calendar.")
            )
        if self.start is None or self.end is None:
            return self
        seen: set[tuple[str, datetime]] = set()
        self.notices = []
        for source in [calendar, *(others or [])]:
            events = source.list_events(self.start - timedelta(days=1), self.end + timedelta(days=1))
            self.notices.extend(getattr(events, "notices", []))
            if source is calendar:
                self.duplicates = find_duplicates(events, self.title, self.start)
            for event in find_conflicts(events, self.start, self.end):
                if (event.uid, event.start) not in seen:
                    seen.add((event.uid, event.start))
                    self.conflicts.append(event)
        return self

    def confirm(self) -> EventDraft:
        """Mark as approved by the user. Refuses drafts with problems."""
        if not self.ready:
            raise DraftNotReadyError("The event cannot be saved yet: " + " ".join(self.questions))
        self.confirmed = True
        return self

    def to_event(self) -> CalendarEvent:
        if self.start is None or self.end is None:
            raise DraftNotReadyError("The event has no resolved start and end yet.")
        return CalendarEvent(
            title=self.title,
            start=self.start,
            end=self.end,
            location=self.location,
            description=self._description_with_names(),
            attendees=[a.strip().removeprefix("mailto:") for a in self.attendees if "@" in a],
            reminder_minutes=self.reminder_minutes,
            all_day=self.all_day,
            calendar=self.calendar,
        )

    def _description_with_names(self) -> str:
        """Attendees given by name only (no e-mail) are kept in the description."""
        names = [a.strip() for a in self.attendees if "@" not in a and a.strip()]
        if not names:
            return self.description
        line = "With: " + ", ".join(names)
        return f"{self.description}\n\n{line}" if self.description else line

    def summary(self) -> dict[str, Any]:
        """What the confirmation card (and the model's tool result) shows."""
        data: dict[str, Any] = {
            "title": self.title,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "timezone": self.timezone,
            "calendar": self.calendar,
            "problems": [{"field": p.field, "message": p.message, "kind": p.kind} for p in self.problems],
            "conflicts": [e.to_dict() for e in self.conflicts],
            "duplicate": bool(self.duplicates),
            "warnings": self.warnings,
        }
        data.update(optional_event_fields(self))
        return data


def _is_time_only(text: str) -> bool:
    return bool(re.fullmatch(r"\s*(at\s+)?(\d{1,2}([:.h]\d{2})?\s*(a\.?m\.?|p\.?m\.?)?|noon|midday)\s*", text.lower()))


@dataclass
class TaskDraft:
    """A to-do proposal (action item) with an optional due date."""

    title: str = ""
    due_text: str = ""
    description: str = ""
    timezone: str = ""
    calendar: str = "local"
    now: datetime | None = None
    due: datetime | None = None
    problems: list[Problem] = field(default_factory=list)
    confirmed: bool = False
    written_uid: str = ""

    @classmethod
    def from_arguments(
        cls, arguments: dict[str, Any], *, now: datetime, zone: str, calendar: str = "local"
    ) -> TaskDraft:
        draft = cls(
            title=str(arguments.get("title", "")).strip(),
            due_text=str(arguments.get("due", "") or "").strip(),
            description=str(arguments.get("description", "") or ""),
            timezone=str(arguments.get("timezone") or zone),
            calendar=calendar,
            now=now,
        )
        return draft.resolve()

    @property
    def ready(self) -> bool:
        return not self.problems

    @property
    def questions(self) -> list[str]:
        return [p.message for p in self.problems]

    def edited(self, **changes: Any) -> TaskDraft:
        return replace(self, **changes, due=None, problems=[], confirmed=False, written_uid="").resolve()

    def resolve(self) -> TaskDraft:
        self.problems, self.due = [], None
        if not self.title:
            self.problems.append(Problem("title", "The task needs a title.", "ask"))
        if self.due_text:
            now = self.now or datetime.now(ZoneInfo("UTC"))
            try:
                zone = get_zone(self.timezone or None)
            except DateError as exc:
                self.problems.append(Problem("timezone", str(exc)))
                return self
            result = resolve_datetime(self.due_text, now, zone)
            if result.ok:
                # A due date without a time means the end of that day.
                self.due = result.value.replace(hour=23, minute=59) if result.date_only else result.value
            else:
                self.problems.append(
                    Problem("due", result.reason, "invalid" if result.status == "impossible" else "ask")
                )
        return self

    def confirm(self) -> TaskDraft:
        if not self.ready:
            raise DraftNotReadyError("The task cannot be saved yet: " + " ".join(self.questions))
        self.confirmed = True
        return self

    def to_task(self) -> CalendarTask:
        return CalendarTask(title=self.title, due=self.due, description=self.description, calendar=self.calendar)

    def summary(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "due": self.due.isoformat() if self.due else None,
            "calendar": self.calendar,
            "problems": [{"field": p.field, "message": p.message, "kind": p.kind} for p in self.problems],
        }


Draft = EventDraft | TaskDraft


def write_event(calendar: Calendar, draft: Draft) -> CalendarEvent | CalendarTask:
    """The only write path for proposals: requires a confirmed, problem-free, unwritten draft."""
    if not draft.confirmed:
        raise DraftNotReadyError("Nothing was saved: the user has not confirmed this proposal.")
    if not draft.ready:
        raise DraftNotReadyError("Nothing was saved: " + " ".join(draft.questions))
    if draft.written_uid:
        raise DraftNotReadyError("This proposal was already saved; it is not saved twice.")
    if isinstance(draft, TaskDraft):
        written: CalendarEvent | CalendarTask = calendar.add_task(draft.to_task())
    else:
        written = calendar.add_event(draft.to_event())
    draft.written_uid = written.uid
    return written
