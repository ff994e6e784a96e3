"""A live meeting-notes session: text arrives from any thread (pasted steps, the
recorder's transcript), a worker keeps the notes current, and closing the feed
gives the final notes after only the tail is processed.

On the app's model thread the session is background work in step-sized pieces
(:mod:`assistant.core.engines.scheduler`): a chat reply queued meanwhile ends the
running step at its next token or prompt slice; the session copies the model's
cache, lets the reply run, puts the cache back and does the step again from where
its prompt was, so a chat never waits for the meeting to end."""

from __future__ import annotations

import threading
from collections.abc import Callable

from assistant.core.engines.base import Engine
from assistant.core.engines.scheduler import background, doing, give_way, pause, preemptible, urgent_work_waiting
from assistant.core.meetings.notes import MeetingNotes
from assistant.core.meetings.prompts import MeetingContext
from assistant.core.meetings.rolling import LIVE_MAX_LOAD, RollingSummarizer
from assistant.core.meetings.summarizer import SummaryProgress, SummaryResult

#: What the status bar says while a session uses the model.
LIVE_ACTIVITY = "Updating live notes"
FINAL_ACTIVITY = "Writing the final notes"


class LiveFeed:
    """Thread-safe inbox of transcript text for a live session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: list[str] = []
        self.closed = threading.Event()
        self.arrived = threading.Event()

    def put(self, text: str) -> None:
        if text and not self.closed.is_set():
            with self._lock:
                self._parts.append(text)
            self.arrived.set()

    def close(self) -> None:
        """The meeting ended: no more text comes."""
        self.closed.set()
        self.arrived.set()

    def drain(self) -> str:
        with self._lock:
            text, self._parts = "".join(self._parts), []
        self.arrived.clear()
        return text


def run_live_session(
    engine: Engine,
    stop: threading.Event,
    report: Callable[[object], None],
    feed: LiveFeed,
    context: MeetingContext | None = None,
    min_update_tokens: int = 300,
    poll_seconds: float = 0.2,
    max_load: float | None = LIVE_MAX_LOAD,
) -> SummaryResult:
    """Fold text from ``feed`` into notes until it is closed, then finish.

    ``report`` receives the :class:`MeetingNotes` after each update and
    :class:`SummaryProgress` while finishing (both from this thread). ``max_load`` paces the
    steps (see :class:`RollingSummarizer`); None runs a step whenever enough text waits.
    """
    rolling = RollingSummarizer(
        engine, context, min_update_tokens=min_update_tokens, on_update=report, max_load=max_load
    )
    with background(LIVE_ACTIVITY):
        while not stop.is_set():
            give_way(engine)  # a chat reply queued meanwhile runs here, between two steps (cache kept warm)
            text = feed.drain()
            if text:
                rolling.feed(text)
            if rolling.step(preemptible(stop)):
                continue
            if urgent_work_waiting():
                continue  # the step gave way (its text is kept): run the waiting work, then try again
            if feed.closed.is_set():
                rest = feed.drain()
                if not rest:
                    break
                rolling.feed(rest)
                continue
            pause(feed.arrived, poll_seconds)
        with doing(FINAL_ACTIVITY):
            return rolling.finish(stop, progress=report)


def live_notes_of(update: object) -> MeetingNotes | None:
    """The notes carried by a report from :func:`run_live_session`."""
    if isinstance(update, MeetingNotes):
        return update
    if isinstance(update, SummaryProgress):
        return update.notes
    return None
