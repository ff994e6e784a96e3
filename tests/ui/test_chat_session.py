"""The chat's state in the real window: what is refused while a reply, a calendar read or a card is pending,
where cards and results go, Stop with cards, and a failed model load."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from PySide6.QtCore import Qt

from assistant.core.calendars import LocalCalendar, local_zone
from assistant.core.chat.session import ChatState
from assistant.core.engines.base import ModelFileError
from assistant.core.engines.fake import FakeEngine
from tests.support.ui_helpers import close_window, open_window, send_and_wait
from tests.ui.slow_calendar import SlowCalendar

CALL = json.dumps(
    {"name": "create_calendar_event", "parameters": {"title": "Follow-up with Dana", "start": "Tuesday next week at 3pm", "duration_minutes": 30}}
)
LISTING = json.dumps({"name": "list_calendar_events", "parameters": {"start": "today", "end": "in two weeks"}})


def _events() -> list:
    zone = local_zone()
    now = datetime.now(zone)
    return LocalCalendar(zone=zone).list_events(now - timedelta(days=1), now + timedelta(days=30))


def _roles(window, conversation_id: int) -> list[str]:
    return [m.role for m in window.store.messages(conversation_id)]


def _streaming(qtbot, fake_model):
    """A window with two conversations, the second one streaming a long reply."""
    engine = FakeEngine(["Short.", "word " * 200, "Next answer."], token_delay=0.01)
    window = open_window(qtbot, engine, fake_model)
    window.store.set_setting("chat_tools", False)
    send_and_wait(qtbot, window, "first")
    first = window.conversation_id
    second = window.new_conversation()
    assert window.send("Write a very long story.")
    qtbot.waitUntil(lambda: len(window.reply_text) > 10, timeout=60_000)
    return window, first, second


def _reading_the_calendar(qtbot, fake_model, monkeypatch):
    """A window whose reply asked to read a calendar that has not answered yet."""
    from assistant.ui import calendar_jobs

    release = threading.Event()
    monkeypatch.setattr(calendar_jobs, "open_calendar", lambda name, zone: SlowCalendar(release))
    engine = FakeEngine(["Short.", LISTING, "You have nothing planned.", "Another answer."])
    window = open_window(qtbot, engine, fake_model)
    window.store.set_setting("chat_tools", False)
    send_and_wait(qtbot, window, "first")
    first = window.conversation_id
    window.store.set_setting("chat_tools", True)
    second = window.new_conversation()
    assert window.send("Am I free next week?")
    qtbot.waitUntil(lambda: window.tool_job is not None, timeout=60_000)
    return window, engine, release, first, second


def _assert_refusals_keep(window, first: int, second: int) -> None:
    """New chat, delete and switching are refused, visibly, and the turn's conversation stays."""
    assert window.new_conversation() is None
    assert "press Stop" in window.statusBar().currentMessage()
    window.statusBar().clearMessage()
    assert not window.delete_conversation(second)
    assert "press Stop" in window.statusBar().currentMessage()
    item = next(window.conversation_list.item(i) for i in range(window.conversation_list.count())
                if window.conversation_list.item(i).data(Qt.ItemDataRole.UserRole) == first)
    window.conversation_list.setCurrentItem(item)  # what a click does
    assert window.conversation_id == second
    assert window.conversation_list.currentItem().data(Qt.ItemDataRole.UserRole) == second
    assert {c.id for c in window.store.list_conversations()} == {first, second}
    assert not window.new_button.isEnabled() and not window.conversation_list.isEnabled()
    assert not any(action.isEnabled() for action in window.busy_actions)


def test_new_delete_and_switch_during_a_reply_are_refused_and_the_reply_lands(qtbot, fake_model):
    window, first, second = _streaming(qtbot, fake_model)
    _assert_refusals_keep(window, first, second)
    qtbot.waitUntil(lambda: window.request is None, timeout=60_000)
    assert window.store.messages(second)[-1].content.strip() == ("word " * 200).strip()
    assert window.chat_view.bubbles[-1].text.strip() == ("word " * 200).strip()
    assert window.select_conversation(first) and window.delete_conversation(second)
    close_window(window)


def test_new_delete_and_switch_during_a_calendar_read_are_refused(qtbot, fake_model, monkeypatch):
    window, engine, release, first, second = _reading_the_calendar(qtbot, fake_model, monkeypatch)
    _assert_refusals_keep(window, first, second)
    release.set()
    qtbot.waitUntil(lambda: window.request is None and window.tool_job is None and len(engine.calls) == 3, timeout=60_000)
    assert _roles(window, second) == ["user", "assistant", "tool", "assistant"]
    assert _roles(window, first) == ["user", "assistant"]
    close_window(window)


def test_enter_during_a_calendar_read_starts_no_second_reply(qtbot, fake_model, monkeypatch):
    window, engine, release, _first, second = _reading_the_calendar(qtbot, fake_model, monkeypatch)
    window.input.setFocus()
    qtbot.keyClicks(window.input, "and tomorrow?")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    assert window.input.toPlainText() == "and tomorrow?"  # kept for later, not sent
    assert "calendar" in window.statusBar().currentMessage()
    assert window.request is None and len(engine.calls) == 2 and _roles(window, second) == ["user", "assistant"]
    release.set()
    qtbot.waitUntil(lambda: window.chat.session.state is ChatState.IDLE and len(engine.calls) == 3, timeout=60_000)
    assert window.chat_view.bubbles[-1].text == "You have nothing planned."
    qtbot.keyClick(window.input, Qt.Key.Key_Return)  # now it goes
    qtbot.waitUntil(lambda: window.chat.session.state is ChatState.IDLE and len(engine.calls) == 4, timeout=60_000)
    assert _roles(window, second)[-2:] == ["user", "assistant"]
    close_window(window)


