"""The setup wizard's speed-check step on its own: a measured speed, a failed check, a failed load."""

from __future__ import annotations

from assistant.core.engines.fake import FakeEngine
from assistant.ui.setup_speed_check import SpeedCheckPage
from tests.support.ui_helpers import open_window


def _page(qtbot, engine) -> SpeedCheckPage:
    """The page on a window's model worker (the window shuts the worker down when the test ends)."""
    page = SpeedCheckPage(open_window(qtbot, engine).bridge)
    qtbot.addWidget(page)
    return page


def test_the_measured_speed_is_reported_and_only_once(qtbot):
    page = _page(qtbot, FakeEngine(["word " * 50]))
    speeds: list[float] = []
    page.measured.connect(speeds.append)
    page.start("model.gguf", 2048, 0.5)
    qtbot.waitUntil(lambda: bool(speeds), timeout=60_000)
    assert speeds[0] > 0 and page.bar.maximum() == 1
    page.show_result("Ready.", "Tiny build")
    assert page.done_button.isEnabled() and page.smaller_button.text() == "Download Tiny build instead"
    with qtbot.waitSignal(page.bridge.worker.taskFinished, timeout=60_000):  # another task on the same worker
        page.bridge.run_task(lambda engine, stop, progress: 1.0)
    assert len(speeds) == 1  # not taken for the speed check
    page.stop()


def test_a_failing_check_still_lets_the_user_start_chatting(qtbot):
    def broken(_messages, _params) -> str:
        raise RuntimeError("the engine broke")

    page = _page(qtbot, FakeEngine(broken))
    page.start("model.gguf", 2048, 0.5)
    qtbot.waitUntil(page.done_button.isEnabled, timeout=60_000)
    assert "The speed check failed" in page.label.text() and "the engine broke" in page.label.text()
    assert page.smaller_button.isHidden()
    page.stop()


def test_a_model_that_cannot_load_is_said_so(qtbot, tmp_path):
    bad = tmp_path / "not-a-model.gguf"
    bad.write_text("hello")
    page = _page(qtbot, FakeEngine(validate_files=True))
    page.start(str(bad), 2048, 0.5)
    qtbot.waitUntil(lambda: "could not be loaded" in page.label.text(), timeout=60_000)
    assert not page.done_button.isEnabled()
    page.stop()
