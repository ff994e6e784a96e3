"""A recording that starts during a calendar event: the meeting takes its title, attendees and remembered template."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from assistant.core.calendars import CalendarEvent, LocalCalendar, local_zone
from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings.templates import remember_for_event, template_for_event
from tests.support.notes import answering_checks, extraction_json
from tests.support.ui_helpers import close_window, open_window


def test_recording_during_an_event_is_linked_to_it(qtbot, tmp_path):
    now = datetime.now(local_zone())
    LocalCalendar(zone=local_zone()).add_event(
        CalendarEvent("Contract review", now - timedelta(minutes=5), now + timedelta(minutes=55), attendees=["ruth.miller@example.com"])
    )
    remember_for_event("Contract review", "customer-call")
    model = tmp_path / "m.gguf"
    model.write_text("x")
    reply = extraction_json(title="Call", commitments=[("Ruth Miller", "send the contract", "")])
    window = open_window(qtbot, FakeEngine(answering_checks([reply]), n_ctx=4096), str(model))
    page = window.meetings_page
    page._on_recording_started(str(tmp_path / "recording"))  # what the recorder signals when it starts
    assert page.live_feed is not None
    page.feed_live("You: Ruth, can you send the contract?\n")  # heard while the calendars are read: kept
    qtbot.waitUntil(lambda: page.linked_event is not None and page.request is not None, timeout=60_000)
    assert page.title_edit.text() == "Contract review" and page.options.template_name() == "customer-call"
    assert page.linked_event.attendees == ["Ruth Miller"] and "Linked to the calendar event" in page.status.text()
    page.end_live()
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    messages = next(m for m, p in page.bridge.engine.calls if p.json_schema is not None)
    assert "Ruth, can you send the contract?" in messages[-1]["content"]
    system = messages[0]["content"]
    assert "invited to this meeting (from the calendar): Ruth Miller" in system and "This is a call with a customer." in system
    assert [item.owner for item in page.notes.action_items] == ["Ruth Miller"]
    meeting = page.store.get_meeting(page.meeting_id)
    assert meeting.title == "Contract review" and meeting.notes["event"]["attendees"] == ["Ruth Miller"]
    page.options.set_template("one-on-one")  # the choice is remembered for the next "Contract review"
    assert template_for_event("contract review") == "one-on-one"
    assert json.dumps(meeting.notes["event"]).count("Contract review") == 1
    close_window(window)


def test_a_meeting_opened_after_a_linked_recording_is_not_linked(qtbot, tmp_path):
    now = datetime.now(local_zone())
    LocalCalendar(zone=local_zone()).add_event(
        CalendarEvent("Budget review", now - timedelta(minutes=5), now + timedelta(minutes=55), attendees=["omar@example.com"])
    )
    window = open_window(qtbot, FakeEngine())  # no model: the recording is linked, no notes are written
    page = window.meetings_page
    page._on_recording_started(str(tmp_path / "recording"))
    qtbot.waitUntil(lambda: page.linked_event is not None, timeout=60_000)
    transcript = tmp_path / "weekly_sync.txt"
    transcript.write_text("Dana: the budget grows.\n", encoding="utf-8")
    assert page.open_file(str(transcript))
    assert page.linked_event is None and page.title_edit.text() == "Weekly sync"
    page.options.set_template("stand-up")  # not remembered for the recording's event
    assert template_for_event("Budget review") is None
    assert "event" not in (page.store.get_meeting(page.meeting_id).notes or {})
    close_window(window)
