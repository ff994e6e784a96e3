"""Per-request signals on top of the model worker's shared ones.

The worker reports every request through the same signals, tagged with the request's id.
:class:`RequestRouter` is the one place that reads those ids: it hands each report to the
:class:`ModelRequest` it belongs to, so each user (the chat, a meeting's notes, the setup
wizard's speed check) listens to its own requests only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from assistant.core.engines.base import GenerationParams, Message
from assistant.ui.worker import ModelBridge, Request, Task


class ModelRequest(QObject):
    """One request to the worker; exactly one of ``finished``, ``failed`` or ``answered`` ends it."""

    planned = Signal(object)  # PromptPlan: what the model will see
    tokens = Signal(str)
    finished = Signal(object)  # GenerationStats
    failed = Signal(str)
    progress = Signal(object)  # what a task reports while it runs
    answered = Signal(object)  # a task's result

    def __init__(self, request: Request) -> None:
        super().__init__()
        self.request = request
        self.ended = False

    @property
    def id(self) -> int:
        return self.request.id

    @property
    def stopped(self) -> bool:
        return self.request.stop_event.is_set()

    def stop(self) -> None:
        self.request.stop()


class RequestRouter(QObject):
    """Listens to one bridge's worker and routes each report to its :class:`ModelRequest`."""

    def __init__(self, bridge: ModelBridge) -> None:
        super().__init__()
        self.bridge = bridge
        self.requests: dict[int, ModelRequest] = {}
        worker = bridge.worker
        worker.planned.connect(self._planned)
        worker.tokens.connect(self._tokens)
        worker.finished.connect(self._finished)
        worker.failed.connect(self._failed)
        worker.taskProgress.connect(self._progress)
        worker.taskFinished.connect(self._answered)

    def chat(self, system: str, history: list[Message], params: GenerationParams) -> ModelRequest:
        return self._track(self.bridge.chat(system, history, params))

    def run_task(self, task: Task) -> ModelRequest:
        return self._track(self.bridge.run_task(task))

    def _track(self, request: Request) -> ModelRequest:
        # Reports come through queued connections made at start-up, so none arrives before this returns.
        tracked = ModelRequest(request)
        self.requests[request.id] = tracked
        return tracked

    def _end(self, request_id: int) -> ModelRequest | None:
        tracked = self.requests.pop(request_id, None)
        if tracked is not None:
            tracked.ended = True
        return tracked

    @Slot(int, object)
    def _planned(self, request_id: int, plan: Any) -> None:
        if (tracked := self.requests.get(request_id)) is not None:
            tracked.planned.emit(plan)

    @Slot(int, str)
    def _tokens(self, request_id: int, text: str) -> None:
        if (tracked := self.requests.get(request_id)) is not None:
            tracked.tokens.emit(text)

    @Slot(int, object)
    def _finished(self, request_id: int, stats: Any) -> None:
        if (tracked := self._end(request_id)) is not None:
            tracked.finished.emit(stats)

    @Slot(int, str)
    def _failed(self, request_id: int, message: str) -> None:
        if (tracked := self._end(request_id)) is not None:
            tracked.failed.emit(message)

    @Slot(int, object)
    def _progress(self, request_id: int, update: Any) -> None:
        if (tracked := self.requests.get(request_id)) is not None:
            tracked.progress.emit(update)

    @Slot(int, object)
    def _answered(self, request_id: int, result: Any) -> None:
        if (tracked := self._end(request_id)) is not None:
            tracked.answered.emit(result)
