"""The confirmation card with a slow calendar server: checks and writes never freeze the window."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

from assistant.core.calendars import CalendarError, EventDraft, LocalCalendar, local_zone
from assistant.ui.event_card import EventCard


class SlowCalendar(LocalCalendar):
    """A local calendar behind a server that answers only once ``release`` is set."""

    def __init__(self, path: Path, release: threading.Event, fail_writes: bool = False) -> None:
        super().__init__(path, zone=local_zone())
        self.release, self.fail_writes = release, fail_writes

    def list_events(self, start, end):
        assert self.release.wait(60)
        return super().list_events(start, end)

    def add_event(self, event):
        assert self.release.wait(60)
        if self.fail_writes:
            raise CalendarError("The server refused the event (HTTP 507).")
        return super().add_event(event)


def _card(qtbot, calendar: LocalCalendar, owned_by_test: bool = True) -> EventCard:
    zone = local_zone()
    draft = EventDraft.from_arguments(
        {"title": "Review", "start": "tomorrow at 3pm", "duration_minutes": 30}, now=datetime.now(zone), zone=zone.key, calendar="local"
    )
    card = EventCard(draft, open_calendar_named=lambda _name: calendar, names=["local"])
    if owned_by_test:
        qtbot.addWidget(card)
    return card


def _events(calendar: LocalCalendar) -> list:
    now = datetime.now(local_zone())
    return LocalCalendar(calendar.path, zone=local_zone()).list_events(now, now + timedelta(days=3))


def test_an_edit_is_checked_on_a_thread_and_a_click_meanwhile_saves_after_the_check(qtbot, tmp_path):
    release = threading.Event()
    calendar = SlowCalendar(tmp_path / "calendar.ics", release)
    card = _card(qtbot, calendar)
    card.fields["title"].setText("Design review")
    card.fields["title"].editingFinished.emit()  # returns at once: the check waits for the server
    assert card.status_label.text() == "Checking the calendar…" and card.add_button.isEnabled()
    with qtbot.waitSignal(card.decided, timeout=60_000) as decided:
        assert card.confirm()
        assert "then saving" in card.status_label.text() and _events(calendar) == []
        qtbot.wait(100)  # the event loop runs while the server is silent
        release.set()
    assert decided.args[0].title == "Design review" and decided.args[2] == "Saved to “local”."
    assert [e.title for e in _events(calendar)] == ["Design review"]
    assert not card.confirm()  # once only


def test_a_refused_write_says_so_and_the_card_stays_usable(qtbot, tmp_path):
    release = threading.Event()
    release.set()
    calendar = SlowCalendar(tmp_path / "calendar.ics", release, fail_writes=True)
    card = _card(qtbot, calendar)
    assert card.confirm() and not card.add_button.isEnabled() and not card.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not card.saving, timeout=60_000)
    assert card.status_label.text() == "Not saved: The server refused the event (HTTP 507)."
    assert card.add_button.isEnabled() and not card.done and not card.draft.confirmed
    calendar.fail_writes = False
    with qtbot.waitSignal(card.decided, timeout=60_000):
        card.add_button.click()
    assert len(_events(calendar)) == 1


def test_shutdown_waits_for_a_write_and_drops_its_answer(qtbot, tmp_path):
    release = threading.Event()
    calendar = SlowCalendar(tmp_path / "calendar.ics", release)
    card = _card(qtbot, calendar)
    decided: list = []
    card.decided.connect(lambda *args: decided.append(args))
    assert card.confirm()
    threading.Timer(0.3, release.set).start()
    card.shutdown()
    qtbot.wait(100)
    assert card.calls.running == [] and decided == []  # the write finished; the closed card reports nothing
    assert len(_events(calendar)) == 1


def test_a_card_cancelled_and_deleted_while_its_check_runs_lets_the_check_end(qtbot, tmp_path):
    from assistant.ui import jobs

    release = threading.Event()
    card = _card(qtbot, SlowCalendar(tmp_path / "calendar.ics", release), owned_by_test=False)
    card.fields["title"].setText("Design review")
    card.fields["title"].editingFinished.emit()
    [call] = card.calls.running
    card.cancel()  # the user may now leave the conversation: the card goes away
    card.deleteLater()
    qtbot.wait(50)
    assert call.isRunning() and call in jobs.running()  # kept alive, not destroyed with the card
    release.set()
    qtbot.waitUntil(lambda: call not in jobs.running(), timeout=60_000)
    assert call.isFinished()
