"""Issue 20, items 11-18: bad names, runaway repeats, bad events, imported calendars in
conflict checks, the user's zone, disk errors, date edges and smaller rough edges."""

from __future__ import annotations

import errno
import io
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.cli import main
from assistant.core.calendars import (
    CalendarError,
    CalendarEvent,
    EventDraft,
    LocalCalendar,
    import_ics,
    open_calendar,
)
from assistant.core.calendars.accounts import accounts_path
from assistant.core.calendars.expansion import MAX_PER_EVENT, MAX_PER_LISTING
from assistant.core.calendars.local import MAX_IMPORT_EVENTS, imported_dir, local_calendar_path
from assistant.core.chat import ToolCall, run_tool_call
from tests.support.memory_keyring import MemoryKeyring

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["calendar", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ics(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip().replace(chr(10), chr(13) + chr(10))}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


EVENT = "UID:one\nSUMMARY:Planning\nDTSTART:20300506T080000Z\nDTEND:20300506T090000Z"


# -- 11: import names ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../calendar", "ABSOLUTE", "a/b", "..", ".hidden", "local", "x" * 41])
def test_import_name_cannot_leave_the_folder_or_replace_the_local_calendar(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    name = str(tmp_path / "evil") if name == "ABSOLUTE" else name
    run(capsys, "add", "--title", "Mine", "--start", "2030-05-06T09:00", "--timezone", "UTC")
    before = local_calendar_path().read_bytes()
    source = write(tmp_path / "in.ics", ics(EVENT))
    code, out, err = run(capsys, "import", str(source), "--name", name)
    assert code == 1 and "Traceback" not in err and "names use" in err
    assert local_calendar_path().read_bytes() == before
    assert list(imported_dir().iterdir()) == []
    assert not (tmp_path / "evil.ics").exists()


# -- 12: recurrence caps ------------------------------------------------------------------


def test_secondly_repeat_is_refused_at_import_quickly(tmp_path: Path) -> None:
    source = write(tmp_path / "flood.ics", ics("UID:f\nSUMMARY:Flood\nDTSTART:20200101T000000Z\nDTEND:20200101T000001Z\nRRULE:FREQ=SECONDLY"))
    started = time.monotonic()
    with pytest.raises(CalendarError, match="'Flood'.*repeats too often"):
        import_ics(source)
    assert time.monotonic() - started < 60  # was 195 s; the check itself does no expansion
    assert list(imported_dir().iterdir()) == []


def test_listing_caps_occurrences_and_says_so(tmp_path: Path) -> None:
    path = write(
        tmp_path / "calendar.ics",
        ics(
            "UID:m\nSUMMARY:Minutely\nDTSTART:20300101T000000Z\nDTEND:20300101T000030Z\nRRULE:FREQ=MINUTELY;COUNT=3000",
            "UID:s\nSUMMARY:Flood\nDTSTART:20200101T000000Z\nDTEND:20200101T000001Z\nRRULE:FREQ=SECONDLY",
            EVENT,
        ),
    )
    events = LocalCalendar(path, zone=UTC).list_events(datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 12, 31, tzinfo=UTC))
    assert sum(e.title == "Minutely" for e in events) == MAX_PER_EVENT
    assert "Planning" in [e.title for e in events]
    assert any("'Minutely' repeats more than 1,000 times" in n for n in events.notices)
    assert any("'Flood'" in n and "repeats too often" in n for n in events.notices)


def test_listing_caps_the_total(tmp_path: Path) -> None:
    series = [
        f"UID:h{i}\nSUMMARY:Hourly {i}\nDTSTART:20300101T000000Z\nDTEND:20300101T000100Z\nRRULE:FREQ=HOURLY;COUNT=900"
        for i in range(7)
    ]
    path = write(tmp_path / "calendar.ics", ics(*series))
    events = LocalCalendar(path, zone=UTC).list_events(datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 3, 1, tzinfo=UTC))
    assert len(events) == MAX_PER_LISTING
    assert any("more than 5,000 events" in n for n in events.notices)


# -- 13: bad events -----------------------------------------------------------------------


