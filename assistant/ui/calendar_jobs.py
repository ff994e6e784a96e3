"""Calendar work on threads of its own, so a slow CalDAV server never freezes the window.

Reading or writing a CalDAV calendar can take as long as the server's timeout (20 s).
Every such call from the UI runs in a :class:`CalendarCall`; its ``done`` signal brings
the result, or a readable message, back to the GUI thread. A call has no Qt parent
and is kept alive here until it ends, so closing the widget that started it never
destroys a running thread; the main window waits for all of them before the app exits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QThread, Signal

from assistant.core.calendars import CalendarError, conflict_calendars, open_calendar
from assistant.core.chat import ToolCall, ToolOutcome, run_tool_call


class CalendarCall(QThread):
    """Runs ``function()`` once; ``done(result, error)`` with ``error`` "" on success."""

    done = Signal(object, str)

    def __init__(self, function: Callable[[], object]) -> None:
        super().__init__()
        self.function = function

    def run(self) -> None:
        try:
            result = self.function()
        except CalendarError as exc:
            self.done.emit(None, str(exc))
        except Exception as exc:
            self.done.emit(None, f"The calendar could not be used ({type(exc).__name__}: {exc}).")
        else:
            self.done.emit(result, "")


_ALIVE: set[CalendarCall] = set()  # every call still running, whoever started it


def _ended(call: CalendarCall) -> None:
    call.wait()
    _ALIVE.discard(call)


def wait_for_all() -> None:
    """Before the app exits: wait for every call still running (at most the server's timeout)."""
    for call in list(_ALIVE):
        call.wait()


class CalendarCalls:
    """The calls one widget started: reaped when they answer, dropped by ``wait_all`` on close."""

    def __init__(self) -> None:
        self.running: list[CalendarCall] = []

    def start(self, function: Callable[[], object], on_done: Callable[[CalendarCall, object, str], None]) -> CalendarCall:
        """Run ``function`` on a thread; ``on_done(call, result, error)`` on the GUI thread when it ends."""
        return self.run(CalendarCall(function), on_done)

    def run(self, call: CalendarCall, on_done: Callable[[CalendarCall, object, str], None]) -> CalendarCall:
        """Start ``call`` (a CalendarCall not yet started), as :meth:`start` does."""
        _ALIVE.add(call)
        call.done.connect(lambda result, error, call=call: on_done(call, result, error))  # before start: never missed
        call.finished.connect(lambda call=call: _ended(call))
        self.running.append(call)
        call.start()
        return call

    def finished(self, call: CalendarCall) -> bool:
        """Reap ``call``; False when the owner was shut down meanwhile and its answer is not wanted."""
        call.wait()
        if call not in self.running:
            return False
        self.running.remove(call)
        return True

    def drop(self, call: CalendarCall) -> None:
        """The owner no longer wants this call's answer (it still runs to its end)."""
        if call in self.running:
            self.running.remove(call)

    def wait_all(self) -> None:
        """Wait for every running call (at most the server's timeout); their answers are then dropped."""
        for call in self.running:
            call.wait()
        self.running.clear()


def _run_calls(calls: list[ToolCall], calendar_name: str, zone: ZoneInfo, now: datetime) -> list[ToolOutcome]:
    calendar = open_calendar(calendar_name, zone=zone)
    others = conflict_calendars(calendar, zone)
    return [run_tool_call(call, calendar, now=now, zone=zone.key, others=others) for call in calls]


class ToolCallJob(CalendarCall):
    """The tool calls of one chat reply. Nothing here writes: create_* calls come back as drafts."""

    def __init__(self, calls: list[ToolCall], calendar_name: str, zone: ZoneInfo, now: datetime) -> None:
        super().__init__(lambda: _run_calls(calls, calendar_name, zone, now))
        self.calls = calls
