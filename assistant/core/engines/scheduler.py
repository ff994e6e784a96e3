"""Fair use of the one model: jobs queued by priority, run one at a time on one thread.

One model serves the chat and background work (live meeting notes, summaries). The
:class:`ModelScheduler` runs jobs on the model's thread, interactive ones first. A long
background job does not hold the model for its whole length: it declares itself
background (:func:`background`), passes :func:`preemptible` stop events to the engine
(so a waiting chat ends the background generation at the next token or prefill slice)
and calls :func:`yield_point` between its steps, where every queued job of a higher
priority runs. A chat reply therefore waits for at most one background step.

Code that runs outside a scheduler (the command line, tests of core code) calls the same
functions; they then do nothing, so one code path serves both.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.core.engines.base import Engine

IDLE = "Idle"


class Priority(IntEnum):
    """Lower runs first."""

    INTERACTIVE = 0  # a person is waiting for it: a chat reply, a load, a check they asked for
    BACKGROUND = 1  # live notes and other work that can wait for a chat reply


@dataclass(order=True)
class Job:
    """One piece of model work: ``run`` is called on the model thread.

    ``on_error`` gets a message when ``run`` raises or the job is dropped at shutdown, so
    whoever waits for the job always hears how it ended.
    """

    priority: Priority
    seq: int
    run: Callable[[], object] = field(compare=False)
    label: str = field(default="Working", compare=False)
    on_error: Callable[[str], None] | None = field(default=None, compare=False)


_local = threading.local()


def current() -> ModelScheduler | None:
    """The scheduler running on this thread, if any."""
    return getattr(_local, "scheduler", None)


class ModelScheduler:
    """A priority queue of model jobs and the loop that runs them on the model's thread.

    ``on_activity`` hears a short text whenever what the model does changes ("Writing a
    reply", "Updating live notes", "Idle"). With ``idle_seconds`` returning a positive
    number, ``on_idle`` is called once after the queue stayed empty that long (the worker
    unloads the model); it is asked again after every job, so a changed setting applies.
    """

    def __init__(
        self,
        on_activity: Callable[[str], None] | None = None,
        *,
        idle_seconds: Callable[[], float | None] | None = None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        self._on_activity = on_activity
        self._idle_seconds = idle_seconds
        self._on_idle = on_idle
        self._queue: list[Job] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._closed = False
        self._frames: list[tuple[Priority, str]] = []  # running jobs, innermost last (yield points nest)
        self._activity = IDLE
        self.history: list[str] = []  # labels of the jobs run, in order (tests and benches read it)

    # -- any thread ----------------------------------------------------------------------------
    def submit(
        self,
        run: Callable[[], object],
        priority: Priority = Priority.INTERACTIVE,
        label: str = "Working",
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """Queue ``run``; jobs of one priority run in the order they came."""
        with self._cond:
            if self._closed:
                closed = True
            else:
                closed = False
                heapq.heappush(self._queue, Job(priority, next(self._seq), run, label, on_error))
                self._cond.notify_all()
        if closed and on_error is not None:
            on_error("The model is shutting down.")

    def close(self) -> None:
        """No more jobs: the loop returns after the running job; jobs still queued are dropped
        (their owners are shutting down and have stopped them)."""
        with self._cond:
            self._closed = True
            self._queue = []
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def activity(self) -> str:
        return self._activity

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    # -- the model thread ----------------------------------------------------------------------
    def run_forever(self) -> None:
        """Run jobs until :meth:`close`; call it on the thread that owns the model."""
        _local.scheduler = self
        try:
            idle_reported = True  # nothing to unload before the first job
            idle_since = time.monotonic()
            while True:
                with self._cond:
                    while not self._queue and not self._closed:
                        wait = None if idle_reported else self._idle_wait()
                        remaining = None if wait is None else wait - (time.monotonic() - idle_since)
                        if remaining is not None and remaining <= 0:
                            break
                        self._cond.wait(remaining)  # submit(), close() and wake() notify
                    if self._closed:
                        return
                    job = heapq.heappop(self._queue) if self._queue else None
                if job is None:
                    idle_reported = True
                    self._call_idle()
                    continue
                self._run(job)
                idle_reported = False
                idle_since = time.monotonic()
        finally:
            _local.scheduler = None

    def wake(self) -> None:
        """Look at the idle time again (its setting changed)."""
        with self._cond:
            self._cond.notify_all()

    def _idle_wait(self) -> float | None:
        seconds = self._idle_seconds() if self._idle_seconds is not None else None
        return seconds if seconds and seconds > 0 else None

    def _call_idle(self) -> None:
        if self._on_idle is None:
            return
        try:
            self._on_idle()
        except Exception:  # the loop must live on
            traceback.print_exc()

    def _run(self, job: Job) -> None:
        self._frames.append((job.priority, job.label))
        self.history.append(job.label)
        self._report()
        try:
            job.run()
        except Exception as exc:  # a job's bug must not end the model thread
            traceback.print_exc()
            if job.on_error is not None:
                try:
                    job.on_error(f"Unexpected error: {exc}")
                except Exception:
                    traceback.print_exc()
        finally:
            self._frames.pop()
            self._report()

    def _report(self) -> None:
        label = self._frames[-1][1] if self._frames else IDLE
        if label != self._activity:
            self._activity = label
            if self._on_activity is not None:
                self._on_activity(label)

    def _running_priority(self) -> Priority | None:
        return self._frames[-1][0] if self._frames else None

    def waiting_above(self) -> bool:
        """Whether a job more urgent than the running one is queued."""
        running = self._running_priority()
        if running is None:
            return False
        with self._cond:
            return bool(self._queue) and self._queue[0].priority < running

    def yield_point(self) -> None:
        """From inside a running job: run every queued job more urgent than it, then return."""
        while True:
            running = self._running_priority()
            with self._cond:
                if self._closed or running is None or not self._queue or self._queue[0].priority >= running:
                    return
                job = heapq.heappop(self._queue)
            self._run(job)

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Sleep inside a job until ``event`` is set or ``timeout`` passes, waking early for more urgent work."""
        deadline = time.monotonic() + timeout
        while True:
            if event.is_set():
                return True
            if self.waiting_above() or self._closed:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._cond:  # submit() notifies; the event is polled at least every 50 ms
                self._cond.wait(min(remaining, 0.05))

    @contextmanager
    def running_as(self, priority: Priority, label: str) -> Iterator[None]:
        """The running job continues at ``priority`` under ``label`` (for example, a live session: background)."""
        self._frames.append((priority, label))
        self._report()
        try:
            yield
        finally:
            self._frames.pop()
            self._report()

    @contextmanager
    def labelled(self, label: str) -> Iterator[None]:
        """What the running job does for a while, for the status bar (same priority)."""
        priority = self._running_priority()
        with self.running_as(priority if priority is not None else Priority.INTERACTIVE, label):
            yield


# -- what core code calls; without a scheduler on this thread these do nothing ------------------


@contextmanager
def background(label: str) -> Iterator[None]:
    """Run the enclosed work as background work (interactive jobs go first at yield points)."""
    scheduler = current()
    if scheduler is None:
        yield
        return
    with scheduler.running_as(Priority.BACKGROUND, label):
        yield


@contextmanager
def doing(label: str) -> Iterator[None]:
    """Say what the model does for a while (same priority)."""
    scheduler = current()
    if scheduler is None:
        yield
        return
    with scheduler.labelled(label):
        yield


def yield_point() -> None:
    """Let more urgent queued work run now (between two steps of background work)."""
    scheduler = current()
    if scheduler is not None:
        scheduler.yield_point()


def give_way(engine: Engine | None = None) -> None:
    """A :func:`yield_point` that keeps ``engine``'s cache warm: copied before the urgent work
    runs and put back after, so the background step goes on without reading its prompt again."""
    scheduler = current()
    if scheduler is None or not scheduler.waiting_above():
        return
    saved = engine.save_cache() if engine is not None else None
    scheduler.yield_point()
    if saved is not None and engine is not None:
        engine.restore_cache(saved)


def urgent_work_waiting() -> bool:
    scheduler = current()
    return scheduler is not None and scheduler.waiting_above()


def pause(event: threading.Event, timeout: float) -> bool:
    """Wait for ``event`` up to ``timeout`` seconds, returning early when more urgent work is queued."""
    scheduler = current()
    if scheduler is None:
        return event.wait(timeout)
    return scheduler.wait(event, timeout)


class PreemptibleStop:
    """A stop event that also reads as set while more urgent work waits.

    Passed to the engine for a background step: a queued chat reply ends the step at the
    next token (or prefill slice); the caller sees it was not really stopped
    (``stop.is_set()`` is false), keeps the step's input and runs it again after a yield point.
    """

    def __init__(self, stop: threading.Event | None, scheduler: ModelScheduler | None) -> None:
        self.stop = stop or threading.Event()
        self._scheduler = scheduler

    def is_set(self) -> bool:
        return self.stop.is_set() or (self._scheduler is not None and self._scheduler.waiting_above())

    def set(self) -> None:
        self.stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        if self._scheduler is None:
            return self.stop.wait(timeout)
        return self._scheduler.wait(self.stop, timeout if timeout is not None else 1e9) or self.is_set()

    @property
    def preempted(self) -> bool:
        """Set because of waiting work, not because the job was stopped."""
        return not self.stop.is_set() and self.is_set()


def preemptible(stop: threading.Event | None) -> threading.Event:
    """``stop``, or (under a scheduler) a :class:`PreemptibleStop` around it; typed as an Event for the engines."""
    scheduler = current()
    if scheduler is None:
        return stop or threading.Event()
    return PreemptibleStop(stop, scheduler)  # type: ignore[return-value]
