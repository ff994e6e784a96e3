"""The model worker: one QObject on its own QThread that owns the engine.

The GUI never touches the engine. It queues work with the :class:`ModelBridge`; the
worker thread runs it through a :class:`~assistant.core.engines.scheduler.ModelScheduler`
(interactive work such as a chat reply before background work such as live notes,
which gives way between steps) and reports back through the worker's signals.
Stopping does not go through the queue (the worker may be busy generating): each
request carries a ``threading.Event`` that the GUI sets and the engine checks at
every token. Whatever a job raises ends in a ``failed`` or ``loadFailed`` signal.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from assistant.core.chat.prompt import plan_prompt
from assistant.core.engines.base import Engine, EngineError, GenerationParams, Message
from assistant.core.engines.scheduler import IDLE, ModelScheduler, Priority, doing

#: Request ids are unique across every bridge (a window may talk to a local and a remote model).
_REQUEST_IDS = itertools.count(1)

#: Token batches reach the GUI at most this many times a second.
MAX_UI_UPDATES_PER_SECOND = 30

#: What the status bar says the model is doing.
REPLY_ACTIVITY = "Writing a reply"
LOAD_ACTIVITY = "Loading the model"
RELOAD_ACTIVITY = "Loading the model again"
TASK_ACTIVITY = "Working"
UNLOADED_ACTIVITY = "Idle (model unloaded to free memory)"

#: A task is a function run on the worker thread with the engine, the request's
#: stop event and a progress callback; its return value is sent back.
Task = Callable[[Engine, threading.Event, Callable[[Any], None]], Any]


@dataclass
class Request:
    """Handle the GUI keeps for one request to the worker."""

    id: int
    stop_event: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self.stop_event.set()


class ModelWorker(QObject):
    """Owns the engine; :meth:`serve` runs on the model thread, and every job with it."""

    loadStarted = Signal(str)
    loaded = Signal(object)  # LoadInfo
    loadFailed = Signal(str, str)  # path, message
    planned = Signal(int, object)  # request id, PromptPlan (what the model will see)
    tokens = Signal(int, str)  # request id, text since the last batch
    finished = Signal(int, object)  # request id, GenerationStats
    failed = Signal(int, str)  # request id, message
    taskProgress = Signal(int, object)
    taskFinished = Signal(int, object)
    activity = Signal(str)  # what the model is doing: "Writing a reply", "Updating live notes", "Idle"
    idleUnloaded = Signal()  # the model was freed after sitting idle; it loads again with the next request

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.idle_unload_seconds: float | None = None  # set by the GUI (ModelBridge.set_idle_unload)
        self.scheduler = ModelScheduler(
            self._report_activity, idle_seconds=lambda: self.idle_unload_seconds, on_idle=self._unload_idle
        )

    @Slot()
    def serve(self) -> None:
        """The thread's main loop: run queued work until the bridge shuts down."""
        self.scheduler.run_forever()
        self.activity.emit(IDLE)

    def _report_activity(self, label: str) -> None:
        self.activity.emit(UNLOADED_ACTIVITY if label == IDLE and self.engine.released else label)

    def _unload_idle(self) -> None:
        if self.engine.release():
            self.idleUnloaded.emit()
            self.activity.emit(UNLOADED_ACTIVITY)

    def _ready(self) -> None:
        """Load the model again if it was unloaded while idle (raises EngineError when that fails)."""
        if self.engine.released:
            with doing(RELOAD_ACTIVITY):
                self.engine.restore()

    # -- jobs (run on the worker thread) --------------------------------------------------------
    def load(self, path: str, n_ctx: int) -> None:
        self.loadStarted.emit(path)
        try:
            info = self.engine.load(path, n_ctx=n_ctx)
        except EngineError as exc:
            self.loadFailed.emit(path, str(exc))
        except Exception as exc:  # never let an unexpected error kill the thread silently
            traceback.print_exc()
            self.loadFailed.emit(path, f"Unexpected error while loading the model: {exc}")
        else:
            self.loaded.emit(info)

    def chat(
        self,
        request_id: int,
        system_prompt: str,
        history: list[Message],
        params: GenerationParams,
        stop_event: threading.Event,
    ) -> None:
        """Fit the conversation into the context, report what was left out, then reply."""
        try:
            self._ready()
            plan = plan_prompt(self.engine, system_prompt, history, params)
        except EngineError as exc:
            self.failed.emit(request_id, str(exc))
            return
        except Exception as exc:
            traceback.print_exc()
            self.failed.emit(request_id, f"Unexpected error while preparing the reply: {exc}")
            return
        self.planned.emit(request_id, plan)
        self.generate(request_id, plan.messages, params, stop_event)

    def generate(self, request_id: int, messages: list[Message], params: GenerationParams, stop_event: threading.Event) -> None:
        """Stream a reply to exactly these messages, in batches of at most 30 a second."""
        interval = 1.0 / MAX_UI_UPDATES_PER_SECOND
        buffer: list[str] = []
        last_emit = 0.0
        try:
            self._ready()
            for piece in self.engine.stream_chat(messages, params, stop_event):
                buffer.append(piece)
                now = time.monotonic()
                if now - last_emit >= interval:
                    self.tokens.emit(request_id, "".join(buffer))
                    buffer.clear()
                    last_emit = now
        except Exception as exc:
            if not isinstance(exc, EngineError):
                traceback.print_exc()
            if buffer:
                self.tokens.emit(request_id, "".join(buffer))
            message = str(exc) if isinstance(exc, EngineError) else f"Unexpected error while generating: {exc}"
            self.failed.emit(request_id, message)
            return
        if buffer:
            self.tokens.emit(request_id, "".join(buffer))
        self.finished.emit(request_id, self.engine.last_stats)

    def run_task(self, request_id: int, task: Task, stop_event: threading.Event) -> None:
        """Run other model work (meeting notes, benchmarks) on this thread."""
        try:
            self._ready()
            result = task(self.engine, stop_event, lambda value: self.taskProgress.emit(request_id, value))
        except EngineError as exc:
            self.failed.emit(request_id, str(exc))
        except Exception as exc:
            traceback.print_exc()
            self.failed.emit(request_id, f"Unexpected error: {exc}")
        else:
            self.taskFinished.emit(request_id, result)


