"""The model work that writes a meeting's notes: one summary, or one live session, at a time.

A summary reads the whole transcript as one task on the model worker (progress per chunk).
A live session keeps notes current while text arrives: from the recorder, or from pasted
text fed in steps ("Simulate live"). Either way the request's stop event cancels it. The
Meetings page decides what to show; this object only runs the work and reports back. It
hears from its own request only (:class:`~assistant.ui.chat.requests.RequestRouter`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from assistant.core.meetings import MeetingContext, Summarizer
from assistant.core.meetings.live import LiveFeed, run_live_session
from assistant.ui.chat.requests import ModelRequest, RequestRouter
from assistant.ui.worker import ModelBridge, Task

LIVE_STEP_WORDS = 60  # "Simulate live": words fed per step
LIVE_STEP_MS = 1000


class NotesWriter(QObject):
    """Runs the notes of one meeting on the model worker; exactly one of ``answered`` or ``failed`` ends a run."""

    progressed = Signal(object)  # SummaryProgress, or live notes as they grow
    answered = Signal(object)  # SummaryResult
    failed = Signal(str)
    liveEnded = Signal()  # the live session's feed was closed: the notes are being finished

    def __init__(self, bridge: ModelBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.router = RequestRouter(bridge)
        self.request: ModelRequest | None = None
        self.live_feed: LiveFeed | None = None  # may be set before the session starts (a recording waits for the calendars)
        self._live_words: list[str] = []
        self._live_timer = QTimer(self)
        self._live_timer.timeout.connect(self._feed_next_step)

    @property
    def busy(self) -> bool:
        return self.request is not None

    def summarize(self, text: str, context: MeetingContext) -> None:
        """Summarize ``text`` in one go."""

        def task(engine, stop, progress):
            return Summarizer(engine, context).summarize(text, progress=progress, stop=stop)

        self._run(task)

    def start_live(self, context: MeetingContext, feed: LiveFeed | None = None, pasted: str | None = None) -> LiveFeed:
        """Start a live session on ``feed`` (or a new one); ``pasted`` text is fed to it in steps."""
        feed = feed or LiveFeed()
        self.live_feed = feed

        def task(engine, stop, progress):
            return run_live_session(engine, stop, progress, feed, context)

        self._run(task)
        if pasted is not None:
            self._live_words = pasted.split(" ")
            self._live_timer.start(LIVE_STEP_MS)
        return feed

    def feed(self, text: str) -> None:
        """Text for the running live session (ignored when there is none)."""
        if self.live_feed is not None:
            self.live_feed.put(text)

    def end_live(self) -> bool:
        """The meeting ended: only the tail is left to process. False when no live session was fed."""
        self._live_timer.stop()
        if self.live_feed is None:
            return False
        if self._live_words:
            self.live_feed.put(" ".join(self._live_words))
            self._live_words = []
        self.live_feed.close()
        self.liveEnded.emit()
        return True

    def stop(self) -> None:
        self._live_timer.stop()
        if self.request is not None:
            self.request.stop()
        if self.live_feed is not None:
            self.live_feed.close()

    def _run(self, task: Task) -> None:
        request = self.request = self.router.run_task(task)
        request.progress.connect(self.progressed)
        request.answered.connect(self._on_finished)
        request.failed.connect(self._on_failed)

    def _feed_next_step(self) -> None:
        if self.live_feed is None:
            self._live_timer.stop()
            return
        step, self._live_words = self._live_words[:LIVE_STEP_WORDS], self._live_words[LIVE_STEP_WORDS:]
        self.live_feed.put(" ".join(step) + " ")
        if not self._live_words:
            self.end_live()

    def _on_finished(self, result: object) -> None:
        self.request = None
        self.live_feed = None
        self.answered.emit(result)

    def _on_failed(self, message: str) -> None:
        self.request = None
        self.live_feed = None
        self._live_timer.stop()
        self.failed.emit(message)
