"""The benchmark dialog hears only from its own run (its request's signals, no id filtering)."""

from __future__ import annotations

import threading

import pytest

from assistant.core.engines.base import EngineError
from assistant.core.engines.fake import FakeEngine
from assistant.core.models.benchmark import BenchmarkResult
from assistant.ui.benchmark_dialog import BenchmarkDialog
from assistant.ui.chat.requests import RequestRouter
from assistant.ui.worker import ModelBridge


@pytest.fixture
def bridge():
    engine = FakeEngine(["one two three four five six seven eight"], n_ctx=512)
    engine.load("fake.gguf")
    bridge = ModelBridge(engine)
    yield bridge
    bridge.shutdown()


def test_a_run_on_a_fake_model_shows_its_result(qtbot, bridge):
    dialog = BenchmarkDialog(bridge, prompt_tokens=32, decode_tokens=4)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.completed, timeout=60_000) as blocker:
        dialog.start_button.click()
        assert dialog.running and dialog.stop_button.isEnabled()
    assert isinstance(blocker.args[0], BenchmarkResult)
    assert dialog.result is blocker.args[0]
    assert dialog.progress.value() == 100
    assert "tokens/s" in dialog.status.text()
    assert not dialog.running and dialog.start_button.isEnabled()


def test_another_users_failure_does_not_end_the_run(qtbot):
    release_other, release_benchmark = threading.Event(), threading.Event()

    def reply(_messages, _params):
        release_benchmark.wait(60)  # the benchmark is still running when the other request fails
        return "one two three four five six"

    def other(_engine, _stop, _progress):
        release_other.wait(60)
        raise EngineError("someone else's task failed")

    engine = FakeEngine(reply, n_ctx=512)
    engine.load("fake.gguf")
    bridge = ModelBridge(engine)
    try:
        router = RequestRouter(bridge)  # another user of the same model
        other_request = router.run_task(other)  # runs first: the benchmark waits behind it
        dialog = BenchmarkDialog(bridge, prompt_tokens=32, decode_tokens=4)
        qtbot.addWidget(dialog)
        dialog.start()
        with qtbot.waitSignal(other_request.failed, timeout=60_000):
            release_other.set()
        assert dialog.running and dialog.result is None
        assert "could not run" not in dialog.status.text()
        release_benchmark.set()
        qtbot.waitUntil(lambda: dialog.result is not None, timeout=60_000)
        assert not dialog.running
    finally:
        release_other.set()
        release_benchmark.set()
        bridge.shutdown()


def test_a_failed_run_says_why_and_allows_another(qtbot):
    engine = FakeEngine(["x"], n_ctx=64)  # too small a context for 64 tokens of reply
    engine.load("fake.gguf")
    bridge = ModelBridge(engine)
    try:
        dialog = BenchmarkDialog(bridge, decode_tokens=64)
        qtbot.addWidget(dialog)
        dialog.start_button.click()
        qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
        assert "The benchmark could not run" in dialog.status.text()
        assert "context is too small" in dialog.status.text()
        assert dialog.result is None and dialog.start_button.isEnabled()
    finally:
        bridge.shutdown()


def test_closing_the_dialog_stops_the_run(qtbot):
    engine = FakeEngine([" ".join(["word"] * 400)], n_ctx=2048, token_delay=0.05)
    engine.load("fake.gguf")
    bridge = ModelBridge(engine)
    try:
        dialog = BenchmarkDialog(bridge, prompt_tokens=32, decode_tokens=300)
        qtbot.addWidget(dialog)
        dialog.start()
        request = dialog.request
        assert request is not None
        qtbot.waitUntil(lambda: dialog.progress.value() > 10, timeout=60_000)
        dialog.reject()
        assert request.stopped
        qtbot.waitUntil(lambda: dialog.result is not None, timeout=60_000)
        assert dialog.result.cancelled
        assert dialog.result.decode_tokens < 300
    finally:
        bridge.shutdown()
