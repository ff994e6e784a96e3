"""The routed calendar path in the real window: decide on the worker, then a card or a prose reply."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from assistant.core.calendars import LocalCalendar, local_zone
from assistant.core.chat.route import DECISION_SCHEMA, ROUTE_MARKER
from assistant.core.engines.base import GenerationParams
from assistant.core.engines.fake import FakeEngine
from tests.support.ui_helpers import close_window, open_window, send_and_wait


@pytest.fixture
def fake_model(tmp_path):
    path = tmp_path / "fake-model.gguf"
    path.write_text("fake")
    return str(path)


def routed(action: str, fields: dict | None = None, prose: str = "Happy to help.") -> FakeEngine:
    def script(messages, params: GenerationParams) -> str:
        if params.json_schema == DECISION_SCHEMA:
            return json.dumps({"action": action})
        if params.json_schema is not None:
            return json.dumps(fields or {})
        assert not params.tools and ROUTE_MARKER not in messages[-1].get("content", "")
        return prose

    return FakeEngine(script, constrained_output=True)


def _events() -> list:
    zone = local_zone()
    now = datetime.now(zone)
    return LocalCalendar(zone=zone).list_events(now - timedelta(days=1), now + timedelta(days=30))


def test_a_calendar_request_becomes_a_card_and_only_the_click_writes(qtbot, fake_model):
    fields = {"title": "Lunch with Maya", "when": "tomorrow at 12:30", "end": "", "duration_minutes": 0}
    engine = routed("create_event", fields, prose="It is in your calendar.")
    window = open_window(qtbot, engine, fake_model)
    send_and_wait(qtbot, window, "Put lunch with Maya on my calendar tomorrow at 12:30")
    [card] = window.pending_cards.values()
    assert _events() == [] and "12:30" in card.when_label.text()
    assert "Proposes an event" in window.chat_view.bubbles[-1].display
    card.add_button.click()
    qtbot.waitUntil(lambda: window.request is None and not window.pending_cards, timeout=60_000)
    [event] = _events()
    assert event.title == "Lunch with Maya"
    assert window.chat_view.bubbles[-1].text == "It is in your calendar."  # the follow-up is prose
    close_window(window)


def test_chit_chat_gets_a_prose_reply_and_no_card(qtbot, fake_model):
    engine = routed("reply", prose="Christmas is on a Friday this year.")
    window = open_window(qtbot, engine, fake_model)
    send_and_wait(qtbot, window, "What day is Christmas?")
    assert window.pending_cards == {} and _events() == []
    assert window.chat_view.bubbles[-1].text == "Christmas is on a Friday this year."
    assert len(engine.calls) == 2  # one decision, one reply
    assert window.send_button.isEnabled()
    close_window(window)


def test_stop_while_deciding_starts_no_reply(qtbot, fake_model):
    engine = routed("reply")
    engine.token_delay = 0.2  # the decision takes a while
    window = open_window(qtbot, engine, fake_model)
    assert window.send("Hello there")
    qtbot.waitUntil(lambda: window.request is not None, timeout=60_000)
    window.stop()
    qtbot.waitUntil(lambda: window.request is None, timeout=60_000)
    assert len(engine.calls) == 1 and window.send_button.isEnabled()
    close_window(window)
