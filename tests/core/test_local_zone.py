"""local_zone() on each OS, with that OS's inputs faked: $TZ, tzlocal's answer, the /etc/localtime symlink."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import tzlocal
from tzlocal import windows_tz

from assistant.core import dates


@pytest.fixture
def no_tz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("TZ", raising=False)
    missing = tmp_path / "localtime"  # no /etc/localtime, as on Windows
    monkeypatch.setattr(dates, "LOCALTIME", missing)
    return missing


def test_windows_zone_comes_from_the_os(monkeypatch: pytest.MonkeyPatch, no_tz: Path) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    # tzlocal reads TimeZoneKeyName from the registry and maps it with this table
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: windows_tz.win_tz["W. Europe Standard Time"])
    assert dates.local_zone().key == "Europe/Berlin"


def test_windows_mapping_covers_common_zones() -> None:
    assert windows_tz.win_tz["Pacific Standard Time"] == "America/Los_Angeles"
    assert windows_tz.win_tz["Tokyo Standard Time"] == "Asia/Tokyo"


def test_macos_symlink_is_used_when_tzlocal_fails(monkeypatch: pytest.MonkeyPatch, no_tz: Path, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")

    def broken() -> str:
        raise LookupError("no zone")

    monkeypatch.setattr(tzlocal, "get_localzone_name", broken)
    target = tmp_path / "var/db/timezone/zoneinfo/America/New_York"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"TZif")
    no_tz.symlink_to(target)
    assert dates.local_zone().key == "America/New_York"


def test_linux_localtime_copy_uses_tzlocal(monkeypatch: pytest.MonkeyPatch, no_tz: Path) -> None:
    no_tz.write_bytes(b"TZif")  # a copy, not a symlink: the old code fell back to UTC here
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Europe/Paris")
    assert dates.local_zone().key == "Europe/Paris"


def test_tz_variable_overrides_the_os(monkeypatch: pytest.MonkeyPatch, no_tz: Path) -> None:
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Europe/Paris")
    monkeypatch.setenv("TZ", ":Asia/Tokyo")
    assert dates.local_zone().key == "Asia/Tokyo"


def test_unknown_everywhere_is_utc(monkeypatch: pytest.MonkeyPatch, no_tz: Path) -> None:
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: None)
    assert dates.local_zone().key == "UTC"
