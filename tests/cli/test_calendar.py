"""`llama-desk calendar ...` end to end through the real argument parser."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta

import icalendar
import pytest

from assistant.cli import main
from assistant.core.calendars.accounts import accounts_path
from assistant.core.calendars.local import local_calendar_path
from assistant.core.paths import KEYRING_SERVICE
from tests.support import TEST_DATA
from tests.support.memory_keyring import MemoryKeyring

DATA = TEST_DATA / "calendars"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["calendar", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "calendar", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for action in ("list", "add", "import", "account"):
        assert action in result.stdout


def test_add_then_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "add",
        "--title",
        "Dentist",
        "--start",
        "2030-05-06T14:00",
        "--end",
        "2030-05-06T14:45",
        "--timezone",
        "Europe/Berlin",
    )
    assert code == 0 and "Added 'Dentist'" in out
    parsed = icalendar.Calendar.from_ical(local_calendar_path().read_bytes())
    assert [str(e["summary"]) for e in parsed.walk("VEVENT")] == ["Dentist"]

    code, out, _ = run(capsys, "list", "--from", "2030-05-06T00:00", "--to", "2030-05-07T00:00", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["calendar"] == "local"
    [event] = data["events"]
    assert event["title"] == "Dentist"
    assert datetime.fromisoformat(event["end"]) - datetime.fromisoformat(event["start"]) == timedelta(minutes=45)

    code, out, _ = run(capsys, "list", "--from", "2030-05-06T00:00", "--to", "2030-05-07T00:00")
    assert code == 0 and "Dentist" in out


def test_duplicates_are_refused_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("add", "--title", "Standup", "--start", "2030-05-06T09:00")
    assert run(capsys, *args)[0] == 0
    code, _, err = run(capsys, *args)
    assert code == 1 and "already in 'local'" in err
    assert run(capsys, *args, "--allow-duplicate")[0] == 0
    parsed = icalendar.Calendar.from_ical(local_calendar_path().read_bytes())
    assert len(list(parsed.walk("VEVENT"))) == 2


def test_overlap_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", "--title", "A", "--start", "2030-05-06T09:00", "--end", "2030-05-06T10:00")
    code, _, err = run(capsys, "add", "--title", "B", "--start", "2030-05-06T09:30")
    assert code == 0 and "Overlaps 'A' (09:00-10:00" in err


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2030-02-30T10:00", None, "not a real date"),
        ("2030-05-06T10:00", "2030-05-06T09:00", "is not after the start"),
        ("next week", None, "Which day"),
        ("2020-01-01T10:00", None, "in the past"),
    ],
)
def test_bad_input_writes_nothing(
    capsys: pytest.CaptureFixture[str], start: str, end: str | None, message: str
) -> None:
    argv = ["add", "--title", "X", "--start", start] + (["--end", end] if end else [])
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err and "not added" in err
    assert not local_calendar_path().exists()


def test_import_and_list_imported(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "import", str(DATA / "work-weekly.ics"), "--name", "work")
    assert code == 0 and "'work'" in out
    code, out, _ = run(
        capsys, "list", "--calendar", "work", "--from", "2026-12-01T00:00", "--to", "2026-12-31T00:00", "--json"
    )
    assert code == 0
    titles = [e["title"] for e in json.loads(out)["events"]]
    assert titles.count("Team meeting") == 4  # Mondays 7, 14, 21, 28 December
    assert "Dentist" in titles
    code, _, err = run(capsys, "add", "--title", "X", "--start", "2030-01-01T10:00", "--calendar", "work")
    assert code == 1 and "read-only" in err


def test_import_bad_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", str(DATA / "broken.ics"))
    assert code == 1 and "not a valid calendar" in err


def test_unknown_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list", "--calendar", "nope")
    assert code == 1 and "no calendar called 'nope'" in err and "local" in err


def test_account_add_checks_server_and_stores_password_in_keyring(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, radicale: str, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("secret\n"))
    code, out, err = run(
        capsys, "account", "add", "office", radicale, "--user", "alice", "--password-stdin", "--calendar", "Work"
    )
    assert code == 0, err
    assert "keyring" in out and "Work" in out
    assert "secret" not in accounts_path().read_text()
    assert memory_keyring.secrets[(KEYRING_SERVICE, "caldav:office:alice")] == "secret"

    code, out, err = run(
        capsys, "add", "--title", "Remote review", "--start", "2030-05-06T11:00", "--calendar", "office"
    )
    assert code == 0, err
    code, out, _ = run(
        capsys, "list", "--calendar", "office", "--from", "2030-05-06T00:00", "--to", "2030-05-07T00:00", "--json"
    )
    assert [e["title"] for e in json.loads(out)["events"]] == ["Remote review"]
    from assistant.core.calendars import open_calendar

    remote = open_calendar("office")
    assert remote.delete(json.loads(out)["events"][0]["uid"])

    code, out, _ = run(capsys, "account", "list")
    assert code == 0 and "office" in out and "secret" not in out
    code, out, _ = run(capsys, "account", "remove", "office")
    assert code == 0 and memory_keyring.secrets == {}
    code, _, err = run(capsys, "list", "--calendar", "office")
    assert code == 1 and "no calendar called 'office'" in err


def test_account_add_wrong_password_saves_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, radicale: str, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("nope\n"))
    code, _, err = run(capsys, "account", "add", "office", radicale, "--user", "alice", "--password-stdin")
    assert code == 1 and "password" in err
    assert not accounts_path().exists() and memory_keyring.secrets == {}


def test_account_add_refuses_plain_http(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("secret\n"))
    code, _, err = run(
        capsys, "account", "add", "cloud", "http://cloud.example.com/dav", "--user", "alice", "--password-stdin"
    )
    assert code == 1 and "https://" in err
    assert memory_keyring.secrets == {}