def test_import_is_all_or_nothing_and_names_the_bad_event(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = write(tmp_path / "team.ics", ics(EVENT, "UID:bad-1\nSUMMARY:Retro\nDTEND:20300507T090000Z"))
    code, _, err = run(capsys, "import", str(source))
    assert code == 1 and "'Retro' (UID bad-1)" in err and "DTSTART" in err and "Nothing was imported" in err
    assert list(imported_dir().iterdir()) == []


def test_a_bad_event_already_in_a_calendar_is_skipped_with_a_notice(capsys: pytest.CaptureFixture[str]) -> None:
    local_calendar_path().parent.mkdir(parents=True, exist_ok=True)
    write(local_calendar_path(), ics(EVENT, "UID:bad-1\nSUMMARY:Retro\nDTEND:20300507T090000Z"))
    code, out, err = run(capsys, "list", "--from", "2030-05-06T00:00", "--to", "2030-05-08T00:00", "--json")
    assert code == 0, err
    assert [e["title"] for e in json.loads(out)["events"]] == ["Planning"]
    assert "Skipped the event 'Retro' (UID bad-1)" in err and "no start (DTSTART)" in err


# -- 14: imported calendars in conflict checks --------------------------------------------


def test_imported_calendars_are_checked_for_overlaps_by_every_caller(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import_ics(write(tmp_path / "work.ics", ics(EVENT)))
    code, _, err = run(capsys, "add", "--title", "Dentist", "--start", "2030-05-06T08:30Z")
    assert code == 0 and "Overlaps 'Planning'" in err
    from assistant.ui.calendar_jobs import _run_calls

    call = ToolCall("create_calendar_event", {"title": "Gym", "start": "2030-05-06T08:15Z"})
    [outcome] = _run_calls([call], "local", UTC, datetime(2030, 5, 1, tzinfo=UTC))
    assert "Planning" in [e.title for e in outcome.draft.conflicts]


def test_event_card_recheck_uses_imported_calendars(qtbot, tmp_path: Path) -> None:
    from assistant.ui.event_card import EventCard

    import_ics(write(tmp_path / "work.ics", ics(EVENT)))
    draft = EventDraft.from_arguments(
        {"title": "Gym", "start": "2030-05-06T07:00Z"}, now=datetime(2030, 5, 1, tzinfo=UTC), zone="UTC"
    )
    card = EventCard(draft, names=["local"])
    qtbot.addWidget(card)
    card.fields["start_text"].setText("2030-05-06T08:15Z")
    card._on_edited()
    qtbot.waitUntil(lambda: card._check_call is None, timeout=60_000)
    assert [e.title for e in card.draft.conflicts] == ["Planning"]
    card.shutdown() if hasattr(card, "shutdown") else card.calls.wait_all()


# -- 15: the user's zone --------------------------------------------------------------------


def test_list_shows_times_in_the_users_zone_with_its_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    local_calendar_path().parent.mkdir(parents=True, exist_ok=True)
    write(
        local_calendar_path(),
        ics(
            "UID:u\nSUMMARY:From UTC\nDTSTART:20300506T080000Z\nDTEND:20300506T090000Z",
            "UID:n\nSUMMARY:From New York\nDTSTART;TZID=America/New_York:20300506T100000\n"
            "DTEND;TZID=America/New_York:20300506T110000",
        ),
    )
    code, out, err = run(capsys, "list", "--from", "2030-05-06T00:00", "--to", "2030-05-07T00:00")
    assert code == 0, err
    assert "(10:00-11:00 Europe/Berlin)  From UTC" in out
    assert "(16:00-17:00 Europe/Berlin)  From New York" in out


# -- 16: disk and permission errors ------------------------------------------------------


def test_data_folder_that_is_a_file_gives_a_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("LLAMA_DESK_DATA_DIR", str(blocker))
    for argv in (("list",), ("add", "--title", "X", "--start", "2030-05-06T09:00"), ("account", "list")):
        code, _, err = run(capsys, *argv)
        assert code == 1 and err.startswith("Error: Could not") and "Traceback" not in err, err


def test_full_disk_on_add_and_import_is_a_message_and_leaves_no_temp_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    source = write(tmp_path / "work.ics", ics(EVENT))
    monkeypatch.setattr(os, "replace", full)
    code, _, err = run(capsys, "add", "--title", "X", "--start", "2030-05-06T09:00")
    assert code == 1 and "No space left on device" in err
    code, _, err = run(capsys, "import", str(source))
    assert code == 1 and "No space left on device" in err
    leftovers = [p.name for p in local_calendar_path().parent.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_account_add_that_cannot_save_removes_the_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stdin", io.StringIO("secret\n"))
    monkeypatch.setattr(os, "replace", full)
    code, _, err = run(capsys, "account", "add", "office", "https://dav.example.com", "--user", "a", "--password-stdin", "--no-check")
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert memory_keyring.secrets == {}
    assert not accounts_path().exists()
    assert [p.name for p in accounts_path().parent.iterdir() if p.name.startswith(".accounts")] == []


def test_read_only_data_folder_gives_a_message(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:  # what a read-only folder answers (also as root)
        raise PermissionError(errno.EACCES, "Permission denied", str(local_calendar_path().parent))

    monkeypatch.setattr("tempfile.mkstemp", refused)
    code, _, err = run(capsys, "add", "--title", "X", "--start", "2030-05-06T09:00")
    assert code == 1 and "Could not save calendar.ics" in err and "Permission denied" in err


# -- 17: date edges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("add", "--title", "Late", "--start", "9999-12-31T23:30"),
        ("list", "--from", "0001-01-01"),
        ("list", "--from", "2030-01-01", "--to", "9999-12-31"),
    ],
)
def test_dates_at_the_edges_give_a_message(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 1 and "between the years 1900 and 2199" in err


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("create_calendar_event", {"title": "Late", "start": "9999-12-31T23:30"}),
        ("list_calendar_events", {"start": "0001-01-01", "end": "0001-01-02"}),
        ("find_free_slot", {"duration_minutes": 30, "start": "9999-12-30", "end": "9999-12-31"}),
    ],
)
def test_dates_at_the_edges_through_the_chat_tools(name: str, arguments: dict) -> None:
    outcome = run_tool_call(
        ToolCall(name, arguments), open_calendar("local"), now=datetime(2030, 1, 1, tzinfo=UTC), zone="UTC"
    )
    text = json.dumps(outcome.result) + " ".join(outcome.draft.questions if outcome.draft else [])
    assert "between the years 1900 and 2199" in text


# -- 18: smaller ----------------------------------------------------------------------------


def test_only_repeating_events_are_marked_recurring(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import_ics(
        write(
            tmp_path / "mixed.ics",
            ics(EVENT, "UID:w\nSUMMARY:Weekly\nDTSTART:20300506T120000Z\nDTEND:20300506T130000Z\nRRULE:FREQ=WEEKLY"),
        )
    )
    code, out, _ = run(capsys, "list", "--calendar", "mixed", "--from", "2030-05-06T00:00", "--to", "2030-05-07T00:00", "--json")
    flags = {e["title"]: e.get("recurring", False) for e in json.loads(out)["events"]}
    assert flags == {"Planning": False, "Weekly": True}


def test_huge_import_is_refused_before_parsing(tmp_path: Path) -> None:
    events = [f"UID:e{i}\nSUMMARY:E\nDTSTART:20300506T080000Z" for i in range(MAX_IMPORT_EVENTS + 1)]
    source = write(tmp_path / "huge.ics", ics(*events))
    started = time.monotonic()
    with pytest.raises(CalendarError, match="more than 10,000 events"):
        import_ics(source)
    assert time.monotonic() - started < 30


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_writes_keep_the_calendar_file_mode() -> None:
    calendar = LocalCalendar(zone=UTC)
    calendar.add_event(CalendarEvent("A", datetime(2030, 5, 6, 9, tzinfo=UTC), datetime(2030, 5, 6, 10, tzinfo=UTC)))
    local_calendar_path().chmod(0o644)
    calendar.add_event(CalendarEvent("B", datetime(2030, 5, 7, 9, tzinfo=UTC), datetime(2030, 5, 7, 10, tzinfo=UTC)))
    assert local_calendar_path().stat().st_mode & 0o777 == 0o644


def test_control_characters_are_not_written(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "add", "--title", "Bell\x07 and \x1b[31mred", "--start", "2030-05-06T09:00")
    assert code == 0, err
    raw = local_calendar_path().read_bytes()
    assert b"\x07" not in raw and b"\x1b" not in raw and b"Bell and [31mred" in raw


def test_multi_day_events_show_both_dates(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", "--title", "Offsite", "--start", "2030-05-06T10:00", "--end", "2030-05-07T09:00", "--timezone", "UTC")
    code, out, _ = run(capsys, "list", "--from", "2030-05-06T00:00", "--to", "2030-05-08T00:00")
    assert "10:00 - Tue 07 May 2030 09:00" in out


def test_all_day_event_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "add", "--title", "Holiday", "--start", "2030-05-06", "--end", "2030-05-07", "--all-day")
    assert code == 0, err
    code, out, _ = run(capsys, "list", "--from", "2030-05-06T00:00", "--to", "2030-05-09T00:00", "--json")
    [event] = json.loads(out)["events"]
    assert event == {**event, "title": "Holiday", "start": "2030-05-06", "end": "2030-05-08", "all_day": True}


def test_binary_and_utf16_files_on_import(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    binary = tmp_path / "photo.ics"
    binary.write_bytes(bytes(range(256)) * 40)
    code, _, err = run(capsys, "import", str(binary))
    assert code == 1 and "not a calendar (.ics) file" in err and len(err) < 300
    assert all(c.isprintable() or c == "\n" for c in err)
    utf16 = tmp_path / "windows.ics"
    utf16.write_bytes(ics(EVENT).encode("utf-16"))
    code, out, err = run(capsys, "import", str(utf16))
    assert code == 0, err


def test_no_calendars_message_reads_well() -> None:
    from assistant.core.calendars import caldav_backend

    source = Path(caldav_backend.__file__).read_text()
    assert "has no any calendar" not in source and "has {what}" in source


def test_account_name_and_url_are_checked_before_the_password_is_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or "secret")
    code, _, err = run(capsys, "account", "add", "../bad", "https://dav.example.com", "--user", "a")
    assert code == 1 and "names use" in err and asked == []
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    code, _, err = run(capsys, "account", "add", "office", "https://dav.invalid", "--user", "a", "--password-stdin")
    assert code == 1 and "password is empty" in err and memory_keyring.secrets == {}
