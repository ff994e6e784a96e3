"""The Meetings page with a scripted engine: paste → notes → export; persistence; live mode."""

from __future__ import annotations

import json

import pytest

from assistant.core.calendars import LocalCalendar, local_zone
from assistant.core.engines.fake import FakeEngine
from assistant.core.store import Store
from tests.support import TEST_DATA
from tests.support.notes import extraction_json
from tests.support.ui_helpers import close_window, open_window

DATA = TEST_DATA / "transcripts"
NOTES = json.loads(
    extraction_json(
        title="Launch stand-up",
        summary=["The beta ships Friday."],
        decisions=["Ship the beta on Friday"],
        commitments=[("Dana", "Write the release notes", "by next Friday")],
        questions=["Who tells support?"],
        sessions=[("Launch review", "2026-12-08T15:00")],
    )
)


@pytest.fixture
def fake_model(tmp_path):
    path = tmp_path / "m.gguf"
    path.write_text("x")
    return str(path)


def _page(qtbot, engine, model, store=None):
    window = open_window(qtbot, engine, model, store)
    return window, window.meetings_page


def test_pasted_transcript_becomes_saved_notes_and_exports_as_markdown(qtbot, fake_model, tmp_path):
    window, page = _page(qtbot, FakeEngine([json.dumps(NOTES)], n_ctx=4096), fake_model)
    page.transcript_edit.setPlainText("Dana: The beta ships Friday. I will write the release notes by next Friday.")
    assert page.summarize_button.isEnabled()
    assert page.summarize()
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    assert "Write the release notes" in page.notes_view.toPlainText()
    assert page.title_edit.text() == "Launch stand-up"
    exported = page.export_markdown(str(tmp_path / "notes"))
    text = exported.read_text()
    assert exported.suffix == ".md" and "Write the release notes" in text and "Ship the beta on Friday" in text
    [meeting] = window.store.list_meetings()
    assert meeting.notes["notes"]["action_items"][0]["owner"] == "Dana"
    assert window.store.list_meetings("release notes")  # searchable
    close_window(window)


def test_meeting_survives_a_restart(qtbot, fake_model):
    window, page = _page(qtbot, FakeEngine([json.dumps(NOTES)], n_ctx=4096), fake_model)
    page.transcript_edit.setPlainText("Dana: we ship Friday.")
    page.summarize()
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    close_window(window)
    window.store.close()
    window2, page2 = _page(qtbot, FakeEngine(), None, Store())
    assert page2.meeting_list.count() == 1
    page2.open_meeting(int(page2.meeting_list.item(0).data(256)))
    assert "Write the release notes" in page2.notes_view.toPlainText()
    assert page2.transcript_edit.toPlainText() == "Dana: we ship Friday."
    close_window(window2)


def test_open_vtt_keeps_speakers_and_timestamps(qtbot, fake_model):
    vtt = next(DATA.glob("*.vtt"), None) or next(DATA.glob("*.srt"))
    window, page = _page(qtbot, FakeEngine(), fake_model)
    assert page.open_file(str(vtt))
    text = page.transcript_edit.toPlainText()
    assert text.startswith("[00:00:") and ":" in text.splitlines()[0][11:]
    assert not page.open_file(str(DATA.parent / "calendars" / "work-weekly.ics"))
    assert "not a supported transcript" in page.status.text()
    close_window(window)


def test_proposed_event_needs_the_dialog_click(qtbot, fake_model):
    window, page = _page(qtbot, FakeEngine([json.dumps(NOTES)], n_ctx=4096), fake_model)
    page.transcript_edit.setPlainText("Dana: let's review the launch on 2026-12-08T15:00.")
    page.summarize()
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    assert page.proposals.count() == 2  # one event, one task
    dialog = page.propose_event(page.notes.proposed_events[0])
    calendar = LocalCalendar(zone=local_zone())
    assert calendar.path.exists() is False or not calendar.list_events(*_december())
    with qtbot.waitSignal(dialog.card.decided, timeout=60_000):
        dialog.card.add_button.click()
    [event] = LocalCalendar(zone=local_zone()).list_events(*_december())
    assert event.title == "Launch review"
    close_window(window)


def _december():
    from datetime import datetime

    zone = local_zone()
    return datetime(2026, 12, 1, tzinfo=zone), datetime(2026, 12, 31, tzinfo=zone)


def test_live_mode_updates_notes_while_text_arrives(qtbot, fake_model):
    calls = []

    def reply(messages, params):
        calls.append(messages[-1]["content"])
        notes = dict(NOTES, commitments=[{"owner": "", "task": f"Task {len(calls)}", "due": ""}], sessions=[])
        return json.dumps(notes)

    window, page = _page(qtbot, FakeEngine(reply, n_ctx=4096), fake_model)
    feed = page.start_live()
    for _ in range(4):
        page.feed_live("Dana: " + "we talked about the plan " * 80)
        qtbot.wait(150)
    qtbot.waitUntil(lambda: page.notes is not None, timeout=60_000)  # notes before the meeting ends
    page.end_live()
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    assert feed.closed.is_set() and len(calls) >= 2
    assert [item.task for item in page.notes.action_items][:1] == ["Task 1"]  # early items kept
    close_window(window)
