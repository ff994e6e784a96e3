"""A window busy with a reply refuses to switch, create or delete conversations, and never gets stuck."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from assistant.core.engines.fake import FakeEngine
from tests.support.ui_helpers import close_window, open_window, send_and_wait


@pytest.fixture
def fake_model(tmp_path):
    path = tmp_path / "fake-model.gguf"
    path.write_text("fake")
    return str(path)


def test_ctrl_n_during_a_reply_is_refused_and_the_window_stays_usable(qtbot, fake_model):
    engine = FakeEngine(["word " * 60, "Second answer."], token_delay=0.02)
    window = open_window(qtbot, engine, fake_model)
    window.store.set_setting("chat_tools", False)
    assert window.send("Write a very long story.")
    first = window.conversation_id
    qtbot.waitUntil(lambda: len(window.reply_text) > 10, timeout=60_000)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # the shortcut of New chat
    window._new_clicked()  # and the action itself
    assert window.conversation_id == first and len(window.store.list_conversations()) == 1
    assert not any(action.isEnabled() for action in window.busy_actions)
    qtbot.waitUntil(lambda: window.request is None, timeout=60_000)
    assert window.chat_view.bubbles[-1].text.strip() == ("word " * 60).strip()
    assert all(action.isEnabled() for action in window.busy_actions) and window.send_button.isEnabled()
    send_and_wait(qtbot, window, "And another one?")
    assert window.chat_view.bubbles[-1].text == "Second answer."
    close_window(window)
