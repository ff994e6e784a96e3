"""Background jobs: one way to run work off the GUI thread.

A :class:`Job` runs one function on a thread of its own. It carries its own signals,
so whoever started it hears only about this job (no request ids to compare):
``progressed(value)`` at most every ``progress_interval`` seconds, and exactly one
``done(result, error)`` on the GUI thread once the thread has ended, with ``error``
"" on success. Every exception ends in ``done`` with a readable message, so no job
can leave a window waiting forever. ``cancel`` is a ``threading.Event`` the work
checks where it can stop.

Running jobs are held in one registry: a job whose owner went away is never
destroyed while its thread runs, and the main window waits for them all at close
(:func:`shutdown`), so Qt never aborts with "QThread destroyed while running".
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

#: Progress reaches the GUI at most this often by default (seconds).
PROGRESS_INTERVAL = 0.1


class Job(QObject):
    """One piece of background work; subclasses override :meth:`work` and :meth:`describe_error`."""

    progressed = Signal(object)
    done = Signal(object, str)  # result, error ("" on success); on the GUI thread, after the thread ended

    _progress = Signal(object)  # from the job's thread
    _ended = Signal(object, str)

    def __init__(
        self,
        function: Callable[[Job], Any] | None = None,
        *,
        name: str = "job",
        progress_interval: float = PROGRESS_INTERVAL,
        cancel: threading.Event | None = None,
    ) -> None:
        super().__init__()
        self.function = function
        self.name = name
        self.progress_interval = progress_interval
        self.cancel = cancel or threading.Event()
        self.result: Any = None
        self.error = ""
        self.exception: BaseException | None = None  # what the work raised, for owners that tell kinds apart
        self.ended = False
        self._last_progress = float("-inf")
        self._thread: _JobThread | None = None
        self._progress.connect(self.progressed, Qt.ConnectionType.QueuedConnection)
        self._ended.connect(self._finish, Qt.ConnectionType.QueuedConnection)

    # -- overridden by kinds of jobs ---------------------------------------------
    def work(self) -> Any:
        """Runs on the job's thread; its return value is ``done``'s result."""
        if self.function is None:
            raise NotImplementedError("a Job needs a function or a work() of its own")
        return self.function(self)

    def describe_error(self, exc: BaseException) -> str | None:
        """The message for an error the work may raise; None for an unexpected one."""
        return None

    # -- used by the work ----------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def report(self, value: Any, *, force: bool = False) -> None:
        """Send progress to the GUI; between two reports at least ``progress_interval`` passes (``force`` skips it)."""
        now = time.monotonic()
        if force or now - self._last_progress >= self.progress_interval:
            self._last_progress = now
            self._progress.emit(value)

    # -- used by the owner -----------------------------------------------------------
    def start(self) -> Job:
        if self._thread is not None:
            raise RuntimeError(f"the job {self.name!r} was already started")
        self._thread = _JobThread(self)
        self._thread.setObjectName(self.name)
        _RUNNING.add(self)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the work to stop; ``done`` still follows."""
        self.cancel.set()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the thread ends; True when it has (or never started)."""
        if self._thread is None:
            return True
        return self._thread.wait(timeout_ms) if timeout_ms >= 0 else self._thread.wait()

    def isRunning(self) -> bool:  # reads like QThread's, which jobs replaced
        return self._thread is not None and self._thread.isRunning()

    def isFinished(self) -> bool:
        return self._thread is not None and self._thread.isFinished()

    # -- inside ---------------------------------------------------------------------------
    def _execute(self) -> None:
        try:
            result = self.work()
        except BaseException as exc:  # every error must end in a visible state
            self.exception = exc
            message = None
            try:
                message = self.describe_error(exc)
            except Exception:  # a broken describe_error still ends the job
                traceback.print_exc()
            if message is None:
                traceback.print_exc()
                message = f"Unexpected error in {self.name} ({type(exc).__name__}: {exc})."
            self._ended.emit(None, message)
        else:
            self._ended.emit(result, "")

    @Slot(object, str)
    def _finish(self, result: Any, error: str) -> None:
        if self._thread is not None:
            self._thread.wait()
        _RUNNING.discard(self)
        self.result, self.error, self.ended = result, error, True
        self.done.emit(result, error)


class _JobThread(QThread):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:
        self.job._execute()


_RUNNING: set[Job] = set()  # every job whose done has not been delivered, whoever started it


def running() -> list[Job]:
    return list(_RUNNING)


def wait_all(timeout_s: float | None = None) -> bool:
    """Wait for every running job's thread; True when all ended (within ``timeout_s`` when given)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    for job in list(_RUNNING):
        if deadline is None:
            job.wait()
        elif not job.wait(max(0, int((deadline - time.monotonic()) * 1000))):
            return False
    return True


def shutdown(timeout_s: float | None = None) -> bool:
    """Before the app exits: ask every job to stop, then wait for their threads."""
    for job in list(_RUNNING):
        job.stop()
    return wait_all(timeout_s)
