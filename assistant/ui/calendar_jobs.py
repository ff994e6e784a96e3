"""Calendar work on threads of its own, so a slow CalDAV server never freezes the window.

Reading or writing a CalDAV calendar can take as long as the server's timeout (20 s).
Every such call from the UI runs in a :class:`CalendarCall`; its ``done`` signal brings
the result, or a readable message, back to the GUI thread. Owners wait for their
running calls before they close.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QThread, Signal

from assistant.core.calendars import CalendarError, open_calendar
from assistant.core.tools import ToolCall, ToolOutcome, run_tool_call


class CalendarCall(QThread):
    """Runs ``function()`` once; ``done(result, error)`` with ``error`` "" on success."""

    done = Signal(object, str)

    def __init__(self, function: Callable[[], object], parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.function = function

    def run(self) -> None:
        try:
            result = self.function()
        except CalendarError as exc:
            self.done.emit(None, str(exc))
        except Exception as exc:  # noqa: BLE001 - reported to the user, never lost on a thread
            self.done.emit(None, f"The calendar could not be used ({type(exc).__name__}: {exc}).")
        else:
            self.done.emit(result, "")


def _run_calls(calls: list[ToolCall], calendar_name: str, zone: ZoneInfo, now: datetime) -> list[ToolOutcome]:
    calendar = open_calendar(calendar_name, zone=zone)
    return [run_tool_call(call, calendar, now=now, zone=zone.key) for call in calls]


class ToolCallJob(CalendarCall):
    """The tool calls of one chat reply. Nothing here writes: create_* calls come back as drafts."""

    def __init__(self, calls: list[ToolCall], calendar_name: str, zone: ZoneInfo, now: datetime, parent=None) -> None:  # noqa: ANN001
        super().__init__(lambda: _run_calls(calls, calendar_name, zone, now), parent)
        self.calls = calls
