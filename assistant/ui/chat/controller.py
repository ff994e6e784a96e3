"""The chat controller: drives the model worker, the calendar jobs and the view from one ChatSession.

What may happen when lives in :class:`~assistant.core.chat.session.ChatSession`; this
class does the Qt work for each step of a turn (user message → optional routing → reply →
calendar reads → proposal cards → follow-up reply) and always for the conversation that
owns the turn, whichever one is on screen. A turn's messages go to the store of its own
conversation; bubbles and cards are shown only while that conversation is on screen.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from assistant.core import settings
from assistant.core.chat.prompt import DEFAULT_SYSTEM_PROMPT, PromptPlan
from assistant.core.chat.session import Action, ChatSession, ChatState
from assistant.core.chat.tools import TOOL_NAMES
from assistant.core.engines.base import GenerationParams, GenerationStats
from assistant.core.store import COMPLETE, PARTIAL, STREAMING, Store, StoredMessage
from assistant.ui.chat.engines import LOCAL, Engines
from assistant.ui.chat.requests import ModelRequest, RequestRouter
from assistant.ui.chat.tool_steps import ToolSteps
from assistant.ui.chat_view import ChatView, MessageBubble

if TYPE_CHECKING:
    from assistant.core.chat import ToolResult

#: A streaming reply is written to the database at most this often (seconds).
SAVE_INTERVAL = 1.0


@dataclass
class Reply:
    """The model request of the running turn: a routing decision (``route`` set) or a streamed reply."""

    request: ModelRequest
    router: RequestRouter
    conversation_id: int
    route: tuple[str, list[dict]] | None = None  # system prompt and history of the message being routed
    message: StoredMessage | None = None
    bubble: MessageBubble | None = None
    text: str = ""
    last_save: float = 0.0


class ChatController(QObject):
    """The chat's Qt bridge. The window wires its buttons and actions here and follows ``changed``."""

    changed = Signal()  # the state, the conversation on screen or its model changed: update the controls
    notice = Signal(str)  # a refusal or a note for the status bar
    activity = Signal(str)  # what the model is doing ("thinking…", "Reading the calendar…", its speed)
    contextUsed = Signal(int)
    editRequested = Signal(int, str)  # message id, text: the user asked to change a sent message
    conversationShown = Signal()  # another conversation (or its engine) is on screen

    def __init__(self, store: Store, engines: Engines, view: ChatView, conversation_list: QListWidget) -> None:
        super().__init__()
        self.store, self.engines, self.view, self.conversation_list = store, engines, view, conversation_list
        self.session = ChatSession()
        self.reply: Reply | None = None
        self.tools = ToolSteps(self)
        self._dropped: dict[int, int] = {}  # conversation -> turns left out of the prompt last time
        engines.changed.connect(self.sync_model)
        conversation_list.currentItemChanged.connect(self._on_clicked)
        view.editRequested.connect(self.editRequested)
        self.refresh_list()
        self.sync_model()

    # -- state ----------------------------------------------------------------------------
    @property
    def conversation_id(self) -> int | None:
        return self.session.conversation_id

    @property
    def engine_kind(self) -> str:
        conversation = self.store.get_conversation(self.conversation_id) if self.conversation_id else None
        return conversation.engine if conversation is not None else LOCAL

    @property
    def reply_text(self) -> str:
        return self.reply.text if self.reply is not None else ""

    def sync_model(self) -> None:
        """Whether the conversation on screen can get a reply depends on its engine."""
        self.session.model_problem = self.engines.problem(self.engine_kind)
        self.changed.emit()

    def refused(self, action: Action) -> bool:
        """Say why ``action`` cannot run now, if it cannot."""
        reason = self.session.refusal(action)
        if reason:
            self.notice.emit(reason)
        return reason is not None

    def shows(self, conversation_id: int | None) -> bool:
        return conversation_id is not None and conversation_id == self.conversation_id

    # -- conversations ---------------------------------------------------------------------------
    def refresh_list(self) -> None:
        self.conversation_list.blockSignals(True)
        self.conversation_list.clear()
        for conversation in self.store.list_conversations():
            self.session.titles[conversation.id] = conversation.title
            item = QListWidgetItem(conversation.title)
            item.setData(Qt.ItemDataRole.UserRole, conversation.id)
            self.conversation_list.addItem(item)
            if conversation.id == self.conversation_id:
                self.conversation_list.setCurrentItem(item)
        self.conversation_list.blockSignals(False)

    def new_conversation(self) -> int | None:
        """Start an empty conversation and show it (None when refused: the reason is shown)."""
        if self.refused(Action.NEW):
            return None
        return self._create()

    def _create(self, title: str = "New chat", system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> int:
        conversation = self.store.create_conversation(title, system_prompt)
        self.show(conversation.id)
        return conversation.id

    def select(self, conversation_id: int) -> bool:
        if conversation_id == self.conversation_id:
            return True
        if self.refused(Action.SWITCH):
            self.refresh_list()  # the list's highlight goes back to the conversation on screen
            return False
        self.show(conversation_id)
        return True

    def show(self, conversation_id: int | None) -> None:
        """Put ``conversation_id`` on screen: its messages, and its cards still awaiting the user."""
        self.session.show(conversation_id)
        self.refresh_list()
        self.view.clear()
        reply = self.reply
        if reply is not None:
            reply.bubble = None  # never touch a cleared bubble
        for message in self.messages():
            bubble = self.view.add_message(message.role, message.content, message.status,
                                           display_of(message.role, message.content), message_id=message.id)
            if reply is not None and reply.message is not None and message.id == reply.message.id:
                reply.bubble = bubble  # the reply streaming here goes on in its new bubble
                bubble.set_text(reply.text, STREAMING)
        self.tools.show_cards(conversation_id)
        self.sync_model()
        self.conversationShown.emit()

    def _on_clicked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.select(int(item.data(Qt.ItemDataRole.UserRole)))

    def delete(self, conversation_id: int) -> bool:
        """Delete a conversation, unless the running turn belongs to it (then the reason is shown)."""
        if self.shows(conversation_id):
            if self.refused(Action.DELETE):
                return False
        elif self.session.owns(conversation_id):
            self.notice.emit("That conversation is still busy: press Stop (Esc) in it first.")
            return False
        self.store.delete_conversation(conversation_id)
        self._dropped.pop(conversation_id, None)
        self.session.forget(conversation_id)
        if self.conversation_id is None:
            remaining = self.store.list_conversations()
            self.show(remaining[0].id if remaining else None)
        self.refresh_list()
        self.changed.emit()
        return True

    def rename(self, conversation_id: int, title: str) -> None:
        self.store.rename_conversation(conversation_id, title)
        self.refresh_list()

    def set_engine(self, kind: str) -> bool:
        if self.refused(Action.CHOOSE_ENGINE):
            return False
        self.store.set_conversation_engine(self.conversation_id, kind)
        self.sync_model()
        self.conversationShown.emit()
        return True

    def messages(self, conversation_id: int | None = None) -> list[StoredMessage]:
        conversation_id = self.conversation_id if conversation_id is None else conversation_id
        return self.store.messages(conversation_id) if conversation_id else []

    def export_markdown(self, path: str | Path) -> Path:
        """Write the conversation on screen as Markdown (the calendar steps in their readable form)."""
        from assistant.core.chat.export import conversation_markdown

        conversation = self.store.get_conversation(self.conversation_id)
        if conversation is None:
            raise ValueError("no conversation is open")
        target = Path(path)
        target.write_text(conversation_markdown(conversation, self.messages(), display_of), encoding="utf-8")
        return target

    # -- the user's turn ------------------------------------------------------------------------
    def send(self, text: str) -> bool:
        """Send ``text`` in the conversation on screen; returns whether a reply was started."""
        text = text.strip()
        if not text or self.refused(Action.SEND):
            return False
        if self.conversation_id is None:
            self._create()
        conversation_id = self.conversation_id
        if not any(m.role == "user" for m in self.messages()):
            self.rename(conversation_id, title_from(text))
        message = self.store.add_message(conversation_id, "user", text)
        self.view.add_message("user", text, message_id=message.id)
        self._begin_turn()
        return True

    def regenerate(self) -> bool:
        """Replace the last reply with a new one."""
        if self.refused(Action.REGENERATE):
            return False
        messages = self.messages()
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
        if last_user is None:
            return False
        for message in messages[last_user + 1 :]:
            self.store.delete_message(message.id)
        self.show(self.conversation_id)
        self._begin_turn()
        return True

    def edit(self, message_id: int, text: str, *, keep_old: bool) -> bool:
        """Resend a sent message with new text. ``keep_old``: the conversation stays as it was and the
        edit continues in a copy; otherwise the message and everything after it are replaced."""
        text = text.strip()
        messages = self.messages()
        index = next((i for i, m in enumerate(messages) if m.id == message_id and m.role == "user"), None)
        if not text or index is None or self.refused(Action.EDIT):
            return False
        if keep_old:
            original = self.store.get_conversation(self.conversation_id)
            copy = self.store.create_conversation(title_from(f"{original.title} (edited)"), original.system_prompt)
            self.store.set_conversation_engine(copy.id, original.engine)
            for message in messages[:index]:
                self.store.add_message(copy.id, message.role, message.content, status=message.status)
            target = copy.id
        else:
            for message in messages[index:]:
                self.store.delete_message(message.id)
            target = self.conversation_id
        self.store.add_message(target, "user", text)
        self.show(target)
        self._begin_turn()
        return True

    def stop(self) -> None:
        """Stop what the turn is doing: the reply, the calendar read, or the proposals awaiting the user."""
        if self.refused(Action.STOP):
            return
        if self.reply is not None:
            self.reply.request.stop()  # its end comes back from the worker and ends the turn
        elif self.session.state is ChatState.RUNNING_TOOLS:
            self.tools.stop_job()
        elif self.session.state is ChatState.AWAITING_CONFIRMATION:
            self.tools.dismiss_cards()

    def _begin_turn(self) -> None:
        self.session.begin_turn()
        self.tools.begin()
        self.start_reply()

    def end_turn(self) -> None:
        self.session.end_turn()
        self.changed.emit()

    # -- the model's reply ---------------------------------------------------------------------
    @property
    def tools_enabled(self) -> bool:
        return bool(self.store.get_setting(settings.CHAT_TOOLS))

    def start_reply(self) -> None:
        """Ask the model to answer the turn's conversation (after the user spoke, or after tool results)."""
        conversation_id = self.session.turn_conversation
        conversation = self.store.get_conversation(conversation_id) if conversation_id is not None else None
        if conversation is None:  # cannot happen while the turn holds it; never reply into nothing
            self.end_turn()
            return
        self.session.reply_again()
        router = self.engines.router_for(conversation.engine)
        history = [{"role": m.role, "content": m.content} for m in self.messages(conversation_id)]
        system, params = conversation.system_prompt, GenerationParams()
        if self.tools_enabled:
            from assistant.core.calendars import local_zone
            from assistant.core.chat import TOOLS
            from assistant.core.chat.actions import routed_system_prompt, uses_routing
            from assistant.core.chat.display import tools_system_prompt

            zone = local_zone()
            if uses_routing(router.bridge.engine):
                # Constrained path: decide first (the user just spoke), then reply in prose.
                extra = "" if system.strip() == DEFAULT_SYSTEM_PROMPT else system.strip()
                system = routed_system_prompt(datetime.now(zone), zone.key, extra)
                if history and history[-1]["role"] == "user":
                    self._route(router, conversation_id, system, history)
                    return
            else:
                system = tools_system_prompt(system, datetime.now(zone), zone.key)
                params = GenerationParams(tools=TOOLS)
        self._stream(router, conversation_id, system, history, params)

    def _route(self, router: RequestRouter, conversation_id: int, system: str, history: list[dict]) -> None:
        """Ask the model what to do with the user's message (a reply or a calendar action), off the GUI thread."""
        from assistant.core.chat.route import route_task

        request = router.run_task(lambda engine, stop, _progress: route_task(engine, system, history, stop))
        reply = self.reply = Reply(request, router, conversation_id, route=(system, history))
        request.answered.connect(lambda decided: self._on_routed(reply, decided))
        request.failed.connect(lambda message: self._on_failed(reply, message))
        self.activity.emit("thinking…")
        self.changed.emit()

    def _on_routed(self, reply: Reply, decided) -> None:
        if reply is not self.reply:
            return
        self.reply = None
        self.activity.emit("")
        if reply.request.stopped:
            self.end_turn()
            return
        if not decided.calls:
            system, history = reply.route
            self._stream(reply.router, reply.conversation_id, system, history, GenerationParams())
            return
        text = "\n".join(json.dumps({"name": c.name, "parameters": c.arguments}, ensure_ascii=False) for c in decided.calls)
        self.add_message(reply.conversation_id, "assistant", text)
        self.tools.run(decided.calls)

    def _stream(self, router: RequestRouter, conversation_id: int, system: str, history: list[dict], params: GenerationParams) -> None:
        request = router.chat(system, history, params)
        reply = self.reply = Reply(request, router, conversation_id, last_save=time.monotonic())
        reply.message = self.store.add_message(conversation_id, "assistant", "", status=STREAMING)
        if self.shows(conversation_id):
            reply.bubble = self.view.add_message("assistant", "", STREAMING, message_id=reply.message.id)
        request.planned.connect(lambda plan: self._on_planned(reply, plan))
        request.tokens.connect(lambda text: self._on_tokens(reply, text))
        request.finished.connect(lambda stats: self._on_finished(reply, stats))
        request.failed.connect(lambda message: self._on_failed(reply, message))
        self.activity.emit("thinking…")
        self.changed.emit()

    def _on_planned(self, reply: Reply, plan: PromptPlan) -> None:
        if reply is not self.reply:
            return
        self.contextUsed.emit(plan.prompt_tokens)
        conversation_id = reply.conversation_id
        previous = self._dropped.get(conversation_id, 0)
        self._dropped[conversation_id] = plan.dropped
        if plan.dropped and not previous and plan.notice and reply.message is not None:
            # The notice goes just before the reply, in the database and on screen.
            self.store.delete_message(reply.message.id)
            if reply.bubble is not None:
                self.view.remove_bubble(reply.bubble)
            self.add_message(conversation_id, "notice", plan.notice)
            reply.message = self.store.add_message(conversation_id, "assistant", "", status=STREAMING)
            if self.shows(conversation_id):
                reply.bubble = self.view.add_message("assistant", "", STREAMING, message_id=reply.message.id)

    def _on_tokens(self, reply: Reply, text: str) -> None:
        if reply is not self.reply:
            return
        reply.text += text
        if reply.bubble is not None:
            reply.bubble.append(text)
        now = time.monotonic()
        if reply.message is not None and now - reply.last_save >= SAVE_INTERVAL:
            self.store.update_message(reply.message.id, content=reply.text)
            reply.last_save = now

    def _on_finished(self, reply: Reply, stats: GenerationStats) -> None:
        if reply is not self.reply:
            return
        status = PARTIAL if stats.finish_reason == "cancelled" else COMPLETE
        self._end_reply(reply, status, stats)
        self.activity.emit(f"{stats.tokens_per_second:.1f} tokens/s  ·  first token {stats.time_to_first_token:.2f} s")
        self.contextUsed.emit(stats.prompt_tokens + stats.completion_tokens)
        if status == COMPLETE and self.tools_enabled:
            from assistant.core.chat.actions import uses_routing

            if not uses_routing(reply.router.bridge.engine):  # the routed path decided before the reply
                self.tools.after_reply(reply.text, reply.bubble)
                return
        self.end_turn()

    def _on_failed(self, reply: Reply, message: str) -> None:
        if reply is not self.reply:
            return
        self._end_reply(reply, PARTIAL, None)
        self.activity.emit("")
        self.add_message(reply.conversation_id, "notice", message)
        self.end_turn()

    def _end_reply(self, reply: Reply, status: str, stats: GenerationStats | None) -> None:
        self.reply = None
        if reply.message is None:
            return
        if reply.text or status == COMPLETE:
            self.store.update_message(reply.message.id, content=reply.text, status=status, stats=stats.as_dict() if stats else None)
            if reply.bubble is not None:
                reply.bubble.set_text(reply.text, status)
        else:  # nothing was written: leave no empty reply behind
            self.store.delete_message(reply.message.id)
            if reply.bubble is not None:
                self.view.remove_bubble(reply.bubble)

    # -- shared with the tool steps ----------------------------------------------------------------
    def add_message(self, conversation_id: int, role: str, content: str) -> None:
        """Save a message in its conversation; show it when that conversation is on screen."""
        message = self.store.add_message(conversation_id, role, content)
        if self.shows(conversation_id):
            self.view.add_message(role, content, display=display_of(role, content), message_id=message.id)

    def add_tool_result(self, conversation_id: int, done: ToolResult) -> None:
        self.add_message(conversation_id, "tool", json.dumps(done.result, ensure_ascii=False, default=str))

    # -- closing ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the reply and keep what it wrote; drop calendar answers still to come."""
        reply, self.reply = self.reply, None
        if reply is not None:
            reply.request.stop()
            if reply.message is not None:
                self.store.update_message(reply.message.id, content=reply.text, status=PARTIAL)
        self.tools.shutdown()


def display_of(role: str, content: str) -> str | None:
    """What a stored message shows instead of its raw text (tool calls and results)."""
    if role == "user" or role == "notice" or (role == "assistant" and not any(name in content for name in TOOL_NAMES)):
        return None  # cheap check first: the calendar stack loads only for real tool messages
    from assistant.core.chat.display import describe_tool_calls, describe_tool_result

    if role == "tool":
        return describe_tool_result(content)
    if role == "assistant":
        return describe_tool_calls(content)
    return None


def title_from(text: str, limit: int = 48) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
