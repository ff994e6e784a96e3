"""The Calendar page and chat proposals landing in local and CalDAV calendars."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from assistant.core.calendars import CalendarEvent, LocalCalendar, local_zone, open_calendar
from assistant.core.engines.fake import FakeEngine
from assistant.core.settings import CHAT_CALENDAR as CALENDAR_SETTING
from assistant.core.store import Store
from assistant.ui.calendar_page import CalendarPage
from tests.support import TEST_DATA
from tests.support.ui_helpers import close_window, open_window, send_and_wait

DATA = TEST_DATA / "calendars"


def _page(qtbot) -> CalendarPage:
    page = CalendarPage(Store())
    qtbot.addWidget(page)
    return page


def test_agenda_lists_upcoming_local_events_by_day(qtbot):
    zone = local_zone()
    start = datetime.now(zone).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    LocalCalendar(zone=zone).add_event(CalendarEvent(title="Dentist", start=start, end=start + timedelta(hours=1), location="Main St"))
    page = _page(qtbot)
    with qtbot.waitSignal(page.agendaShown, timeout=60_000) as shown:
        page.refresh()
    assert shown.args == [1] and page.agenda_status.text() == "1 event in the next 14 days."
    texts = [page.agenda.item(i).text() for i in range(page.agenda.count())]
    assert texts[0] == start.strftime("%A %d %B")
    assert "10:00–11:00   Dentist · Main St" in texts[1]


class _SlowServer:
    """A calendar that answers only once ``release`` is set, as a slow CalDAV server would."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def list_events(self, start, end) -> list:
        assert self.release.wait(60)
        return []


def test_a_slow_calendar_server_never_freezes_the_page(qtbot, monkeypatch):
    from assistant.ui import calendar_page

    release = threading.Event()
    monkeypatch.setattr(calendar_page, "open_calendar", lambda name, zone: _SlowServer(release))
    page = _page(qtbot)  # already reading, on a thread
    assert page.agenda_status.text() == "Reading the calendar…"
    shown: list[int] = []
    page.agendaShown.connect(shown.append)
    page.days_box.setValue(30)  # a newer read: the older answer will be dropped
    qtbot.wait(100)  # the window's event loop runs while the server says nothing
    release.set()
    qtbot.waitUntil(lambda: shown == [0], timeout=60_000)
    qtbot.wait(100)
    assert shown == [0] and page.agenda_status.text() == "Nothing planned." and page.calls.running == []


def test_closing_the_page_waits_for_a_pending_read(qtbot, monkeypatch):
    from assistant.ui import calendar_page

    release = threading.Event()
    monkeypatch.setattr(calendar_page, "open_calendar", lambda name, zone: _SlowServer(release))
    page = _page(qtbot)
    [call] = page.calls.running
    threading.Timer(0.3, release.set).start()
    page.close()
    assert not call.isRunning() and page.calls.running == []


def test_importing_an_ics_file_adds_a_read_only_calendar(qtbot):
    page = _page(qtbot)
    assert page.import_file(str(DATA / "work-weekly.ics"))
    assert page.calendar_box.count() == 2 and page.calendar_box.currentText() != "local"
    assert not page.import_file(str(DATA / "broken.ics"))
    assert "Could not import" in page.status.text()


def test_caldav_account_with_wrong_password_is_not_added(qtbot, radicale, memory_keyring):
    page = _page(qtbot)
    with qtbot.waitSignal(page.accountChecked, timeout=60_000) as checked:
        page.add_account("work", radicale, "alice", "wrong")
    assert checked.args == [False] and "not added" in page.status.text()
    assert [page.calendar_box.itemText(i) for i in range(page.calendar_box.count())] == ["local"]
    assert memory_keyring.secrets == {}


def test_chat_proposal_lands_in_a_caldav_calendar_after_the_click(qtbot, radicale, memory_keyring, tmp_path):
    page = _page(qtbot)
    with qtbot.waitSignal(page.accountChecked, timeout=60_000) as checked:
        page.add_account("team", radicale, "alice", "secret")
    assert checked.args == [True], page.status.text()
    page.use_button.click()
    assert page.store.get_setting(CALENDAR_SETTING) == "team"
    call = json.dumps({"name": "create_calendar_event", "parameters": {"title": "Budget review", "start": "tomorrow at 2pm", "duration_minutes": 45}})
    model = tmp_path / "m.gguf"
    model.write_text("x")
    window = open_window(qtbot, FakeEngine([call, "Added."]), str(model), page.store)
    send_and_wait(qtbot, window, "Put a budget review tomorrow at 2pm in my team calendar")
    [card] = window.pending_cards.values()
    assert card.calendar_box.currentText() == "team"
    zone = local_zone()
    now = datetime.now(zone)
    remote = open_calendar("team", zone=zone)
    assert [e.title for e in remote.list_events(now, now + timedelta(days=3))].count("Budget review") == 0
    card.add_button.click()
    qtbot.waitUntil(lambda: window.request is None and not window.pending_cards, timeout=60_000)
    events = remote.list_events(now, now + timedelta(days=3))
    [event] = [e for e in events if e.title == "Budget review"]
    assert event.start.astimezone(zone).hour == 14 and event.end - event.start == timedelta(minutes=45)
    for e in events:
        if e.title == "Budget review":
            remote.delete(e.uid)
    close_window(window)
