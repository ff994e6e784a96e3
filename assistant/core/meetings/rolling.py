"""Live notes (:class:`RollingSummarizer`): text is fed as it arrives; each step folds the newest span into the running notes. When processing falls behind, the next step takes a larger span (up to one full chunk) instead of queueing many small ones, so the backlog is always one text buffer, and :meth:`RollingSummarizer.finish` only has the tail left to do."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from assistant.core.engines.base import Engine
from assistant.core.engines.scheduler import give_way, preemptible
from assistant.core.meetings.language import detect_language
from assistant.core.meetings.notes import (
    DEFAULT_LIMITS,
    MeetingNotes,
    NotesLimits,
)
from assistant.core.meetings.prompts import MeetingContext
from assistant.core.meetings.summarizer import (
    Budget,
    FoldState,
    ModelCaller,
    ProgressCallback,
    Summarizer,
    SummaryProgress,
    SummaryResult,
)
from assistant.core.meetings.transcript import chunk_text

# --- live mode --------------------------------------------------------------------------------

#: Share of the meeting's time live notes may keep the model busy (speech recognition and the
#: rest of the computer need the remainder); see :class:`RollingSummarizer`.
LIVE_MAX_LOAD = 0.4


class RollingSummarizer:
    """Keeps notes current while a meeting is still going on.

    :meth:`feed` (any thread) appends text. :meth:`step` (the worker thread) folds the pending
    text into the notes when at least ``min_update_tokens`` are waiting; when more than one
    chunk is waiting it takes one full chunk, so falling behind makes spans larger, never
    the queue longer. :meth:`finish` folds the tail and returns the final notes. ``on_update``
    is called with the notes after every step. A span is preceded by a little of the text
    before it (overlap), so a sentence cut at a span border is read whole.

    With ``max_load`` set, steps are paced: after a step that took S seconds the next one
    starts no sooner than S / max_load seconds (by ``clock``) after that step began, so the
    model works at most about that share of the meeting and the text arriving meanwhile is
    folded in as one larger span. A slow machine updates the notes less often instead of
    running behind; a fast one is limited by ``min_update_tokens``.
    """

    def __init__(
        self,
        engine: Engine,
        context: MeetingContext | None = None,
        *,
        min_update_tokens: int = 300,
        limits: NotesLimits = DEFAULT_LIMITS,
        max_output_tokens: int | None = None,
        overlap_tokens: int = 60,
        temperature: float = 0.2,
        on_update: Callable[[MeetingNotes], None] | None = None,
        max_load: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._summarizer = Summarizer(
            engine, context, limits=limits, max_output_tokens=max_output_tokens, overlap_tokens=overlap_tokens, temperature=temperature
        )
        self.engine = engine
        self.context = replace(self._summarizer.context)  # own copy: the language is set on the first span
        self.limits = limits
        self.min_update_tokens = min_update_tokens
        self.on_update = on_update
        self._budget = self._summarizer.budget(live=True)
        self._caller = ModelCaller(engine, limits, temperature)
        self._state = FoldState(self.context, limits)
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._pending_tokens = 0
        self._processed_tail = ""  # the end of the text already folded in, for overlap
        self._fed_text: list[str] = []
        self._language_fixed = self.context.language != "auto"
        self.max_load = max_load
        self._clock = clock
        self._last_step: tuple[float, float] | None = None  # (began by clock, seconds it took)
        self.steps = 0
        self.compute_seconds = 0.0

    @property
    def budget(self) -> Budget:
        return self._budget

    def feed(self, text: str) -> None:
        """Add newly transcribed or pasted text; returns at once.

        Safe from any thread while a step runs: it never touches the engine (the token count
        of pending text is estimated from its length; chunks are measured exactly in the step).
        """
        if not text:
            return
        tokens = estimate_tokens(text)
        with self._lock:
            self._pending.append(text)
            self._pending_tokens += tokens
            self._fed_text.append(text)

    @property
    def pending_tokens(self) -> int:
        """Tokens waiting to be folded in (estimated: about four characters a token)."""
        with self._lock:
            return self._pending_tokens

    @property
    def notes(self) -> MeetingNotes:
        return self._state.notes()

    @property
    def transcript_text(self) -> str:
        """Everything fed so far (the lead's UI keeps it with the notes)."""
        with self._lock:
            return "".join(self._fed_text)

    def _take_span(self, force: bool) -> str | None:
        """Remove and return the next span to fold: all pending text, or one chunk's worth."""
        with self._lock:
            if not self._pending or (not force and self._pending_tokens < self.min_update_tokens):
                return None
            text = "".join(self._pending)
            self._pending.clear()
            self._pending_tokens = 0
        if not self._language_fixed:
            self.context.language = detect_language(text)
            self._language_fixed = True
        room = self._budget.chunk - (self.engine.count_tokens(self._processed_tail) if self._processed_tail else 0)
        first = chunk_text(text, self.engine.count_tokens, max(room, self._budget.chunk // 2), 0)
        span = first[0].text if first else text
        rest = text[len(span) :]
        if rest:
            with self._lock:  # put back what did not fit, ahead of anything fed meanwhile
                self._pending.insert(0, rest)
                self._pending_tokens += estimate_tokens(rest)
        return span

    def paced(self) -> bool:
        """Whether pacing holds the next step back for now (see ``max_load``)."""
        if not self.max_load or self._last_step is None:
            return False
        began, seconds = self._last_step
        return self._clock() - began < seconds / self.max_load

    def step(self, stop: threading.Event | None = None, force: bool = False) -> bool:
        """Fold the pending text in if there is enough (or any, with ``force``); True if a step ran."""
        if not force and self.paced():
            return False
        span = self._take_span(force)
        if span is None:
            return False
        began = self._clock()
        started = time.perf_counter()
        tail = self._processed_tail
        if tail and self.engine.count_tokens(tail) + self.engine.count_tokens(span) > self._budget.chunk:
            tail = ""
        cancelled = self._state.fold(self._caller, tail + span, self._budget.output, stop, live=True)
        if cancelled:
            with self._lock:  # keep the text: nothing fed is ever dropped
                self._pending.insert(0, span)
                self._pending_tokens += estimate_tokens(span)
            self.compute_seconds += time.perf_counter() - started
            return False
        self._processed_tail = _last_tokens(span, self.engine.count_tokens, self._summarizer.overlap_tokens or 0)
        if len(self._state.summary_bullets()) > 2 * self.limits.summary_items:
            self._state.condense(self._caller, self._budget, stop)
        self.steps += 1
        seconds = time.perf_counter() - started
        self.compute_seconds += seconds
        self._last_step = (began, seconds)
        if self.on_update:
            self.on_update(self._state.notes())
        return True

    def run(self, stop: threading.Event, input_closed: threading.Event, poll_seconds: float = 0.2) -> None:
        """Worker loop: step while text arrives, until ``input_closed`` (then call :meth:`finish`) or ``stop``."""
        while not stop.is_set():
            if not self.step(stop):
                if input_closed.is_set():
                    return
                stop.wait(poll_seconds)

    def finish(self, stop: threading.Event | None = None, progress: ProgressCallback | None = None) -> SummaryResult:
        """The meeting ended: fold the remaining tail (in several spans only if far behind)."""
        started = time.perf_counter()
        result = SummaryResult(notes=MeetingNotes(), language=self.context.language)
        total = max(1, -(-self.pending_tokens // max(1, self._budget.chunk)))
        done = 0
        while self.pending_tokens > 0:
            if stop is not None and stop.is_set():
                result.cancelled = True
                break
            if not self.step(preemptible(stop), force=True):
                if stop is not None and stop.is_set():
                    result.cancelled = True
                    break
                give_way(self.engine)  # the step gave way to a chat reply (its text is kept): let it run, then go on
                continue
            done += 1
            if progress:
                progress(SummaryProgress(min(done, total), total, "live", "Adding the end of the meeting", self.notes))
        result.chunks = self.steps
        final = self._state.result(result, self._caller, started)
        if final.cancelled:
            final.notices[-1] = "Finishing was stopped; the notes do not cover the last part of the meeting yet."
        return final


def estimate_tokens(text: str) -> int:
    """A quick token estimate for Llama-family tokenizers (about four characters a token)."""
    return max(1, (len(text) + 3) // 4)


def split_for_live(text: str, words: int = 30) -> list[str]:
    """Pasted text cut into pieces of about ``words`` words, for a "simulate live" mode.

    Pieces end at line ends where possible; joined they give back ``text`` exactly.
    """
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for token in re.findall(r"\S+\s*|\s+", text):
        current.append(token)
        count += 1
        if count >= words and (token.endswith("\n") or count >= 2 * words):
            pieces.append("".join(current))
            current, count = [], 0
    if current:
        pieces.append("".join(current))
    return pieces


def _last_tokens(text: str, count_tokens: Callable[[str], int], tokens: int) -> str:
    """Roughly the last ``tokens`` tokens of ``text``, starting at a word."""
    if tokens <= 0:
        return ""
    words = re.findall(r"\S+\s*", text)
    taken: list[str] = []
    for word in reversed(words):
        taken.insert(0, word)
        if count_tokens("".join(taken)) >= tokens:
            break
    return "".join(taken)
