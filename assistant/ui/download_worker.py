"""The wizard's download, on a thread of its own: progress, pause, and the "too slow" question."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from assistant.core.models.catalog import Build
from assistant.core.models.download import DownloadCancelled, DownloadError, Progress, TooSlowPaused, download_build


class DownloadWorker(QObject):
    """Runs one download on the wizard's thread; progress at most 10 times a second."""

    progress = Signal(object)  # Progress
    finished = Signal(str, str)  # path of the verified file; where an existing copy was found ("" if downloaded)
    failed = Signal(str)
    paused = Signal(str)  # why, when it was not the user's Pause ("" when it was)
    tooSlow = Signal(object)  # Progress: answer with answer_slow(keep_going)

    def __init__(self) -> None:
        super().__init__()
        self.cancel = threading.Event()
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

    @Slot(object, object)
    def run(self, build: Build, search_folders: list[Path]) -> None:
        self.cancel.clear()
        last = [0.0]

        def report(update: Progress) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.1 or (update.total_bytes and update.done_bytes >= update.total_bytes):
                last[0] = now
                self.progress.emit(update)

        try:
            result = download_build(build, progress=report, cancel=self.cancel, search_folders=search_folders, too_slow=self._too_slow)
        except DownloadCancelled as exc:
            self.paused.emit(str(exc) if isinstance(exc, TooSlowPaused) else "")
        except DownloadError as exc:
            self.failed.emit(str(exc))
        except OSError as exc:
            self.failed.emit(f"The download could not be written: {exc.strerror or exc}.")
        else:
            self.finished.emit(str(result.path), result.reused or "")
