"""Calendars for Llama Desk: the built-in .ics file, imported files, CalDAV accounts.

Modules: ``events`` (data, conflicts, free slots), ``base`` (interface, errors),
``local`` (.ics files, import/export), ``accounts`` (settings + keyring),
``caldav_backend`` (CalDAV), ``drafts`` (proposals the user confirms, ``write_event``).
"""

from __future__ import annotations

import threading
import weakref
from zoneinfo import ZoneInfo

from assistant.core.calendars.accounts import CalDAVAccount, load_accounts
from assistant.core.calendars.base import (
    Calendar,
    CalendarAuthError,
    CalendarError,
    CalendarNotFoundError,
    CalendarReadOnlyError,
    CalendarUnreachableError,
)
from assistant.core.calendars.drafts import (
    DraftNotReadyError,
    EventDraft,
    Problem,
    TaskDraft,
    write_event,
)
from assistant.core.calendars.events import (
    CalendarEvent,
    CalendarTask,
    find_conflicts,
    find_duplicates,
    free_slots,
)
from assistant.core.calendars.local import (
    LOCAL_NAME,
    ImportedCalendar,
    LocalCalendar,
    export_event_ics,
    import_ics,
    imported_calendars,
)
from assistant.core.dates import local_zone  # re-exported: calendars are read in the computer's zone


def calendar_names() -> list[str]:
    """'local', then CalDAV accounts, then imported (read-only) calendars."""
    return [LOCAL_NAME, *load_accounts(), *(c.name for c in imported_calendars())]


def conflict_calendars(target: Calendar | str, zone: ZoneInfo | None = None) -> list[Calendar]:
    """The imported calendars other than ``target``: every conflict check looks at them too."""
    name = target if isinstance(target, str) else target.name
    return [c for c in imported_calendars(zone) if c.name != name]


_OPENED: weakref.WeakSet[Calendar] = weakref.WeakSet()  # CalDAV calendars still in use somewhere
_OPENED_LOCK = threading.Lock()


def close_calendars() -> None:
    """Close every CalDAV calendar :func:`open_calendar` made that is still in use (the app calls this at exit)."""
    with _OPENED_LOCK:
        opened = list(_OPENED)
        _OPENED.clear()
    for calendar in opened:
        calendar.close()


def open_calendar(name: str = LOCAL_NAME, *, zone: ZoneInfo | None = None) -> Calendar:
    """The calendar called ``name``; raises CalendarNotFoundError listing the known names."""
    if name == LOCAL_NAME:
        return LocalCalendar(zone=zone)
    accounts = load_accounts()
    if name in accounts:
        from assistant.core.calendars.caldav_backend import CalDAVCalendar

        calendar = CalDAVCalendar(accounts[name], zone=zone)
        with _OPENED_LOCK:
            _OPENED.add(calendar)
        return calendar
    for imported in imported_calendars(zone):
        if imported.name == name:
            return imported
    raise CalendarNotFoundError(
        f"There is no calendar called '{name}'. Known calendars: {', '.join(calendar_names())}."
    )


__all__ = [
    "LOCAL_NAME",
    "CalDAVAccount",
    "Calendar",
    "CalendarAuthError",
    "CalendarError",
    "CalendarEvent",
    "CalendarNotFoundError",
    "CalendarReadOnlyError",
    "CalendarTask",
    "CalendarUnreachableError",
    "DraftNotReadyError",
    "EventDraft",
    "ImportedCalendar",
    "LocalCalendar",
    "Problem",
    "TaskDraft",
    "calendar_names",
    "close_calendars",
    "conflict_calendars",
    "export_event_ics",
    "find_conflicts",
    "find_duplicates",
    "free_slots",
    "import_ics",
    "local_zone",
    "open_calendar",
    "write_event",
]
