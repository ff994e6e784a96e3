"""The chat window driving the real SmolLM2 model on the worker thread."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import Qt

from assistant.core.engines.llama import LlamaCppEngine
from assistant.core.store import PARTIAL, Store
from assistant.ui.worker import Request
from tests.support.ui_helpers import close_window, open_window, send_and_wait

pytestmark = pytest.mark.real_model


def _small_context_store() -> Store:
    """A 1024-token context keeps SmolLM2's replies (which can ramble) short in tests."""
    store = Store()
    store.set_setting("context_size", 1024)
    store.set_setting("chat_tools", False)
    return store


def test_streaming_reply_from_the_real_model_arrives_in_the_chat(qtbot, smollm_path):
    window = open_window(qtbot, LlamaCppEngine(), str(smollm_path), _small_context_store())
    assert window.model_info is not None, window.error_box and window.error_box.text()
    batches = []
    window.bridge.worker.tokens.connect(lambda _id, text: batches.append(text))
    assert window.send("List three fruits.")
    qtbot.waitUntil(lambda: window.request is None, timeout=120_000)
    reply = window.chat_view.bubbles[-1]
    assert reply.role == "assistant" and reply.text.strip()
    assert "".join(batches) == reply.text
    saved = window.store.messages(window.conversation_id)[-1]
    assert saved.content == reply.text and saved.stats["completion_tokens"] > 0
    assert "tokens/s" in window.speed_label.text()
    close_window(window)


def test_stop_during_generation_ends_it_within_one_token(qtbot, smollm_path, monkeypatch):
    engine = LlamaCppEngine()
    window = open_window(qtbot, engine, str(smollm_path), _small_context_store())
    counted: list[int] = []
    original_stop = Request.stop

    def stop(request: Request) -> None:  # the count at the moment the event is set, however busy the machine
        counted.append(engine.last_stats.completion_tokens)
        original_stop(request)

    monkeypatch.setattr(Request, "stop", stop)
    assert window.send("Write a very long story about the sea, with many chapters.")
    qtbot.waitUntil(lambda: len(window.reply_text) > 10, timeout=120_000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    tokens_at_stop = counted[0]
    qtbot.waitUntil(lambda: window.request is None, timeout=60_000)
    stats = engine.last_stats
    assert stats.finish_reason == "cancelled"
    # The token being sampled when the event was set may finish, and the count may have been read
    # just before the worker added one: at most two more than counted when Stop set the event.
    assert stats.completion_tokens <= tokens_at_stop + 2
    assert window.store.messages(window.conversation_id)[-1].status == PARTIAL
    close_window(window)


def test_second_turn_evaluates_only_the_new_tokens(qtbot, smollm_path):
    engine = LlamaCppEngine()
    window = open_window(qtbot, engine, str(smollm_path), _small_context_store())
    send_and_wait(qtbot, window, "Hello! Who are you?", timeout=120_000)
    send_and_wait(qtbot, window, "What can you do?", timeout=120_000)
    stats = engine.last_stats
    assert stats.prompt_tokens_evaluated < stats.prompt_tokens / 2, stats
    close_window(window)


CLOSE_SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from assistant.core.engines.llama import LlamaCppEngine
    from assistant.core.store import Store
    from assistant.ui.app import create_window

    app = QApplication([])
    window = create_window(Store(), LlamaCppEngine(), sys.argv[1])
    window.show()

    def send_when_ready():
        if window.model_info is None:
            QTimer.singleShot(50, send_when_ready)
            return
        window.send("Write a very long story about mountains.")
        QTimer.singleShot(50, close_when_streaming)

    def close_when_streaming():
        if len(window.reply_text) < 5:
            QTimer.singleShot(20, close_when_streaming)
            return
        print("closing while generating", flush=True)
        window.close()
        QTimer.singleShot(0, app.quit)

    send_when_ready()
    sys.exit(app.exec())
    """
)


def test_closing_the_window_mid_generation_exits_cleanly(tmp_path, smollm_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LLAMA_DESK_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-c", CLOSE_SCRIPT, str(smollm_path)], env=env, capture_output=True, text=True, timeout=180
    )
    assert "closing while generating" in result.stdout
    assert result.returncode == 0, result.stderr
    assert "QThread: Destroyed while thread" not in result.stderr
    store = Store(tmp_path / "data" / "history.sqlite3")
    [conversation] = store.list_conversations()
    reply = store.messages(conversation.id)[-1]
    assert reply.role == "assistant" and reply.status == PARTIAL and reply.content.strip()
