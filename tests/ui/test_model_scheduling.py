"""The model worker shares one model fairly: a chat reply during a live meeting session,
priority order, errors from any job, idle unload and reload, and closing mid-session."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from assistant.core.engines.base import EngineError, GenerationParams
from assistant.core.engines.fake import FakeEngine
from assistant.core.engines.scheduler import IDLE, Priority
from assistant.core.meetings.live import LIVE_ACTIVITY, LiveFeed, live_notes_of, run_live_session
from assistant.ui.worker import REPLY_ACTIVITY, UNLOADED_ACTIVITY, ModelBridge
from tests.support.notes import extraction_json

CHAT_REPLY = "Here is the answer you asked for."


def _reply(messages, params) -> str:
    """Notes for live-notes prompts (one commitment per ACTIONn word), a plain reply for chat."""
    if params.json_schema is None:
        return CHAT_REPLY
    span = messages[-1]["content"]
    items = [("", f"item {word}", "") for word in span.split() if word.startswith("ACTION")]
    return extraction_json(title="Live", summary=["talked"], commitments=items)


@pytest.fixture
def bridges():
    made: list[ModelBridge] = []
    yield made
    for bridge in made:
        bridge.shutdown()


def _bridge(qtbot, engine, bridges, **kwargs) -> ModelBridge:
    bridge = ModelBridge(engine, **kwargs)
    bridges.append(bridge)
    with qtbot.waitSignal(bridge.worker.loaded, timeout=60_000):
        bridge.load("model.gguf", 4096)
    return bridge


def _live_task(feed: LiveFeed, updates: list):
    """The task the meetings page runs for a live session."""

    def task(engine, stop, progress):
        return run_live_session(engine, stop, progress, feed, min_update_tokens=20, poll_seconds=0.05)

    return task


def test_a_chat_reply_during_a_live_session_arrives_without_waiting_for_the_meeting_to_end(qtbot, bridges):
    engine = FakeEngine(_reply, n_ctx=4096, token_delay=0.01)  # a live step takes a while
    bridge = _bridge(qtbot, engine, bridges)
    feed = LiveFeed()
    updates: list = []
    bridge.worker.taskProgress.connect(lambda _id, update: updates.append(live_notes_of(update)))
    session_ended: list[int] = []
    bridge.worker.taskFinished.connect(lambda request_id, _result: session_ended.append(request_id))
    session = bridge.run_task(_live_task(feed, updates))
    for index in range(3):
        feed.put(" ".join(["talk"] * 25) + f" ACTION{index} ")
    qtbot.waitUntil(lambda: bridge.scheduler.activity == LIVE_ACTIVITY, timeout=60_000)

    replies: dict[int, str] = {}
    bridge.worker.tokens.connect(lambda request_id, text: replies.__setitem__(request_id, replies.get(request_id, "") + text))
    with qtbot.waitSignal(bridge.worker.finished, timeout=60_000) as blocker:
        chat = bridge.chat("You are helpful.", [{"role": "user", "content": "What is on today?"}])
    assert blocker.args[0] == chat.id
    assert replies[chat.id] == CHAT_REPLY
    assert session.id not in session_ended and not feed.closed.is_set()  # the meeting still goes on

    feed.put(" ".join(["talk"] * 25) + " ACTION3 ")
    feed.close()
    with qtbot.waitSignal(bridge.worker.taskFinished, timeout=60_000) as ended:
        pass
    result = ended.args[1]
    assert [item.task for item in result.notes.action_items] == [f"item ACTION{i}" for i in range(4)]  # nothing lost
    assert bridge.scheduler.history.count(REPLY_ACTIVITY) == 1


def test_chat_replies_run_before_background_work_queued_earlier(qtbot, bridges):
    bridge = _bridge(qtbot, FakeEngine(["reply"]), bridges)
    release = threading.Event()
    bridge.run_task(lambda engine, stop, progress: release.wait(60))  # keeps the worker busy while we queue
    bridge.run_task(lambda engine, stop, progress: None, Priority.BACKGROUND, "Summarizing")
    bridge.chat("", [{"role": "user", "content": "hi"}])
    release.set()
    qtbot.waitUntil(lambda: bridge.scheduler.history[-1:] == ["Summarizing"], timeout=60_000)
    assert bridge.scheduler.history == ["Loading the model", "Working", REPLY_ACTIVITY, "Summarizing"]


class _BrokenEngine(FakeEngine):
    """Raises errors that are not EngineError from the places the worker calls."""

    def __init__(self, where: str) -> None:
        super().__init__(["fine"])
        self.where = where

    def load(self, path, *, n_ctx=None, progress=None):
        if self.where == "load":
            raise MemoryError("out of memory")
        return super().load(path, n_ctx=n_ctx, progress=progress)

    def count_prompt_tokens(self, messages, params=None):
        if self.where == "plan":
            raise TypeError("template bug")
        return super().count_prompt_tokens(messages, params)

    def stream_chat(self, messages, params=None, stop_event=None):
        if self.where == "stream":
            raise ValueError("decoder bug")
        yield from super().stream_chat(messages, params, stop_event)


@pytest.mark.parametrize("where", ["plan", "stream"])
def test_an_unexpected_error_in_a_reply_ends_in_failed_and_the_worker_lives_on(qtbot, bridges, where):
    engine = _BrokenEngine(where)
    bridge = _bridge(qtbot, engine, bridges)
    with qtbot.waitSignal(bridge.worker.failed, timeout=60_000) as blocker:
        request = bridge.chat("", [{"role": "user", "content": "hi"}])
    assert blocker.args[0] == request.id and "Unexpected error" in blocker.args[1]
    assert request.id not in bridge.active
    engine.where = ""
    with qtbot.waitSignal(bridge.worker.finished, timeout=60_000):
        bridge.generate([{"role": "user", "content": "again"}], GenerationParams(max_tokens=3))


def test_an_unexpected_error_in_a_load_or_a_task_ends_in_a_visible_failure(qtbot, bridges):
    bridge = ModelBridge(_BrokenEngine("load"))
    bridges.append(bridge)
    with qtbot.waitSignal(bridge.worker.loadFailed, timeout=60_000) as blocker:
        bridge.load("model.gguf", 2048)
    assert "out of memory" in blocker.args[1]

    def task(engine, stop, progress):
        raise KeyError("missing")

    with qtbot.waitSignal(bridge.worker.failed, timeout=60_000) as blocker:
        request = bridge.run_task(task)
    assert blocker.args[0] == request.id and "Unexpected error" in blocker.args[1]


def test_an_idle_model_is_unloaded_after_the_set_time_and_reloads_for_the_next_reply(qtbot, bridges):
    engine = FakeEngine(["first", "second"])
    bridge = _bridge(qtbot, engine, bridges)
    activity: list[str] = []
    bridge.worker.activity.connect(activity.append)
    with qtbot.waitSignal(bridge.worker.idleUnloaded, timeout=60_000):
        bridge.set_idle_unload(0.1)
    assert engine.released and engine.loaded  # memory freed; the window still shows the model
    qtbot.waitUntil(lambda: UNLOADED_ACTIVITY in activity, timeout=60_000)
    with qtbot.waitSignal(bridge.worker.finished, timeout=60_000) as blocker:
        bridge.generate([{"role": "user", "content": "hi"}])
    assert blocker.args[1].completion_tokens == 1
    assert engine.loads == 2 and not engine.released


def test_idle_unload_is_off_by_default(qtbot, bridges):
    engine = FakeEngine(["reply"])
    bridge = _bridge(qtbot, engine, bridges)
    assert bridge.worker.idle_unload_seconds is None
    with qtbot.waitSignal(bridge.worker.finished, timeout=60_000):
        bridge.generate([{"role": "user", "content": "hi"}])
    qtbot.waitUntil(lambda: bridge.scheduler.activity == IDLE, timeout=60_000)
    assert not engine.released and engine.loads == 1


def test_a_failed_reload_after_idle_unload_is_reported_on_the_request(qtbot, bridges, tmp_path):
    engine = FakeEngine(["reply"], validate_files=False)
    bridge = _bridge(qtbot, engine, bridges)
    with qtbot.waitSignal(bridge.worker.idleUnloaded, timeout=60_000):
        bridge.set_idle_unload(0.1)
    bridge.set_idle_unload(None)
    engine.validate_files = True  # the file is gone by now
    with qtbot.waitSignal(bridge.worker.failed, timeout=60_000) as blocker:
        request = bridge.chat("", [{"role": "user", "content": "hi"}])
    assert blocker.args[0] == request.id and blocker.args[1]


def test_closing_during_a_live_session_ends_the_thread(qtbot, bridges):
    engine = FakeEngine(_reply, n_ctx=4096, token_delay=0.01)
    bridge = _bridge(qtbot, engine, bridges)
    feed = LiveFeed()
    bridge.run_task(_live_task(feed, []))
    feed.put(" ".join(["talk"] * 60) + " ACTION0 ")
    qtbot.waitUntil(lambda: bridge.scheduler.activity == LIVE_ACTIVITY, timeout=60_000)
    bridge.chat("", [{"role": "user", "content": "queued while closing"}])
    bridge.shutdown()
    assert not bridge.thread.isRunning() and not engine.loaded


def test_a_process_closed_during_a_live_session_exits_cleanly(tmp_path):
    script = textwrap.dedent(
        """
        import sys, time
        from PySide6.QtCore import QCoreApplication
        from assistant.core.engines.fake import FakeEngine
        from assistant.core.meetings.live import LiveFeed, run_live_session
        from assistant.ui.worker import ModelBridge

        app = QCoreApplication(sys.argv)
        bridge = ModelBridge(FakeEngine(["{}"], n_ctx=4096, token_delay=0.01))
        bridge.load("model.gguf", 4096)
        feed = LiveFeed()
        feed.put("talk " * 200)
        bridge.run_task(lambda engine, stop, progress: run_live_session(engine, stop, progress, feed, min_update_tokens=20))
        while bridge.scheduler.activity != "Updating live notes":
            app.processEvents()
            time.sleep(0.01)
        bridge.chat("", [{"role": "user", "content": "hi"}])
        bridge.shutdown()
        print("closed")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "closed" in done.stdout and "QThread" not in done.stderr


