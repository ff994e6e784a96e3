"""The wizard's download as a background job: progress, pause, and the "too slow" question."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from assistant.core.models.catalog import Build
from assistant.core.models.download import DownloadCancelled, DownloadError, Progress, TooSlowPaused, download_build
from assistant.ui.jobs import Job


class DownloadJob(Job):
    """One download; ``done((path, reused), error)``; a pause or cancel ends it with :class:`DownloadCancelled`."""

    def __init__(self, build: Build, search_folders: list[Path], cancel: threading.Event, too_slow) -> None:
        super().__init__(name="model download", cancel=cancel)
        self.build, self.search_folders, self.too_slow = build, search_folders, too_slow

    def _report(self, update: Progress) -> None:
        self.report(update, force=bool(update.total_bytes and update.done_bytes >= update.total_bytes))

    def work(self) -> tuple[str, str]:
        result = download_build(
            self.build, progress=self._report, cancel=self.cancel, search_folders=self.search_folders, too_slow=self.too_slow
        )
        return str(result.path), result.reused or ""

    def describe_error(self, exc: BaseException) -> str | None:
        if isinstance(exc, (DownloadCancelled, DownloadError)):
            return str(exc) or type(exc).__name__
        if isinstance(exc, OSError):
            return f"The download could not be written: {exc.strerror or exc}."
        return None


class DownloadWorker(QObject):
    """Starts one :class:`DownloadJob` at a time for the wizard; progress at most 10 times a second."""

    progress = Signal(object)  # Progress
    finished = Signal(str, str)  # path of the verified file; where an existing copy was found ("" if downloaded)
    failed = Signal(str)
    paused = Signal(str)  # why, when it was not the user's Pause ("" when it was)
    tooSlow = Signal(object)  # Progress: answer with answer_slow(keep_going)

    def __init__(self) -> None:
        super().__init__()
        self.cancel = threading.Event()  # Pause, Choose another build, closing: set by the wizard
        self.job: DownloadJob | None = None
        self._next: tuple[Build, list[Path]] | None = None  # asked for while the previous download was ending
        self._answered = threading.Event()
        self._keep_going = False

    def answer_slow(self, keep_going: bool) -> None:
        """The user's answer to ``tooSlow`` (from the GUI thread)."""
        self._keep_going = keep_going
        self._answered.set()

    def _too_slow(self, update: Progress) -> bool:
        """Asked on the download thread: wait for the user's answer (Pause or closing also ends the wait)."""
        self._answered.clear()
        self.tooSlow.emit(update)
        while not self._answered.wait(0.2):
            if self.cancel.is_set():
                return False
        return self._keep_going

    def run(self, build: Build, search_folders: list[Path]) -> None:
        """Start downloading ``build`` (once an earlier download, already paused, has ended)."""
        if self.job is not None:
            self._next = (build, search_folders)
            return
        self._next = None
        self.cancel.clear()
        job = DownloadJob(build, search_folders, self.cancel, self._too_slow)
        job.progressed.connect(self.progress)
        job.done.connect(lambda result, error: self._ended(job, result, error))
        self.job = job.start()

    def _ended(self, job: DownloadJob, result: tuple[str, str] | None, error: str) -> None:
        if job is not self.job:
            return  # shut down meanwhile
        self.job = None
        if self._next is not None:  # Resume or another build was asked for while this one ended
            self.run(*self._next)
            return
        if not error:
            self.finished.emit(*result)
        elif isinstance(job.exception, DownloadCancelled):
            self.paused.emit(str(job.exception) if isinstance(job.exception, TooSlowPaused) else "")
        else:
            self.failed.emit(error)

    def shutdown(self) -> None:
        """Pause the download and wait for its thread (what was downloaded is kept)."""
        self.cancel.set()
        self._next = None
        if self.job is not None:
            self.job.wait()
            self.job = None
