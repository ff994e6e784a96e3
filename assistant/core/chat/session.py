"""The chat's state, kept outside any window: what runs now, for which conversation, and what is allowed.

One :class:`ChatSession` holds one explicit :class:`ChatState` and the conversation that
owns the running turn (its model request, its calendar job, its proposal cards). Every
action asks :meth:`ChatSession.refusal` first and gets either None (go ahead) or the
sentence to show the user, so the window's enabled states and its refusals come from
one place and cannot disagree.

The rules, in short:

* While the model replies or the calendar is read, the turn's conversation cannot be
  left, replaced or deleted (that would orphan the reply): only Stop, Rename and Export.
* While proposals await the user, nothing runs: other conversations may be opened (the
  cards stay with their own conversation and come back with it), but no new turn starts
  anywhere until the cards are decided or dismissed with Stop, and the owning
  conversation cannot be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChatState(StrEnum):
    IDLE = "idle"
    STREAMING = "streaming"  # the model decides on or writes a reply
    RUNNING_TOOLS = "running tools"  # the calendar is being read for the reply
    AWAITING_CONFIRMATION = "awaiting confirmation"  # proposal cards wait for the user


class Action(StrEnum):
    SEND = "send"
    REGENERATE = "regenerate"
    EDIT = "edit"  # edit a sent message and resend it
    STOP = "stop"
    NEW = "new"
    SWITCH = "switch"
    DELETE = "delete"
    RENAME = "rename"
    SYSTEM_PROMPT = "system prompt"
    CHOOSE_ENGINE = "choose engine"
    EXPORT = "export"


#: Actions that start a turn: they need a model and an idle session.
TURN_ACTIONS = frozenset({Action.SEND, Action.REGENERATE, Action.EDIT})
#: Actions that never disturb a running turn.
ALWAYS = frozenset({Action.RENAME, Action.EXPORT})
#: Actions that need a conversation on screen.
NEEDS_CONVERSATION = frozenset({Action.REGENERATE, Action.EDIT, Action.DELETE, Action.RENAME,
                                Action.SYSTEM_PROMPT, Action.CHOOSE_ENGINE, Action.EXPORT})

BUSY_REASONS = {
    ChatState.STREAMING: "Wait for the reply to finish, or press Stop (Esc).",
    ChatState.RUNNING_TOOLS: "Wait for the calendar to answer, or press Stop (Esc).",
}


@dataclass
class ChatSession:
    """The chat's state machine (no Qt): who owns the turn, and which actions are allowed now."""

    state: ChatState = ChatState.IDLE
    conversation_id: int | None = None  # the conversation on screen
    turn_conversation: int | None = None  # the conversation the running turn belongs to
    pending_calls: set[str] = field(default_factory=set)  # proposals of the turn awaiting the user
    model_problem: str | None = "No model is loaded yet."  # why no reply can start (None: a model is ready)
    titles: dict[int, str] = field(default_factory=dict)  # conversation titles, for the reasons shown

    # -- questions --------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.state is not ChatState.IDLE

    def owns(self, conversation_id: int | None) -> bool:
        """Whether ``conversation_id`` holds the running turn (its reply, calendar job or cards)."""
        return self.busy and conversation_id is not None and conversation_id == self.turn_conversation

    def refusal(self, action: Action) -> str | None:
        """None when ``action`` may run now; otherwise the reason to show the user."""
        if action in NEEDS_CONVERSATION and self.conversation_id is None:
            return "Open or start a conversation first."
        if action in ALWAYS:
            return None
        if action is Action.STOP:
            return None if self.busy else "Nothing is running."
        if self.state in BUSY_REASONS:
            return BUSY_REASONS[self.state]
        if self.state is ChatState.AWAITING_CONFIRMATION:
            if action in (Action.NEW, Action.SWITCH):
                return None
            if action in (Action.DELETE, Action.CHOOSE_ENGINE, Action.SYSTEM_PROMPT) and not self.owns(self.conversation_id):
                return None
            where = self.titles.get(self.turn_conversation or -1)
            place = f" in “{where}”" if where and not self.owns(self.conversation_id) else ""
            return f"Add or cancel the proposed event{place} first, or press Stop (Esc) to dismiss it."
        if action in TURN_ACTIONS and self.model_problem:
            return self.model_problem
        return None

    def allowed(self, action: Action) -> bool:
        return self.refusal(action) is None

    def can_send(self) -> bool:
        return self.allowed(Action.SEND)

    # -- transitions --------------------------------------------------------------------------
    def show(self, conversation_id: int | None) -> None:
        self.conversation_id = conversation_id

    def begin_turn(self) -> int:
        """A reply starts in the conversation on screen (the user spoke); returns it."""
        if self.conversation_id is None:
            raise RuntimeError("a turn needs a conversation")
        self.turn_conversation = self.conversation_id
        self.pending_calls.clear()
        self.state = ChatState.STREAMING
        return self.turn_conversation

    def reply_again(self) -> None:
        """The model answers again within the same turn (after tool results)."""
        self._need_turn()
        self.state = ChatState.STREAMING

    def run_tools(self) -> None:
        self._need_turn()
        self.state = ChatState.RUNNING_TOOLS

    def propose(self, call_id: str) -> None:
        self._need_turn()
        self.pending_calls.add(call_id)

    def tools_done(self) -> bool:
        """The calendar answered: True when no proposal waits, so the model may answer at once."""
        self._need_turn()
        if self.pending_calls:
            self.state = ChatState.AWAITING_CONFIRMATION
            return False
        return True

    def decided(self, call_id: str) -> bool:
        """The user decided on a proposal: True when it was the turn's last one (the model answers next)."""
        if call_id not in self.pending_calls:
            return False
        self.pending_calls.discard(call_id)
        return not self.pending_calls and self.state is ChatState.AWAITING_CONFIRMATION

    def end_turn(self) -> None:
        self.state = ChatState.IDLE
        self.turn_conversation = None
        self.pending_calls.clear()

    def forget(self, conversation_id: int) -> None:
        """A conversation was deleted."""
        self.titles.pop(conversation_id, None)
        if self.conversation_id == conversation_id:
            self.conversation_id = None

    def _need_turn(self) -> None:
        if self.turn_conversation is None:
            raise RuntimeError("no turn is running")