def test_engine_errors_from_a_live_session_are_reported(qtbot, bridges):
    class Failing(FakeEngine):
        def stream_chat(self, messages, params=None, stop_event=None):
            raise EngineError("the model ran out of context")
            yield ""  # pragma: no cover - a generator

    bridge = _bridge(qtbot, Failing(n_ctx=4096), bridges)
    feed = LiveFeed()
    feed.put("talk " * 100)
    feed.close()
    with qtbot.waitSignal(bridge.worker.failed, timeout=60_000) as blocker:
        bridge.run_task(_live_task(feed, []))
    assert "context" in blocker.args[1]


def test_shutting_a_bridge_down_closes_a_remote_engines_connections(qtbot):
    from assistant.core.engines.remote import RemoteEngine

    engine = RemoteEngine("http://127.0.0.1:9/v1", "model")
    bridge = ModelBridge(engine)
    bridge.shutdown()  # what the window does on close and before it reconnects
    assert engine._http.client.is_closed


def test_the_status_bar_says_what_the_model_is_doing(qtbot, tmp_path):
    from tests.support.ui_helpers import close_window, open_window

    path = tmp_path / "fake-model.gguf"
    path.write_text("fake")
    window = open_window(qtbot, FakeEngine(["word " * 300], token_delay=0.01), str(path))
    seen: list[str] = []
    window.bridge.worker.activity.connect(seen.append)
    assert window.send("Tell me a long story")
    qtbot.waitUntil(lambda: window.activity_label.text() == REPLY_ACTIVITY, timeout=60_000)
    qtbot.waitUntil(lambda: window.activity_label.text() == IDLE, timeout=60_000)
    assert seen[-2:] == [REPLY_ACTIVITY, IDLE]
    close_window(window)


