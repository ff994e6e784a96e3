"""The calendar part of a chat turn: reads run as a job, proposals become cards owned by their conversation.

The loop itself is core's :class:`~assistant.core.chat.turn.ToolTurn`; the turn's state is the
controller's :class:`~assistant.core.chat.session.ChatSession`. Results always go to the
conversation that asked, even when another one is on screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from assistant.core import settings

if TYPE_CHECKING:  # the calendar stack is imported when the chat first needs it
    from assistant.core.calendars import EventDraft, TaskDraft
    from assistant.core.chat import ToolCall, ToolTurn
    from assistant.ui.calendar_jobs import CalendarCalls, ToolCallJob
    from assistant.ui.chat.controller import ChatController
    from assistant.ui.chat_view import MessageBubble
    from assistant.ui.event_card import EventCard


class ToolSteps:
    def __init__(self, chat: ChatController) -> None:
        self.chat = chat
        self.job: ToolCallJob | None = None  # the reply's calendar reads, running as a job
        self.calls: CalendarCalls | None = None  # made when the chat first uses the calendar
        self._turn: ToolTurn | None = None
        self.cards: dict[str, tuple[int, EventCard]] = {}  # call id -> (its conversation, the card awaiting the user)

    @property
    def turn(self) -> ToolTurn:
        if self._turn is None:
            from assistant.core.chat import ToolTurn

            self._turn = ToolTurn()
        return self._turn

    @property
    def pending(self) -> dict[str, EventCard]:
        return {call_id: card for call_id, (_conversation, card) in self.cards.items()}

    @property
    def owner(self) -> int:
        return self.chat.session.turn_conversation

    def begin(self) -> None:
        """The user spoke: the model may call tools again."""
        if self._turn is not None:
            self._turn.begin()

    def after_reply(self, reply: str, bubble: MessageBubble | None) -> None:
        """Run the tool calls in a finished reply: reads at once, proposals as cards."""
        from assistant.core.chat.display import describe_tool_calls

        step = self.turn.read_reply(reply)
        if not step.calls:
            if step.rejected:
                self.chat.add_message(self.owner, "notice",
                                      f"The model's calendar request could not be used, so nothing was done ({step.rejected}).")
            self.chat.end_turn()
            return
        if bubble is not None:
            bubble.display = describe_tool_calls(reply)
            bubble.set_text(bubble.text)
        if step.too_many:
            self.chat.add_message(self.owner, "notice", "The model kept calling calendar tools without answering, so Llama Desk stopped it.")
            self.chat.end_turn()
            return
        self.run(step.calls)

    def run(self, calls: list[ToolCall]) -> None:
        """Reads run as a calendar job; proposals come back as cards."""
        from assistant.core.calendars import local_zone
        from assistant.ui.calendar_jobs import CalendarCalls, ToolCallJob

        if self.calls is None:
            self.calls = CalendarCalls()
        self.chat.session.run_tools()
        zone = local_zone()
        job = ToolCallJob(calls, self.chat.store.get_setting(settings.CHAT_CALENDAR), zone, datetime.now(zone))
        self.job = self.calls.run(job, self._on_ran)
        self.chat.activity.emit("Reading the calendar…")
        self.chat.changed.emit()

    def _on_ran(self, job: ToolCallJob, outcomes: list | None, error: str) -> None:
        """The calendar answered: read results go back to the model, proposals become cards."""
        from assistant.ui.event_card import EventCard

        if not self.calls.finished(job) or job is not self.job:  # stopped, or the window closed
            return
        self.job = None
        self.chat.activity.emit("")
        owner = self.owner
        if error:
            for done in self.turn.failed(job.calls, error):
                self.chat.add_tool_result(owner, done)
            self.chat.start_reply()
            return
        for outcome in outcomes:
            done = self.turn.take_outcome(outcome)
            if done is not None:
                self.chat.add_tool_result(owner, done)
                continue
            call = outcome.call
            card = EventCard(outcome.draft)
            card.decided.connect(lambda draft, _written, message, call=call: self._on_decided(call, draft, message))
            self.cards[call.id] = (owner, card)
            self.chat.session.propose(call.id)
            if self.chat.shows(owner):
                self.chat.view.add_widget(card)
        if self.chat.session.tools_done():
            self.chat.start_reply()
        else:
            self.chat.changed.emit()

    def _on_decided(self, call: ToolCall, saved: EventDraft | TaskDraft | None, message: str) -> None:
        entry = self.cards.pop(call.id, None)
        if entry is None:
            return
        conversation_id = entry[0]
        if call.id not in self.chat.session.pending_calls:  # Stop ended the turn while this card was saving
            if saved is not None:
                self.chat.add_message(conversation_id, "notice", f"Saved after Stop: {message}")
            return
        self.chat.add_tool_result(conversation_id, self.turn.decide(call.id, saved))
        if self.chat.session.decided(call.id):
            self.chat.start_reply()
        else:
            self.chat.changed.emit()

    def show_cards(self, conversation_id: int | None) -> None:
        """Cards awaiting the user come back with their own conversation, and only with it."""
        for owner, card in self.cards.values():
            if owner == conversation_id:
                self.chat.view.add_widget(card)
                card.show()

    def stop_job(self) -> None:
        """The calendar has not answered yet: give up on it."""
        job, self.job = self.job, None
        owner = self.owner
        self.calls.drop(job)
        for done in self.turn.failed(job.calls, "Stopped by the user before the calendar answered."):
            self.chat.add_tool_result(owner, done)
        self.chat.add_message(owner, "notice", "Stopped before the calendar answered; nothing was written.")
        self.chat.activity.emit("")
        self.chat.end_turn()

    def dismiss_cards(self) -> None:
        """Stop while proposals wait: each is cancelled (the model hears so), and the turn ends without a reply."""
        owner = self.owner
        waiting = [call_id for call_id in self.chat.session.pending_calls if call_id in self.cards]
        results = [self.turn.decide(call_id, None) for call_id in waiting if call_id in self.turn.pending]
        self.chat.session.end_turn()  # from here a card's decision no longer starts a reply
        for call_id in waiting:
            card = self.cards[call_id][1]
            if not card.saving:  # a write on its way still reports (as a notice) when it lands
                del self.cards[call_id]
                card.cancel()
        for done in results:
            self.chat.add_tool_result(owner, done)
        self.chat.add_message(owner, "notice", "Stopped: the proposal was dismissed and nothing was written.")
        self.chat.changed.emit()

    def shutdown(self) -> None:
        """Wait for calendar answers still to come (at most the server's timeout) and drop them."""
        if self.calls is not None:
            self.calls.wait_all()
        self.job = None
        for _owner, card in self.cards.values():
            card.shutdown()
