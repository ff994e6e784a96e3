"""The calendar tool calls of one reply, run on their own thread.

Reading a CalDAV calendar can take as long as the server's timeout; on the GUI thread
that would freeze the window. Nothing here writes: create_* calls come back as drafts
for the confirmation card.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QThread, Signal

from assistant.core.calendars import CalendarError, open_calendar
from assistant.core.tools import ToolCall, run_tool_call


class ToolCallJob(QThread):
    """Opens the chosen calendar and runs each call; ``done`` carries [ToolOutcome] or an error message."""

    done = Signal(object)

    def __init__(self, calls: list[ToolCall], calendar_name: str, zone: ZoneInfo, now: datetime, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.calls, self.calendar_name, self.zone, self.now = calls, calendar_name, zone, now

    def run(self) -> None:
        try:
            calendar = open_calendar(self.calendar_name, zone=self.zone)
            outcomes = [run_tool_call(call, calendar, now=self.now, zone=self.zone.key) for call in self.calls]
        except CalendarError as exc:
            self.done.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported in the chat, never lost on a thread
            self.done.emit(f"The calendar could not be read ({type(exc).__name__}: {exc}).")
        else:
            self.done.emit(outcomes)
