"""The Calendar backend interface and the errors every backend raises."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import datetime
from pathlib import Path

from assistant.core.calendars.events import CalendarEvent, CalendarTask


class CalendarError(Exception):
    """A calendar could not be read or written; the message is meant for the user."""


class CalendarAuthError(CalendarError):
    """The server refused the user name or password."""


class CalendarUnreachableError(CalendarError):
    """The server could not be reached (offline, wrong address, TLS problem)."""


class CalendarReadOnlyError(CalendarError):
    """The calendar cannot be written to."""


class CalendarNotFoundError(CalendarError):
    """No calendar or account with that name."""


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def check_calendar_name(name: str, what: str = "Calendar") -> None:
    """Names become file names: 1-40 letters, digits, '-', '_' or '.', starting with a letter or digit."""
    if not _NAME.match(name) or name == "local":
        raise CalendarError(
            f"{what} names use 1 to 40 letters, digits, '-', '_' or '.', starting with a letter or digit, "
            f"and 'local' is taken ('{name[:60]}' is not allowed)."
        )


def disk_error(exc: OSError, action: str, path: Path | str | None = None) -> CalendarError:
    """A CalendarError saying in words what the disk refused (full, read-only, not a folder)."""
    where = path or exc.filename or ""
    reason = exc.strerror or str(exc)
    return CalendarError(f"Could not {action}{f' ({where})' if where else ''}: {reason}. Nothing was changed.")


class Calendar(ABC):
    """A place events live: the built-in file, an imported file, or a CalDAV calendar."""

    name: str = ""
    read_only: bool = False

    @abstractmethod
    def list_events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        """Events (recurring ones expanded) overlapping [start, end), sorted by start."""

    @abstractmethod
    def add_event(self, event: CalendarEvent) -> CalendarEvent:
        """Store the event; raises CalendarReadOnlyError for read-only calendars."""

    @abstractmethod
    def add_task(self, task: CalendarTask) -> CalendarTask:
        """Store a to-do item."""

    @abstractmethod
    def delete(self, uid: str) -> bool:
        """Remove the event or task with this UID; False if there was none."""

    def close(self) -> None:  # noqa: B027 - optional for backends without connections
        """Release connections, if any."""

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise CalendarReadOnlyError(
                f"The calendar '{self.name}' is read-only. Choose another calendar, such as 'local'."
            )