class ModelBridge(QObject):
    """GUI-side handle: starts the worker thread and queues requests for it."""

    def __init__(self, engine: Engine, parent: QObject | None = None, *, idle_unload_seconds: float | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.thread = QThread()
        self.thread.setObjectName("model-worker")
        self.worker = ModelWorker(engine)
        self.worker.idle_unload_seconds = idle_unload_seconds
        # The worker object stays on the GUI thread; only its loop runs on the model thread. Its
        # signals, emitted there, then reach every GUI-side slot queued, plain functions and lambdas
        # included (PySide6 calls those in the thread the sender object belongs to).
        self.thread.started.connect(self.worker.serve, Qt.ConnectionType.DirectConnection)
        self._ids = _REQUEST_IDS
        self.active: dict[int, Request] = {}
        self.worker.finished.connect(self._forget)
        self.worker.failed.connect(self._forget)
        self.worker.taskFinished.connect(self._forget)
        self.thread.start()

    @property
    def scheduler(self) -> ModelScheduler:
        return self.worker.scheduler

    def set_idle_unload(self, seconds: float | None) -> None:
        """Unload the model after it sat idle this long (None or 0: never); applies from the next idle spell."""
        self.worker.idle_unload_seconds = seconds if seconds and seconds > 0 else None
        self.scheduler.wake()

    def load(self, path: str, n_ctx: int) -> None:
        self.scheduler.submit(
            lambda: self.worker.load(path, n_ctx),
            Priority.INTERACTIVE,
            LOAD_ACTIVITY,
            on_error=lambda message: self.worker.loadFailed.emit(path, message),
        )

    def _queue(self, run: Callable[[Request], None], priority: Priority, label: str) -> Request:
        request = Request(next(self._ids))
        self.active[request.id] = request
        self.scheduler.submit(
            lambda: run(request), priority, label, on_error=lambda message: self.worker.failed.emit(request.id, message)
        )
        return request

    def generate(self, messages: list[Message], params: GenerationParams | None = None) -> Request:
        params = params or GenerationParams()
        return self._queue(
            lambda r: self.worker.generate(r.id, messages, params, r.stop_event), Priority.INTERACTIVE, REPLY_ACTIVITY
        )

    def chat(self, system_prompt: str, history: list[Message], params: GenerationParams | None = None) -> Request:
        """Reply to a conversation; older turns are left out if it does not fit the context."""
        params = params or GenerationParams()
        return self._queue(
            lambda r: self.worker.chat(r.id, system_prompt, history, params, r.stop_event), Priority.INTERACTIVE, REPLY_ACTIVITY
        )

    def run_task(self, task: Task, priority: Priority = Priority.INTERACTIVE, label: str = TASK_ACTIVITY) -> Request:
        """Run ``task`` on the worker. A long task may turn itself into background work that
        gives way to chat replies (:func:`assistant.core.engines.scheduler.background`)."""
        return self._queue(lambda r: self.worker.run_task(r.id, task, r.stop_event), priority, label)

    @Slot(int)
    def _forget(self, request_id: int, *_: Any) -> None:
        self.active.pop(request_id, None)

    def stop_all(self) -> None:
        for request in list(self.active.values()):
            request.stop()

    def shutdown(self) -> None:
        """Stop what runs, end the thread, wait for it and close the engine (before the app exits or reconnects)."""
        if not self.thread.isRunning():
            return
        self.stop_all()
        self.scheduler.close()
        self.thread.quit()
        self.thread.wait()
        self.engine.close()  # a remote engine's HTTP connections too
