"""The Calendar backend interface and the errors every backend raises."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

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
