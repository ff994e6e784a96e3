"""The setup wizard's background work: the download, the machine check, the speed check.

Each runs off the GUI thread (the download and the check as jobs of their own, the
speed check on the model worker) and reports back through Qt signals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from assistant.core.engines.base import Engine, GenerationParams
from assistant.core.models import machine_check
from assistant.core.models.hardware import HardwareProfile
from assistant.core.models.machine_check import MachineCheck
from assistant.ui.jobs import Job

SPEED_CHECK_SECONDS = 10.0


#: (profile, again) -> the machine check; the default reads the cached one or measures (about 3 s).
Measure = Callable[[HardwareProfile, bool], MachineCheck | None]


def default_measure(profile: HardwareProfile, again: bool) -> MachineCheck:
    return machine_check.cached_or_measure(profile, again=again)


class CheckWorker(Job):
    """Runs the machine check off the GUI thread; ``measured`` carries the check (None if it failed:
    the table-based estimates then stay in place)."""

    measured = Signal(object)

    def __init__(self, measure: Measure, profile: HardwareProfile, again: bool, parent: QObject | None = None) -> None:
        super().__init__(lambda _job: measure(profile, again), name="machine check")  # no Qt parent: the job registry keeps it
        self.done.connect(lambda result, _error: self.measured.emit(result))

    def describe_error(self, exc: BaseException) -> str:
        return f"The machine check failed ({type(exc).__name__}: {exc})."


def speed_check(engine: Engine, stop: threading.Event, progress, seconds: float = SPEED_CHECK_SECONDS) -> float:
    """Generate for about ``seconds`` and return the decode speed in tokens per second."""
    deadline = threading.Event()
    timer = threading.Timer(seconds, deadline.set)
    timer.start()
    combined = threading.Event()

    def watch() -> None:
        while not (stop.is_set() or deadline.is_set()):
            time.sleep(0.05)
        combined.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    prompt = [{"role": "user", "content": "Write a detailed story about a lighthouse keeper, at least 500 words."}]
    try:
        for count, _piece in enumerate(engine.stream_chat(prompt, GenerationParams(max_tokens=1024, temperature=0.7), combined)):
            if count % 8 == 0:
                progress(count)
    finally:
        timer.cancel()
        deadline.set()
        watcher.join()
    return engine.last_stats.tokens_per_second
