"""The model worker thread: batched tokens, per-request stop, tasks, errors, shutdown."""

from __future__ import annotations

import time

import pytest

from assistant.core.engines.base import GenerationParams
from assistant.core.engines.fake import FakeEngine
from assistant.ui.worker import MAX_UI_UPDATES_PER_SECOND, ModelBridge


@pytest.fixture
def bridges():
    """Every bridge made in a test is shut down, even when the test fails."""
    made: list[ModelBridge] = []
    yield made
    for bridge in made:
        bridge.shutdown()


def _bridge(qtbot, engine, bridges) -> ModelBridge:
    bridge = ModelBridge(engine)
    bridges.append(bridge)
    with qtbot.waitSignal(bridge.worker.loaded, timeout=60_000):
        bridge.load("model.gguf", 2048)
    return bridge


def test_tokens_reach_the_gui_in_batches_of_at_most_30_a_second(qtbot, bridges):
    engine = FakeEngine(["tok " * 300], token_delay=0.002)  # ~500 tokens/s
    bridge = _bridge(qtbot, engine, bridges)
    batches: list[tuple[float, str]] = []
    bridge.worker.tokens.connect(lambda _id, text: batches.append((time.monotonic(), text)))
    with qtbot.waitSignal(bridge.worker.finished, timeout=60_000):
        bridge.generate([{"role": "user", "content": "go"}])
    qtbot.wait(50)
    assert "".join(text for _, text in batches) == "tok " * 300
    duration = batches[-1][0] - batches[0][0]
    assert len(batches) < 300 / 4  # batched, not one signal per token
    assert len(batches) - 1 <= duration * MAX_UI_UPDATES_PER_SECOND + 2
    bridge.shutdown()


def test_stop_from_the_gui_thread_ends_generation_while_the_worker_is_busy(qtbot, bridges):
    engine = FakeEngine(["tok " * 1000], token_delay=0.005)
    bridge = _bridge(qtbot, engine, bridges)
    request = bridge.generate([{"role": "user", "content": "go"}])
    qtbot.wait(100)
    with qtbot.waitSignal(bridge.worker.finished, timeout=60_000) as blocker:
        request.stop()
    request_id, stats = blocker.args
    assert request_id == request.id
    assert stats.finish_reason == "cancelled" and stats.completion_tokens < 1000
    bridge.shutdown()


def test_a_stop_before_the_worker_starts_the_request_is_not_lost(qtbot, bridges):
    engine = FakeEngine(["slow " * 100, "second reply"], token_delay=0.005)
    bridge = _bridge(qtbot, engine, bridges)
    finished = []
    bridge.worker.finished.connect(lambda request_id, stats: finished.append((request_id, stats.completion_tokens)))
    first = bridge.generate([{"role": "user", "content": "one"}])
    second = bridge.generate([{"role": "user", "content": "two"}])
    second.stop()  # queued behind the first: must still end without generating
    first.stop()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=60_000)
    assert dict(finished)[second.id] == 0
    bridge.shutdown()


def test_tasks_run_on_the_worker_with_progress(qtbot, bridges):
    bridge = _bridge(qtbot, FakeEngine(), bridges)
    seen = []

    def task(engine, stop_event, progress):
        for step in range(3):
            progress(step)
        return engine.context_size

    bridge.worker.taskProgress.connect(lambda _id, value: seen.append(value))
    with qtbot.waitSignal(bridge.worker.taskFinished, timeout=60_000) as blocker:
        bridge.run_task(task)
    assert blocker.args[1] == 2048 and seen == [0, 1, 2]
    bridge.shutdown()


def test_engine_errors_become_failed_signals_and_the_worker_lives_on(qtbot, bridges):
    bridge = _bridge(qtbot, FakeEngine(["ok"], n_ctx=20), bridges)
    with qtbot.waitSignal(bridge.worker.failed, timeout=60_000) as blocker:
        bridge.generate([{"role": "user", "content": "word " * 100}])
    assert "context" in blocker.args[1]
    with qtbot.waitSignal(bridge.worker.finished, timeout=60_000):
        bridge.generate([{"role": "user", "content": "hi"}], GenerationParams(max_tokens=5))
    bridge.shutdown()
    assert not bridge.thread.isRunning()


def test_load_failure_is_reported_with_the_path(qtbot, tmp_path, bridges):
    bridge = ModelBridge(FakeEngine(validate_files=True))
    bridges.append(bridge)
    with qtbot.waitSignal(bridge.worker.loadFailed, timeout=60_000) as blocker:
        bridge.load(str(tmp_path / "missing.gguf"), 2048)
    assert blocker.args[0].endswith("missing.gguf") and "does not exist" in blocker.args[1]
    bridge.shutdown()
