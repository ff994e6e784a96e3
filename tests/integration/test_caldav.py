"""CalDAV against a real Radicale server started on 127.0.0.1 with a temporary storage folder."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.core.calendars import (
    CalDAVAccount,
    CalendarAuthError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarReadOnlyError,
    CalendarTask,
    CalendarUnreachableError,
    EventDraft,
    open_calendar,
    write_event,
)
from assistant.core.calendars.accounts import (
    accounts_path,
    save_account,
)
from assistant.core.calendars.caldav_backend import CalDAVCalendar
from assistant.core.chat import ToolCall, run_tool_call
from assistant.core.paths import KEYRING_SERVICE

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 27, 11, 25, tzinfo=BERLIN)

from tests.support.memory_keyring import MemoryKeyring
from tests.support.processes import free_port, stop_process, wait_for_port
from tests.support.radicale_server import start_radicale
from tests.support.tls import self_signed_certificate

pytestmark = pytest.mark.server


def _work(url: str, password: str = "secret") -> CalDAVCalendar:
    return CalDAVCalendar(CalDAVAccount("office", url, "alice", "Work"), password, zone=BERLIN, timeout=10)


def test_discover_create_list_conflict_delete(radicale: str) -> None:
    calendar = _work(radicale)
    assert set(calendar.discover()) >= {"Work", "Board (read-only)"}
    assert calendar.selected_calendar() == "Work"
    assert calendar.read_only is False

    draft = EventDraft(
        title="Follow-up with Dana",
        start_text="next Tuesday at 3pm",
        timezone="Europe/Berlin",
        now=NOW,
        calendar="office",
    ).resolve()
    written = write_event(calendar, draft.confirm())
    events = calendar.list_events(datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2026, 12, 2, tzinfo=BERLIN))
    assert [(e.title, e.start, e.uid) for e in events] == [
        ("Follow-up with Dana", datetime(2026, 12, 1, 15, tzinfo=BERLIN), written.uid)
    ]

    clash = EventDraft(
        title="Follow-up with Dana", start_text="2026-12-01T15:30", timezone="Europe/Berlin", now=NOW
    ).resolve()
    clash.check_calendar(calendar)
    assert [c.title for c in clash.conflicts] == ["Follow-up with Dana"] and not clash.duplicates
    same = EventDraft(
        title="follow-up with dana", start_text="2026-12-01T15:00", timezone="Europe/Berlin", now=NOW
    ).resolve()
    assert same.check_calendar(calendar).duplicates

    outcome = run_tool_call(
        ToolCall("list_calendar_events", {"start": "next Tuesday"}), calendar, now=NOW, zone="Europe/Berlin"
    )
    assert [e["title"] for e in outcome.result["events"]] == ["Follow-up with Dana"]

    assert calendar.delete(written.uid) is True
    calendar.close()  # reconnects on the next call
    assert calendar.delete(written.uid) is False
    assert calendar.list_events(datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2026, 12, 2, tzinfo=BERLIN)) == []


def test_recurring_event_and_task_on_server(radicale: str) -> None:
    calendar = _work(radicale)
    weekly = CalendarEvent(
        "Weekly sync", datetime(2026, 12, 7, 10, tzinfo=BERLIN), datetime(2026, 12, 7, 10, 30, tzinfo=BERLIN)
    )
    component = weekly.to_component()
    component.add("rrule", {"freq": "weekly", "count": 3})
    calendar._put(component)
    try:
        events = calendar.list_events(datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2027, 1, 31, tzinfo=BERLIN))
        assert [e.start.day for e in events if e.title == "Weekly sync"] == [7, 14, 21]
        task = calendar.add_task(CalendarTask("Send slides", due=datetime(2026, 12, 4, 17, tzinfo=BERLIN)))
        assert calendar.delete(task.uid) is True
    finally:
        calendar.delete(weekly.uid)


def test_wrong_password(radicale: str) -> None:
    with pytest.raises(CalendarAuthError, match="refused the user name or password"):
        _work(radicale, password="wrong").discover()


def test_read_only_calendar(radicale: str) -> None:
    calendar = CalDAVCalendar(CalDAVAccount("board", radicale, "alice", "readonly"), "secret", zone=BERLIN, timeout=10)
    events = calendar.list_events(datetime(2026, 12, 2, tzinfo=BERLIN), datetime(2026, 12, 3, tzinfo=BERLIN))
    assert [e.title for e in events] == ["Board meeting"]
    fresh = CalDAVCalendar(CalDAVAccount("board", radicale, "alice", "readonly"), "secret", zone=BERLIN, timeout=10)
    assert fresh.read_only is True  # from the server's privileges, before any write
    draft = EventDraft(title="Sneaky", start_text="2026-12-02T14:00", timezone="Europe/Berlin", now=NOW).resolve()
    with pytest.raises(CalendarReadOnlyError, match="read-only"):
        write_event(calendar, draft.confirm())
    assert calendar.read_only is True
    with pytest.raises(CalendarReadOnlyError):
        calendar.delete("board-meeting@example.com")
    assert [
        e.title
        for e in calendar.list_events(datetime(2026, 12, 2, tzinfo=BERLIN), datetime(2026, 12, 3, tzinfo=BERLIN))
    ] == ["Board meeting"]


def test_unknown_calendar_name(radicale: str) -> None:
    calendar = CalDAVCalendar(CalDAVAccount("x", radicale, "alice", "Holidays"), "secret", timeout=10)
    with pytest.raises(CalendarNotFoundError, match="Calendars found: .*Work"):
        calendar.list_events(NOW, NOW + timedelta(days=1))


def test_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(CalendarUnreachableError, match="Could not reach"):
        CalDAVCalendar(CalDAVAccount("x", url, "alice"), "secret", timeout=5).discover()


@pytest.mark.parametrize("url", ["http://cloud.example.com/dav", "ftp://127.0.0.1/", "not a url"])
def test_https_required_except_loopback(url: str) -> None:
    with pytest.raises(CalendarError):
        CalDAVCalendar(CalDAVAccount("x", url, "alice"), "secret")


def test_account_password_lives_in_keyring_only(radicale: str, memory_keyring: MemoryKeyring) -> None:
    save_account(CalDAVAccount("office", radicale, "alice", "Work"), "secret")
    stored = accounts_path().read_text()
    assert "secret" not in stored
    assert json.loads(stored)["accounts"][0] == {
        "name": "office",
        "url": radicale,
        "username": "alice",
        "calendar": "Work",
    }
    assert memory_keyring.secrets == {(KEYRING_SERVICE, "caldav:office:alice"): "secret"}
    calendar = open_calendar("office", zone=BERLIN)
    assert isinstance(calendar, CalDAVCalendar)
    assert "Work" in calendar.discover()
    memory_keyring.secrets.clear()
    with pytest.raises(CalendarAuthError, match="No password is saved"):
        open_calendar("office").discover()


def test_no_keyring_means_no_account_and_no_plaintext(radicale: str) -> None:
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(CalendarError, match="system keyring"):
            save_account(CalDAVAccount("office", radicale, "alice"), "secret")
    finally:
        keyring.set_keyring(previous)
    assert not accounts_path().exists()


def test_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    """TLS verification stays on: a self-signed https server is not trusted silently."""
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    tls = ("--server-ssl", "--server-certificate", str(cert), "--server-key", str(key))
    process = start_radicale(tmp_path, port, subprocess.DEVNULL, *tls)
    try:
        assert wait_for_port(process, port), "Radicale (TLS) did not start"
        calendar = CalDAVCalendar(CalDAVAccount("x", f"https://127.0.0.1:{port}/", "alice"), "secret", timeout=5)
        with pytest.raises(CalendarUnreachableError, match="certificate could not be verified"):
            calendar.discover()
    finally:
        stop_process(process)
