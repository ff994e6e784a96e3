"""The model worker: one QObject on its own QThread that owns the engine.

The GUI never touches the engine. It asks the worker through queued signals and
hears back through the worker's signals. Stopping does not go through the event
queue (the worker is busy generating): each request carries a
``threading.Event`` that the GUI sets and the engine checks at every token.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from assistant.core.chat.prompt import plan_prompt
from assistant.core.engines.base import Engine, EngineError, GenerationParams, Message

#: Request ids are unique across every bridge (a window may talk to a local and a remote model).
_REQUEST_IDS = itertools.count(1)

#: Token batches reach the GUI at most this many times a second.
MAX_UI_UPDATES_PER_SECOND = 30

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
    """Lives on the worker thread; every slot runs there."""

    loadStarted = Signal(str)
    loaded = Signal(object)  # LoadInfo
    loadFailed = Signal(str, str)  # path, message
    planned = Signal(int, object)  # request id, PromptPlan (what the model will see)
    tokens = Signal(int, str)  # request id, text since the last batch
    finished = Signal(int, object)  # request id, GenerationStats
    failed = Signal(int, str)  # request id, message
    taskProgress = Signal(int, object)
    taskFinished = Signal(int, object)

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    @Slot(str, int)
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

    @Slot(int, str, object, object, object)
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
            plan = plan_prompt(self.engine, system_prompt, history, params)
        except EngineError as exc:
            self.failed.emit(request_id, str(exc))
            return
        self.planned.emit(request_id, plan)
        self.generate(request_id, plan.messages, params, stop_event)

    @Slot(int, object, object, object)
    def generate(self, request_id: int, messages: list[Message], params: GenerationParams, stop_event: threading.Event) -> None:
        """Stream a reply to exactly these messages, in batches of at most 30 a second."""
        interval = 1.0 / MAX_UI_UPDATES_PER_SECOND
        buffer: list[str] = []
        last_emit = 0.0
        try:
            for piece in self.engine.stream_chat(messages, params, stop_event):
                buffer.append(piece)
                now = time.monotonic()
                if now - last_emit >= interval:
                    self.tokens.emit(request_id, "".join(buffer))
                    buffer.clear()
                    last_emit = now
        except EngineError as exc:
            if buffer:
                self.tokens.emit(request_id, "".join(buffer))
            self.failed.emit(request_id, str(exc))
            return
        except Exception as exc:
            traceback.print_exc()
            if buffer:
                self.tokens.emit(request_id, "".join(buffer))
            self.failed.emit(request_id, f"Unexpected error while generating: {exc}")
            return
        if buffer:
            self.tokens.emit(request_id, "".join(buffer))
        self.finished.emit(request_id, self.engine.last_stats)

    @Slot(int, object, object)
    def run_task(self, request_id: int, task: Task, stop_event: threading.Event) -> None:
        """Run other model work (meeting notes, benchmarks) on this thread."""
        try:
            result = task(self.engine, stop_event, lambda value: self.taskProgress.emit(request_id, value))
        except EngineError as exc:
            self.failed.emit(request_id, str(exc))
        except Exception as exc:
            traceback.print_exc()
            self.failed.emit(request_id, f"Unexpected error: {exc}")
        else:
            self.taskFinished.emit(request_id, result)


class ModelBridge(QObject):
    """GUI-side handle: starts the worker thread and sends it requests."""

    _load = Signal(str, int)
    _generate = Signal(int, object, object, object)
    _chat = Signal(int, str, object, object, object)
    _run_task = Signal(int, object, object)

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.thread = QThread()
        self.thread.setObjectName("model-worker")
        self.worker = ModelWorker(engine)
        self.worker.moveToThread(self.thread)
        self._load.connect(self.worker.load)
        self._generate.connect(self.worker.generate)
        self._chat.connect(self.worker.chat)
        self._run_task.connect(self.worker.run_task)
        self._ids = _REQUEST_IDS
        self.active: dict[int, Request] = {}
        self.worker.finished.connect(self._forget)
        self.worker.failed.connect(self._forget)
        self.worker.taskFinished.connect(self._forget)
        self.thread.start()

    def load(self, path: str, n_ctx: int) -> None:
        self._load.emit(path, n_ctx)

    def generate(self, messages: list[Message], params: GenerationParams | None = None) -> Request:
        request = Request(next(self._ids))
        self.active[request.id] = request
        self._generate.emit(request.id, messages, params or GenerationParams(), request.stop_event)
        return request

    def chat(self, system_prompt: str, history: list[Message], params: GenerationParams | None = None) -> Request:
        """Reply to a conversation; older turns are left out if it does not fit the context."""
        request = Request(next(self._ids))
        self.active[request.id] = request
        self._chat.emit(request.id, system_prompt, history, params or GenerationParams(), request.stop_event)
        return request

    def run_task(self, task: Task) -> Request:
        request = Request(next(self._ids))
        self.active[request.id] = request
        self._run_task.emit(request.id, task, request.stop_event)
        return request

    @Slot(int)
    def _forget(self, request_id: int, *_: Any) -> None:
        self.active.pop(request_id, None)

    def stop_all(self) -> None:
        for request in list(self.active.values()):
            request.stop()

    def shutdown(self) -> None:
        """Stop what runs, end the thread and wait for it (call before the app exits)."""
        if not self.thread.isRunning():
            return
        self.stop_all()
        self.thread.quit()
        self.thread.wait()
        self.engine.unload()
