"""The built-in .ics calendar, import of exported files (recurrence), single-event export."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from assistant.core.calendars import (
    CalendarError,
    CalendarEvent,
    CalendarReadOnlyError,
    CalendarTask,
    EventDraft,
    LocalCalendar,
    calendar_names,
    export_event_ics,
    find_conflicts,
    import_ics,
    open_calendar,
    write_event,
)
from assistant.core.calendars.local import local_calendar_path
from tests.support import ROOT, TEST_DATA

DATA = TEST_DATA / "calendars"
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


def test_local_calendar_lives_in_data_dir(isolated_data_dir: Path) -> None:
    calendar = open_calendar("local")
    assert isinstance(calendar, LocalCalendar)
    assert local_calendar_path() == isolated_data_dir / "calendar.ics"
    assert calendar.list_events(berlin(2026, 1, 1), berlin(2027, 1, 1)) == []  # no file yet: empty, not an error


def test_round_trip_reparsed_with_icalendar(tmp_path: Path) -> None:
    calendar = LocalCalendar(tmp_path / "calendar.ics", zone=BERLIN)
    event = CalendarEvent(
        "Follow-up with Dana, Q4 review; budget",
        berlin(2026, 12, 1, 15, 0),
        berlin(2026, 12, 1, 16, 0),
        location="Room 4",
        description="Line one\nLine two",
        attendees=["dana@example.com"],
        reminder_minutes=15,
    )
    calendar.add_event(event)
    calendar.add_task(CalendarTask("Send slides", due=berlin(2026, 12, 4, 17, 0)))

    parsed = icalendar.Calendar.from_ical((tmp_path / "calendar.ics").read_bytes())
    vevents = list(parsed.walk("VEVENT"))
    assert len(vevents) == 1
    vevent = vevents[0]
    assert str(vevent["summary"]) == "Follow-up with Dana, Q4 review; budget"
    assert vevent.decoded("dtstart") == berlin(2026, 12, 1, 15, 0)
    assert vevent["dtstart"].params["TZID"] == "Europe/Berlin"
    assert vevent.decoded("dtend") - vevent.decoded("dtstart") == timedelta(hours=1)
    assert str(vevent["uid"]) == event.uid
    assert str(vevent["attendee"]) == "mailto:dana@example.com"
    assert [str(t["tzid"]) for t in parsed.walk("VTIMEZONE")] == ["Europe/Berlin"]  # importable by Outlook
    alarm = next(iter(vevent.walk("VALARM")))
    assert alarm.decoded("trigger") == timedelta(minutes=-15)
    todo = next(iter(parsed.walk("VTODO")))
    assert str(todo["summary"]) == "Send slides" and todo.decoded("due") == berlin(2026, 12, 4, 17, 0)

    again = calendar.list_events(berlin(2026, 12, 1), berlin(2026, 12, 2))
    assert len(again) == 1
    got = again[0]
    assert (got.title, got.start, got.end, got.location, got.description) == (
        event.title,
        event.start,
        event.end,
        "Room 4",
        "Line one\nLine two",
    )
    assert got.attendees == ["dana@example.com"] and got.reminder_minutes == 15
    assert [t.title for t in calendar.list_tasks()] == ["Send slides"]


def test_delete_removes_only_that_event(tmp_path: Path) -> None:
    calendar = LocalCalendar(tmp_path / "calendar.ics", zone=BERLIN)
    first = calendar.add_event(CalendarEvent("A", berlin(2026, 12, 1, 9), berlin(2026, 12, 1, 10)))
    calendar.add_event(CalendarEvent("B", berlin(2026, 12, 1, 11), berlin(2026, 12, 1, 12)))
    assert calendar.delete(first.uid) is True
    assert calendar.delete(first.uid) is False
    assert [e.title for e in calendar.list_events(berlin(2026, 12, 1), berlin(2026, 12, 2))] == ["B"]


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "calendar.ics"
    calendar = LocalCalendar(path, zone=BERLIN)
    calendar.add_event(CalendarEvent("Keep me", berlin(2026, 12, 1, 9), berlin(2026, 12, 1, 10)))
    before = path.read_bytes()

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(CalendarError, match="No space left on device. Nothing was changed"):
        calendar.add_event(CalendarEvent("Lost", berlin(2026, 12, 2, 9), berlin(2026, 12, 2, 10)))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".calendar.ics.lock", "calendar.ics"]  # no temp file left


def test_unreadable_calendar_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "calendar.ics"
    path.write_bytes((DATA / "broken.ics").read_bytes())
    calendar = LocalCalendar(path, zone=BERLIN)
    with pytest.raises(CalendarError, match="not a valid calendar"):
        calendar.add_event(CalendarEvent("X", berlin(2026, 12, 1, 9), berlin(2026, 12, 1, 10)))
    assert path.read_bytes() == (DATA / "broken.ics").read_bytes()


def test_imported_weekly_meeting_is_expanded() -> None:
    imported = import_ics(DATA / "work-weekly.ics", zone=BERLIN)
    assert imported.name == "work-weekly" and imported.read_only
    assert "work-weekly" in calendar_names()
    events = imported.list_events(berlin(2026, 10, 1), berlin(2027, 1, 31))
    meetings = [e for e in events if e.title.startswith("Team meeting")]
    starts = [e.start for e in meetings]
    mondays = [date(2026, 10, 5) + timedelta(weeks=i) for i in range(13)]
    expected = [berlin(d.year, d.month, d.day, 10) for d in mondays if d not in (date(2026, 11, 9), date(2026, 11, 16))]
    expected.append(berlin(2026, 11, 17, 15))  # the moved occurrence
    assert sorted(starts) == sorted(expected)
    assert all(e.recurring for e in meetings)
    # Same wall-clock time on both sides of the October DST change: different UTC hours.
    utc_hours = {e.start.date(): e.start.astimezone(UTC).hour for e in meetings}
    assert utc_hours[date(2026, 10, 19)] == 8 and utc_hours[date(2026, 10, 26)] == 9
    dentist = next(e for e in events if e.title == "Dentist")
    assert dentist.start == berlin(2026, 12, 1, 14, 0)
    holiday = next(e for e in events if e.title == "Company holiday")
    assert holiday.all_day and not holiday.busy


def test_imported_calendar_is_read_only_and_feeds_conflicts(tmp_path: Path) -> None:
    imported = import_ics(DATA / "work-weekly.ics", "work", zone=BERLIN)
    with pytest.raises(CalendarReadOnlyError):
        imported.add_event(CalendarEvent("X", berlin(2026, 12, 1, 9), berlin(2026, 12, 1, 10)))
    local = LocalCalendar(tmp_path / "calendar.ics", zone=BERLIN)
    draft = EventDraft(
        title="1:1", start_text="2026-12-07T10:30", timezone="Europe/Berlin", now=berlin(2026, 11, 27, 11)
    ).resolve()
    draft.check_calendar(local, others=[imported])
    assert [c.title for c in draft.conflicts] == ["Team meeting"]
    holiday_draft = EventDraft(
        title="Lunch", start_text="2026-11-24T12:00", timezone="Europe/Berlin", now=berlin(2026, 11, 20, 11)
    ).resolve()
    assert holiday_draft.check_calendar(local, others=[imported]).conflicts == []  # all-day/free events do not block


def test_import_rejects_bad_files(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="not a valid calendar"):
        import_ics(DATA / "broken.ics")
    with pytest.raises(CalendarError, match="does not exist"):
        import_ics(tmp_path / "missing.ics")
    empty = tmp_path / "empty.ics"
    empty.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    with pytest.raises(CalendarError, match="no events"):
        import_ics(empty)


def test_export_single_event(tmp_path: Path, isolated_data_dir: Path) -> None:
    event = CalendarEvent("Follow-up with Dana", berlin(2026, 12, 1, 15), berlin(2026, 12, 1, 16), location="Café Nord")
    path = export_event_ics(event)
    assert path.parent == isolated_data_dir / "exports" and path.suffix == ".ics"
    parsed = icalendar.Calendar.from_ical(path.read_bytes())
    assert str(parsed["method"]) == "PUBLISH"
    vevents = list(parsed.walk("VEVENT"))
    assert len(vevents) == 1 and str(vevents[0]["summary"]) == "Follow-up with Dana"
    assert str(vevents[0]["location"]) == "Café Nord"
    assert vevents[0].decoded("dtstart") == berlin(2026, 12, 1, 15)
    chosen = export_event_ics(event, tmp_path / "x.ics")
    assert chosen == tmp_path / "x.ics" and chosen.exists()


def test_confirmed_draft_lands_in_local_calendar_once(tmp_path: Path) -> None:
    calendar = LocalCalendar(tmp_path / "calendar.ics", zone=BERLIN)
    draft = EventDraft(
        title="Review",
        start_text="tomorrow at 10am",
        duration_text="30",
        timezone="Europe/Berlin",
        now=berlin(2026, 11, 27, 11),
    ).resolve()
    write_event(calendar, draft.confirm())
    events = calendar.list_events(berlin(2026, 11, 28), berlin(2026, 11, 29))
    assert [(e.title, e.start, e.end) for e in events] == [
        ("Review", berlin(2026, 11, 28, 10), berlin(2026, 11, 28, 10, 30))
    ]
    duplicate = EventDraft(
        title="review ", start_text="2026-11-28T10:00", timezone="Europe/Berlin", now=berlin(2026, 11, 27, 11)
    ).resolve()
    duplicate.check_calendar(calendar)
    assert len(duplicate.duplicates) == 1 and len(duplicate.conflicts) == 1


def test_find_conflicts_boundaries() -> None:
    events = [CalendarEvent("A", berlin(2026, 12, 1, 9), berlin(2026, 12, 1, 10))]
    assert find_conflicts(events, berlin(2026, 12, 1, 10), berlin(2026, 12, 1, 11)) == []  # back to back
    assert len(find_conflicts(events, berlin(2026, 12, 1, 9, 59), berlin(2026, 12, 1, 11))) == 1


def test_parallel_writers_lose_nothing(tmp_path: Path) -> None:
    import threading

    calendar = LocalCalendar(tmp_path / "calendar.ics", zone=BERLIN)
    other = LocalCalendar(tmp_path / "calendar.ics", zone=BERLIN)  # e.g. the chat card and meeting notes

    def add(cal: LocalCalendar, prefix: str) -> None:
        for i in range(10):
            cal.add_event(CalendarEvent(f"{prefix}{i}", berlin(2026, 12, 1, 8 + i), berlin(2026, 12, 1, 8 + i, 30)))

    threads = [threading.Thread(target=add, args=(c, p)) for c, p in ((calendar, "a"), (other, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calendar.list_events(berlin(2026, 12, 1), berlin(2026, 12, 2))) == 20


ADD_FROM_ANOTHER_PROCESS = """
import sys
from datetime import datetime
from zoneinfo import ZoneInfo
from assistant.core.calendars import CalendarEvent, LocalCalendar
zone = ZoneInfo("Europe/Berlin")
calendar = LocalCalendar(__import__("pathlib").Path(sys.argv[1]), zone=zone)
sys.stdin.readline()  # start together
for i in range(int(sys.argv[3])):
    calendar.add_event(CalendarEvent(f"{sys.argv[2]}{i}", datetime(2026, 12, 1, 8, i, tzinfo=zone), datetime(2026, 12, 1, 9, i, tzinfo=zone)))