def test_idle_unload_is_a_registered_setting_off_by_default_that_the_window_passes_to_its_worker(qtbot):
    from assistant.core import settings
    from assistant.core.store import Store
    from tests.support.ui_helpers import close_window, open_window

    assert settings.REGISTRY[settings.IDLE_UNLOAD_MINUTES].default == 0
    store = Store()
    assert settings.idle_unload_seconds(store) is None
    store.set_setting(settings.IDLE_UNLOAD_MINUTES, 15)
    assert settings.idle_unload_seconds(store) == 900
    window = open_window(qtbot, FakeEngine(), store=store)
    assert window.bridge.worker.idle_unload_seconds == 900
    close_window(window)


def test_with_a_real_model_a_chat_during_a_live_session_is_answered_and_the_session_keeps_every_span(qtbot, bridges, smollm_path):
    from assistant.core.engines.llama import LlamaCppEngine

    engine = LlamaCppEngine()
    bridge = ModelBridge(engine)
    bridges.append(bridge)
    with qtbot.waitSignal(bridge.worker.loaded, timeout=120_000):
        bridge.load(str(smollm_path), 4096)
    feed = LiveFeed()
    words = " ".join(f"point{i} was discussed at length by the team" for i in range(60))
    feed.put(words)
    session = bridge.run_task(_live_task(feed, []))
    qtbot.waitUntil(lambda: bridge.scheduler.activity == LIVE_ACTIVITY, timeout=120_000)
    ended: list[int] = []
    bridge.worker.taskFinished.connect(lambda request_id, _result: ended.append(request_id))
    with qtbot.waitSignal(bridge.worker.finished, timeout=120_000) as blocker:
        chat = bridge.chat("You are helpful.", [{"role": "user", "content": "Say hello."}], GenerationParams(max_tokens=8))
    assert blocker.args[0] == chat.id and blocker.args[1].completion_tokens > 0
    assert session.id not in ended  # answered while the session still runs
    feed.close()
    with qtbot.waitSignal(bridge.worker.taskFinished, timeout=300_000) as done:
        pass
    assert done.args[0] == session.id and done.args[1].chunks >= 1
