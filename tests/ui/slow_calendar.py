"""A calendar that answers reads only when a test lets it, as a slow CalDAV server would."""

from __future__ import annotations

import threading

from assistant.core.calendars import LocalCalendar, local_zone


class SlowCalendar(LocalCalendar):
    def __init__(self, release: threading.Event) -> None:
        super().__init__(zone=local_zone())
        self.release = release

    def list_events(self, start, end):
        assert self.release.wait(60)
        return super().list_events(start, end)
