"""Calendars opened by the app are closed when it exits (no CalDAV connection left open)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from assistant.core.calendars import close_calendars, open_calendar
from assistant.core.calendars.accounts import CalDAVAccount, save_account
from assistant.core.dates import local_zone

pytestmark = pytest.mark.server


def test_close_calendars_closes_every_caldav_calendar_still_in_use(radicale: str) -> None:
    save_account(CalDAVAccount("office", radicale, "alice", "Work"), "secret")
    calendar = open_calendar("office")
    now = datetime.now(local_zone())
    calendar.list_events(now, now + timedelta(days=1))  # connects
    assert calendar._client is not None
    close_calendars()
    assert calendar._client is None
    close_calendars()  # nothing left: a second call does nothing
