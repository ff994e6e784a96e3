"""Calendar work on threads of its own, so a slow CalDAV server never freezes the window.

Reading or writing a CalDAV calendar can take as long as the server's timeout (20 s).
Every such call from the UI is a :class:`CalendarCall`, a :class:`~assistant.ui.jobs.Job`
whose ``done`` brings the result, or a readable message, back to the GUI thread. The job
registry keeps a call alive until it ends, so closing the widget that started it never
destroys a running thread; the main window waits for all jobs before the app exits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.core.calendars import CalendarError, conflict_calendars, open_calendar
from assistant.core.chat import ToolCall, ToolOutcome, run_tool_call
from assistant.ui import jobs


class CalendarCall(jobs.Job):
    """Runs ``function()`` once; ``done(result, error)`` with ``error`` "" on success."""

    def __init__(self, function: Callable[[], object]) -> None:
        super().__init__(lambda _job: function(), name="calendar")

    def describe_error(self, exc: BaseException) -> str:
        if isinstance(exc, CalendarError):
            return str(exc)
        return f"The calendar could not be used ({type(exc).__name__}: {exc})."


class CalendarCalls:
    """The calls one widget started; an answer counts only while its call is still wanted."""

    def __init__(self) -> None:
        self.running: list[CalendarCall] = []

    def start(self, function: Callable[[], object], on_done: Callable[[CalendarCall, object, str], None]) -> CalendarCall:
        """Run ``function`` on a thread; ``on_done(call, result, error)`` on the GUI thread when it ends."""
        return self.run(CalendarCall(function), on_done)

    def run(self, call: CalendarCall, on_done: Callable[[CalendarCall, object, str], None]) -> CalendarCall:
        """Start ``call`` (a CalendarCall not yet started), as :meth:`start` does."""
        call.done.connect(lambda result, error, call=call: on_done(call, result, error))
        self.running.append(call)
        call.start()
        return call

    def finished(self, call: CalendarCall) -> bool:
        """Forget ``call``; False when the owner dropped it meanwhile and its answer is not wanted."""
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


def wait_for_all() -> None:
    """Every job still running, calendar calls included (kept for callers from before the job registry)."""
    jobs.wait_all()


def _run_calls(calls: list[ToolCall], calendar_name: str, zone: ZoneInfo, now: datetime) -> list[ToolOutcome]:
    calendar = open_calendar(calendar_name, zone=zone)
    others = conflict_calendars(calendar, zone)
    return [run_tool_call(call, calendar, now=now, zone=zone.key, others=others) for call in calls]


class ToolCallJob(CalendarCall):
    """The tool calls of one chat reply. Nothing here writes: create_* calls come back as drafts."""

    def __init__(self, calls: list[ToolCall], calendar_name: str, zone: ZoneInfo, now: datetime) -> None:
        super().__init__(lambda: _run_calls(calls, calendar_name, zone, now))
        self.calls = calls
