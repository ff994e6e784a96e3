"""Meetings linked to calendar events: the event a recording starts in, its title and attendees as known owners."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from assistant.core.calendars import CalendarError, CalendarEvent, ImportedCalendar, LocalCalendar, import_ics
from assistant.core.calendars.base import Calendar
from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings import MeetingContext, Summarizer
from assistant.core.meetings.linking import LinkedEvent, attendee_name, event_during, find_linked_event
from tests.support import TEST_DATA
from tests.support.notes import answering_checks, extraction_json

BERLIN = ZoneInfo("Europe/Berlin")


def _local(tmp_path) -> LocalCalendar:
    calendar = LocalCalendar(tmp_path / "calendar.ics", zone=BERLIN)
    day = datetime(2026, 12, 2, tzinfo=BERLIN)
    calendar.add_event(
        CalendarEvent(
            "Contract review",
            day.replace(hour=14),
            day.replace(hour=15),
            attendees=["ruth.miller@example.com", "mailto:omar_haddad@example.com", "ruth.miller@example.com"],
        )
    )
    calendar.add_event(CalendarEvent("Focus time", day.replace(hour=14), day.replace(hour=16), busy=False))
    calendar.add_event(CalendarEvent("Holiday", day, day + timedelta(days=1), all_day=True))
    calendar.add_event(CalendarEvent("Stand-up", day.replace(hour=15, minute=5), day.replace(hour=15, minute=20)))
    return calendar


def test_attendee_names_from_addresses():
    assert attendee_name("mailto:ruth.miller@example.com") == "Ruth Miller"
    assert attendee_name('"Omar Haddad" <omar@example.com>') == "Omar Haddad"
    assert attendee_name("dana@example.com") == "Dana"


def test_a_recording_during_an_event_takes_its_title_and_attendees(tmp_path):
    calendar = _local(tmp_path)
    found, problems = event_during(datetime(2026, 12, 2, 14, 3, tzinfo=BERLIN), [calendar])
    assert problems == [] and found is not None
    assert found.title == "Contract review" and found.attendees == ["Ruth Miller", "Omar Haddad"]
    assert LinkedEvent.from_dict(found.to_dict()) == found
    # joined a few minutes early: the next event it belongs to; nearest start wins over one still running
    early, _ = event_during(datetime(2026, 12, 2, 14, 58, tzinfo=BERLIN), [calendar])
    assert early is not None and early.title == "Stand-up"
    # free, all-day and far-away events do not count
    assert event_during(datetime(2026, 12, 2, 15, 40, tzinfo=BERLIN), [calendar])[0] is None
    assert event_during(datetime(2026, 12, 2, 9, 0, tzinfo=BERLIN), [calendar])[0] is None


def test_a_repeating_event_in_an_imported_calendar_links(tmp_path):
    imported = ImportedCalendar(TEST_DATA / "calendars" / "work-weekly.ics", zone=BERLIN)
    found, _ = event_during(datetime(2026, 11, 30, 10, 20, tzinfo=BERLIN), [imported])
    assert found is not None and found.title == "Team meeting"
    moved, _ = event_during(datetime(2026, 11, 17, 15, 0, tzinfo=BERLIN), [imported])  # the moved occurrence
    assert moved is not None and moved.title == "Team meeting (moved)"


def test_find_linked_event_reads_every_calendar_the_user_has(tmp_path):
    import_ics(TEST_DATA / "calendars" / "work-weekly.ics", "work", zone=BERLIN)
    found, problems = find_linked_event(datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN), BERLIN)
    assert found is not None and found.title == "Team meeting" and found.calendar == "work" and problems == []


class _Broken(Calendar):
    name = "server"

    def list_events(self, start, end):
        raise CalendarError("The server could not be reached.")

    def add_event(self, event):
        raise NotImplementedError

    def add_task(self, task):
        raise NotImplementedError

    def delete(self, uid):
        return False


def test_a_calendar_that_cannot_be_read_is_named_and_the_others_still_count(tmp_path):
    found, problems = event_during(datetime(2026, 12, 2, 14, 3, tzinfo=BERLIN), [_Broken(), _local(tmp_path)])
    assert found is not None and found.title == "Contract review"
    assert problems == ["server: The server could not be reached."]


def test_attendees_become_known_owners_of_a_recording():
    transcript = "[00:00:05] You: Ruth, can you send the contract by Friday?\n[00:00:09] Others: Yes, and we'll call the bank.\n"
    reply = extraction_json(
        title="Contract", commitments=[("Ruth Miller", "send the contract", "by Friday"), ("Zed", "call the bank", "")]
    )
    engine = FakeEngine(answering_checks([reply]), n_ctx=4096)
    engine.load("fake.gguf")
    context = MeetingContext.create(datetime(2026, 12, 2, 14, 0), BERLIN, known_names=("Ruth Miller", "Omar Haddad"))
    notes = Summarizer(engine, context).summarize(transcript).notes
    owners = {item.task: item.owner for item in notes.action_items}
    # "Miller" is never said, but Ruth Miller is invited; Zed is neither said nor invited
    assert owners == {"send the contract": "Ruth Miller", "call the bank": ""}
    assert "The people invited to this meeting (from the calendar): Ruth Miller, Omar Haddad." in engine.calls[0][0][0]["content"]
