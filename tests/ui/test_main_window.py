"""The chat window with a scripted engine: sending, history, overflow, errors, controls."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from assistant.core.engines.fake import FakeEngine
from assistant.core.store import COMPLETE, PARTIAL, Store
from tests.support.ui_helpers import close_window, open_window, send_and_wait


@pytest.fixture
def fake_model(tmp_path):
    path = tmp_path / "fake-model.gguf"
    path.write_text("fake")
    return str(path)


def test_reply_streams_into_the_chat_and_is_saved(qtbot, fake_model):
    window = open_window(qtbot, FakeEngine(["**Paris** is the capital of France."]), fake_model)
    send_and_wait(qtbot, window, "What is the capital of France?")
    bubbles = window.chat_view.bubbles
    assert [b.role for b in bubbles] == ["user", "assistant"]
    assert bubbles[1].text == "**Paris** is the capital of France."
    assert bubbles[1].body.textFormat() == Qt.TextFormat.MarkdownText
    [conversation] = window.store.list_conversations()
    assert conversation.title == "What is the capital of France?"
    saved = window.store.messages(conversation.id)
    assert [(m.role, m.content, m.status) for m in saved] == [
        ("user", "What is the capital of France?", COMPLETE),
        ("assistant", "**Paris** is the capital of France.", COMPLETE),
    ]
    assert "tokens/s" in window.speed_label.text()
    assert window.context_meter.value() > 0
    close_window(window)


def test_history_survives_a_restart_of_the_window(qtbot, fake_model):
    first = open_window(qtbot, FakeEngine(["Noted."]), fake_model)
    send_and_wait(qtbot, first, "Remember the blue folder.")
    close_window(first)
    first.store.close()

    second = open_window(qtbot, FakeEngine(["Again."]), None, Store())
    assert [b.text for b in second.chat_view.bubbles] == ["Remember the blue folder.", "Noted."]
    # The model chosen last time is remembered and loaded again.
    qtbot.waitUntil(lambda: second.model_info is not None, timeout=60_000)
    assert second.model_info.path.endswith("fake-model.gguf")
    close_window(second)


def test_enter_sends_and_shift_enter_adds_a_line(qtbot, fake_model):
    window = open_window(qtbot, FakeEngine(["ok"]), fake_model)
    window.input.setFocus()
    qtbot.keyClicks(window.input, "line one")
    qtbot.keyClick(window.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.input, "line two")
    assert window.input.toPlainText() == "line one\nline two"
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.request is None and len(window.chat_view.bubbles) == 2, timeout=60_000)
    assert window.chat_view.bubbles[0].text == "line one\nline two"
    close_window(window)


def test_overflow_leaves_out_old_turns_with_a_visible_saved_notice(qtbot, fake_model):
    engine = FakeEngine(["answer " * 30], n_ctx=600)
    window = open_window(qtbot, engine, fake_model)
    for turn in range(8):
        send_and_wait(qtbot, window, f"question {turn} " + "filler " * 40)
    notices = [b for b in window.chat_view.bubbles if b.role == "notice"]
    assert notices and "no longer sent to the model" in notices[0].text
    saved_roles = [m.role for m in window.store.messages(window.conversation_id)]
    assert "notice" in saved_roles
    assert saved_roles.count("user") == 8 and saved_roles.count("assistant") == 8  # nothing lost from history
    last_prompt = engine.calls[-1][0]
    assert all(m["role"] != "notice" for m in last_prompt)
    assert len(last_prompt) < 1 + 2 * 8  # older turns were left out of what the model saw
    close_window(window)


def test_corrupt_model_file_shows_a_dialog_and_the_app_stays_usable(qtbot, tmp_path, fake_model):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"this is not a model at all" * 100)
    window = open_window(qtbot, FakeEngine(["still here"], validate_files=True), str(bad))
    assert window.error_box is not None and window.error_box.isVisible()
    assert "not a GGUF model file" in window.error_box.text()
    assert window.model_info is None and not window.send_button.isEnabled()
    window.error_box.accept()
    # A good file afterwards works, and the bad one was not remembered.
    good = tmp_path / "good.gguf"
    good.write_bytes(bad.read_bytes())
    window.bridge.engine.validate_files = False
    window.open_model(str(good))
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=60_000)
    send_and_wait(qtbot, window, "hello?")
    assert window.chat_view.bubbles[-1].text == "still here"
    assert window.store.get_setting("model_path").endswith("good.gguf")
    close_window(window)


def test_stop_keeps_the_partial_reply_marked(qtbot, fake_model):
    window = open_window(qtbot, FakeEngine(["word " * 400], token_delay=0.01), fake_model)
    assert window.send("Tell me a long story")
    qtbot.waitUntil(lambda: len(window.reply_text) > 20, timeout=60_000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.request is None, timeout=60_000)
    reply = window.store.messages(window.conversation_id)[-1]
    assert reply.status == PARTIAL and 0 < len(reply.content) < len("word " * 400)
    assert window.chat_view.bubbles[-1].state.text() == "cut short"
    close_window(window)


def test_regenerate_replaces_the_last_reply(qtbot, fake_model):
    window = open_window(qtbot, FakeEngine(["first answer", "second answer"]), fake_model)
    send_and_wait(qtbot, window, "question")
    assert window.regenerate_button.isEnabled()
    window.regenerate()
    qtbot.waitUntil(lambda: window.request is None, timeout=60_000)
    assert [m.content for m in window.store.messages(window.conversation_id)] == ["question", "second answer"]
    assert [b.text for b in window.chat_view.bubbles] == ["question", "second answer"]
    close_window(window)


def test_conversations_new_rename_delete_and_system_prompt(qtbot, fake_model):
    engine = FakeEngine(["ok"])
    window = open_window(qtbot, engine, fake_model)
    send_and_wait(qtbot, window, "first chat")
    first = window.conversation_id
    second = window.new_conversation()
    window.store.set_system_prompt(second, "Answer like a pirate.")
    send_and_wait(qtbot, window, "second chat")
    system = engine.calls[-1][0][0]
    assert system["role"] == "system" and system["content"].endswith("Answer like a pirate.")
    window.store.set_setting("chat_tools", False)
    send_and_wait(qtbot, window, "no tools now")
    assert engine.calls[-1][0][0] == {"role": "system", "content": "Answer like a pirate."}
    window.rename_conversation(second, "Pirates")
    assert window.conversation_list.count() == 2
    assert {window.conversation_list.item(i).text() for i in range(2)} == {"Pirates", "first chat"}
    window.delete_conversation(second)
    assert [c.id for c in window.store.list_conversations()] == [first]
    assert window.conversation_id == first
    close_window(window)


def test_copy_button_puts_the_message_on_the_clipboard(qtbot, fake_model):
    from PySide6.QtGui import QGuiApplication

    window = open_window(qtbot, FakeEngine(["copy *me*"]), fake_model)
    send_and_wait(qtbot, window, "x")
    window.chat_view.bubbles[-1].copy_button.click()
    assert QGuiApplication.clipboard().text() == "copy *me*"
    close_window(window)


def test_engine_error_during_reply_becomes_a_notice(qtbot, fake_model):
    window = open_window(qtbot, FakeEngine(["x"], n_ctx=50), fake_model)
    send_and_wait(qtbot, window, "word " * 200)
    assert window.chat_view.bubbles[-1].role == "notice"
    assert "too long for the model" in window.chat_view.bubbles[-1].text
    assert [m.role for m in window.store.messages(window.conversation_id)] == ["user", "notice"]
    assert window.send_button.isEnabled()
    close_window(window)