"""


def test_two_processes_writing_the_same_calendar_lose_nothing(tmp_path: Path) -> None:
    """A second Llama Desk, or `llama-desk calendar add`, writing while the app does."""
    import subprocess
    import sys

    path, count = tmp_path / "calendar.ics", 25
    root = str(ROOT)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    writers = [
        subprocess.Popen([sys.executable, "-c", ADD_FROM_ANOTHER_PROCESS, str(path), prefix, str(count)], stdin=subprocess.PIPE, env=env)
        for prefix in ("a", "b")
    ]
    for writer in writers:
        writer.stdin.write(b"go\n")
        writer.stdin.flush()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    titles = {e.title for e in LocalCalendar(path, zone=BERLIN).list_events(berlin(2026, 12, 1), berlin(2026, 12, 2))}
    assert titles == {f"{prefix}{i}" for prefix in "ab" for i in range(count)}


@pytest.mark.skipif(os.name == "nt", reason="holds the lock with fcntl")
def test_a_calendar_held_by_another_program_gives_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    from assistant.core.calendars import local

    path = tmp_path / "calendar.ics"
    calendar = LocalCalendar(path, zone=BERLIN)
    calendar.add_event(CalendarEvent("Kept", berlin(2026, 12, 1, 9), berlin(2026, 12, 1, 10)))
    before = path.read_bytes()
    monkeypatch.setattr(local, "LOCK_TIMEOUT", 0.2)
    with open(tmp_path / ".calendar.ics.lock", "a+b") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)  # as another process would
        with pytest.raises(CalendarError, match="being changed by another program"):
            calendar.add_event(CalendarEvent("Later", berlin(2026, 12, 2, 9), berlin(2026, 12, 2, 10)))
    assert path.read_bytes() == before
    calendar.add_event(CalendarEvent("Later", berlin(2026, 12, 2, 9), berlin(2026, 12, 2, 10)))  # free again
    assert len(calendar.list_events(berlin(2026, 12, 1), berlin(2026, 12, 3))) == 2


def test_draft_warnings_for_the_card(tmp_path: Path) -> None:
    calendar = LocalCalendar(tmp_path / "calendar.ics", zone=BERLIN)
    calendar.add_event(CalendarEvent("Standup", berlin(2026, 12, 1, 9), berlin(2026, 12, 1, 9, 30)))
    args = {"title": "Standup", "start": "2026-12-01T09:00", "timezone": "UTC"}
    draft = EventDraft.from_arguments(args, now=berlin(2026, 11, 27, 11), zone="Europe/Berlin").check_calendar(calendar)
    assert draft.ready  # warnings do not block
    assert draft.start == datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("UTC"))
    assert any("not in your time zone Europe/Berlin" in w for w in draft.warnings)
    same_zone = EventDraft.from_arguments({**args, "timezone": ""}, now=berlin(2026, 11, 27, 11), zone="Europe/Berlin")
    same_zone.check_calendar(calendar)
    assert same_zone.warnings == [
        "Overlaps 'Standup' (09:00-09:30 Europe/Berlin).",
        "The same event (same title and start) is already in this calendar.",
    ]
    assert same_zone.summary()["warnings"] == same_zone.warnings
