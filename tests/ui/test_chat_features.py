"""Editing a sent message, exporting a conversation, and the send-key setting."""

from __future__ import annotations

from PySide6.QtCore import Qt

from assistant.core.chat.session import ChatState
from assistant.core.engines.fake import FakeEngine
from tests.support.ui_helpers import close_window, open_window, send_and_wait


def _contents(window, conversation_id: int) -> list[str]:
    return [m.content for m in window.store.messages(conversation_id)]


def _chat(qtbot, fake_model, replies):
    window = open_window(qtbot, FakeEngine(replies), fake_model)
    window.store.set_setting("chat_tools", False)
    send_and_wait(qtbot, window, "What is 2 + 2?")
    send_and_wait(qtbot, window, "And times 3?")
    return window


def _idle(window) -> bool:
    return window.chat.session.state is ChatState.IDLE


def test_edit_in_a_copy_keeps_the_old_branch(qtbot, fake_model):
    window = _chat(qtbot, fake_model, ["4", "12", "6"])
    original = window.conversation_id
    first_question = window.store.messages(original)[0]
    assert window.chat.edit(first_question.id, "What is 3 + 3?", keep_old=True)
    qtbot.waitUntil(lambda: _idle(window), timeout=60_000)
    copy = window.conversation_id
    assert copy != original
    assert _contents(window, original) == ["What is 2 + 2?", "4", "And times 3?", "12"]  # nothing lost
    assert _contents(window, copy) == ["What is 3 + 3?", "6"]
    assert [b.text for b in window.chat_view.bubbles] == ["What is 3 + 3?", "6"]
    assert window.store.get_conversation(copy).title.endswith("(edited)")
    close_window(window)


def test_edit_replacing_drops_what_followed_through_the_dialog(qtbot, fake_model):
    window = _chat(qtbot, fake_model, ["4", "12", "8"])
    conversation = window.conversation_id
    second_question = window.store.messages(conversation)[2]
    [bubble] = [b for b in window.chat_view.bubbles if b.message_id == second_question.id]
    assert bubble.edit_button.isVisibleTo(bubble)  # the user's messages can be edited
    assert not window.chat_view.bubbles[1].edit_button.isVisibleTo(window.chat_view.bubbles[1])  # replies cannot
    bubble.edit_button.click()
    dialog = window.edit_dialog
    assert dialog.text == "And times 3?"
    dialog.editor.setPlainText("And times 2?")
    dialog.replace_button.click()
    qtbot.waitUntil(lambda: _idle(window) and len(window.store.messages(conversation)) == 4, timeout=60_000)
    assert _contents(window, conversation) == ["What is 2 + 2?", "4", "And times 2?", "8"]
    assert len(window.store.list_conversations()) == 1
    close_window(window)


def test_edit_is_refused_during_a_reply(qtbot, fake_model):
    window = open_window(qtbot, FakeEngine(["short", "word " * 200], token_delay=0.01), fake_model)
    window.store.set_setting("chat_tools", False)
    send_and_wait(qtbot, window, "hi")
    question = window.store.messages(window.conversation_id)[0]
    assert window.send("tell me a story")
    qtbot.waitUntil(lambda: len(window.reply_text) > 5, timeout=60_000)
    assert not window.chat.edit(question.id, "hello", keep_old=False)
    assert window.ask_edit(question.id, "hi") is None and "press Stop" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: _idle(window), timeout=60_000)
    assert _contents(window, window.conversation_id)[0] == "hi"
    close_window(window)


def test_export_writes_the_conversation_as_markdown(qtbot, fake_model, tmp_path):
    window = _chat(qtbot, fake_model, ["**4**", "12"])
    path = window.chat.export_markdown(tmp_path / "chat.md")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# What is 2 + 2?\n")
    assert "## You\n\nWhat is 2 + 2?\n\n## Assistant\n\n**4**\n" in text
    # the reply, not a "12" in the export's time stamp (this failed when run between 12:00 and 12:59)
    assert text.index("And times 3?") < text.index("## Assistant\n\n12\n")
    close_window(window)


def test_ctrl_enter_sends_when_chosen_in_settings(qtbot, fake_model):
    window = open_window(qtbot, FakeEngine(["ok"]), fake_model)
    dialog = window.open_settings()
    dialog.send_key_box.setCurrentIndex(dialog.send_key_box.findData("ctrl+enter"))
    dialog.save()
    assert window.store.get_setting("send_key") == "ctrl+enter"
    assert "Ctrl+Enter to send" in window.input.placeholderText()
    window.input.setFocus()
    qtbot.keyClicks(window.input, "line one")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)  # a new line now
    qtbot.keyClicks(window.input, "line two")
    assert window.input.toPlainText() == "line one\nline two" and window.request is None
    qtbot.keyClick(window.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _idle(window) and len(window.chat_view.bubbles) == 2, timeout=60_000)
    assert window.chat_view.bubbles[0].text == "line one\nline two"
    close_window(window)


def test_the_send_key_is_read_at_start(qtbot, fake_model):
    from assistant.core.store import Store

    store = Store()
    store.set_setting("send_key", "ctrl+enter")
    window = open_window(qtbot, FakeEngine(["ok"]), fake_model, store)
    assert window.input.send_key == "ctrl+enter"
    store.set_setting("send_key", "enter")
    window.apply_settings()
    window.input.setFocus()
    qtbot.keyClicks(window.input, "hello")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _idle(window) and len(window.chat_view.bubbles) == 2, timeout=60_000)
    close_window(window)


def test_unloading_an_idle_model_is_set_in_settings(qtbot, fake_model):
    window = open_window(qtbot, FakeEngine(["ok"]), fake_model)
    assert window.bridge.worker.idle_unload_seconds is None  # off by default
    dialog = window.open_settings()
    dialog.idle_unload_box.setValue(15)
    dialog.save()
    assert window.store.get_setting("idle_unload_minutes") == 15
    assert window.bridge.worker.idle_unload_seconds == 15 * 60
    close_window(window)