def _card_in_first(qtbot, fake_model, engine=None):
    engine = engine or FakeEngine([CALL, "Done — it is in your calendar.", "Hello from the other chat."])
    window = open_window(qtbot, engine, fake_model)
    send_and_wait(qtbot, window, "Schedule a follow-up with Dana on Tuesday next week at 3")
    [card] = window.pending_cards.values()
    return window, engine, window.conversation_id, card


def test_cards_belong_to_their_conversation(qtbot, fake_model):
    window, engine, first, card = _card_in_first(qtbot, fake_model)
    assert card in window.chat_view.widgets() and card.isVisible()
    second = window.new_conversation()  # allowed: nothing runs while the card waits
    assert second is not None and window.conversation_id == second
    assert card not in window.chat_view.widgets() and not card.isVisible()
    assert not window.send("Hi there") and not window.send_button.isEnabled()  # no second turn while one waits
    assert "in “Schedule a follow-up" in window.statusBar().currentMessage()
    assert window.select_conversation(first)
    assert card in window.chat_view.widgets()
    qtbot.waitUntil(card.isVisible, timeout=60_000)
    card.add_button.click()
    qtbot.waitUntil(lambda: window.chat.session.state is ChatState.IDLE and len(engine.calls) == 2, timeout=60_000)
    assert window.select_conversation(second)
    assert card not in window.chat_view.widgets()  # a decided card does not follow into the next conversation
    assert [w for w in window.chat_view.widgets() if w.objectName() == "eventCard"] == []
    send_and_wait(qtbot, window, "Hi there")
    assert _roles(window, second) == ["user", "assistant"]
    close_window(window)


def test_a_decision_landing_while_another_conversation_is_shown_goes_to_its_own(qtbot, fake_model, monkeypatch):
    from assistant.ui import event_card

    release = threading.Event()
    real_write = event_card.write_event

    def slow_write(calendar, draft):
        assert release.wait(60)
        return real_write(calendar, draft)

    monkeypatch.setattr(event_card, "write_event", slow_write)
    window, engine, first, card = _card_in_first(qtbot, fake_model)
    card.add_button.click()  # the write waits for the server
    second = window.new_conversation()
    release.set()
    qtbot.waitUntil(lambda: window.chat.session.state is ChatState.IDLE and len(engine.calls) == 2, timeout=60_000)
    assert window.conversation_id == second and window.chat_view.bubbles == []  # nothing leaked onto this screen
    assert _roles(window, first) == ["user", "assistant", "tool", "assistant"]
    assert window.store.messages(first)[-1].content == "Done — it is in your calendar."
    assert window.store.messages(second) == [] and len(_events()) == 1
    close_window(window)


def test_stop_with_a_card_pending_dismisses_it_and_ends_the_turn(qtbot, fake_model):
    window, engine, first, card = _card_in_first(qtbot, fake_model)
    assert window.stop_button.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.pending_cards == {} and window.chat.session.state is ChatState.IDLE
    assert card.done and not card.add_button.isEnabled()
    assert window.send_button.isEnabled() and not window.stop_button.isEnabled()
    messages = window.store.messages(first)
    assert [m.role for m in messages] == ["user", "assistant", "tool", "notice"]
    assert json.loads(messages[2].content)["status"] != "saved" and "dismissed" in messages[3].content
    qtbot.wait(200)
    assert len(engine.calls) == 1 and _events() == []  # no follow-up reply, nothing written
    send_and_wait(qtbot, window, "never mind")
    assert window.chat.session.state is ChatState.IDLE
    close_window(window)


class _UnloadsFirst(FakeEngine):
    """Like the llama.cpp engine: the old model is unloaded before the new file is tried."""

    def load(self, path, *, n_ctx=None, progress=None):
        if "broken" in str(path):
            self.unload()
            raise ModelFileError("llama.cpp could not load broken.gguf. No model is loaded now.")
        return super().load(path, n_ctx=n_ctx, progress=progress)


def test_a_failed_load_shows_no_model_and_offers_a_way_out(qtbot, fake_model, tmp_path):
    window = open_window(qtbot, _UnloadsFirst(["still here"]), fake_model)
    assert window.send_button.isEnabled() and window.chat.session.can_send()
    broken = tmp_path / "broken.gguf"
    broken.write_text("x")
    window.open_model(str(broken))
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=60_000)
    assert "No model is loaded now" in window.error_box.text()
    assert any(b.text() == "Open another file…" for b in window.error_box.buttons())
    assert window.model_info is None and "load failed" in window.model_label.text()
    assert not window.send_button.isEnabled() and not window.send("hello?")
    assert "broken.gguf could not be opened" in window.chat_view.placeholder.text()
    window.error_box.accept()
    window.open_model(fake_model)  # the way out: another file
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=60_000)
    send_and_wait(qtbot, window, "hello?")
    assert window.chat_view.bubbles[-1].text == "still here"
    close_window(window)


def test_a_file_rejected_before_unloading_keeps_the_model_in_use(qtbot, fake_model, tmp_path):
    engine = FakeEngine(["still here"])
    window = open_window(qtbot, engine, fake_model)
    engine.validate_files = True
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model" * 100)
    window.open_model(str(bad))
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=60_000)
    assert "Still using fake-model" in window.error_box.text()
    assert window.model_info is not None and window.chat.session.can_send()
    send_and_wait(qtbot, window, "hello?")
    assert window.chat_view.bubbles[-1].text == "still here"
    close_window(window)
