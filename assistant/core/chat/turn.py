"""One chat turn with tools: the one tool loop of the app (:class:`ToolTurn`), and the system prompt.

The chat window drives a :class:`ToolTurn` step by step (its calendar reads run on a thread,
proposals become cards); :func:`chat_with_tools` drives the same steps synchronously for the
command line and tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from assistant.core.calendars import (
    Calendar,
    CalendarError,
    CalendarEvent,
    CalendarTask,
    EventDraft,
    TaskDraft,
    write_event,
)
from assistant.core.chat.parse import ToolCall, mentions_tool, parse_model_output
from assistant.core.chat.run import (
    ToolOutcome,
    assistant_tool_call_message,
    confirmation_result,
    run_tool_call,
    tool_result_message,
)
from assistant.core.chat.tools import TOOLS
from assistant.core.dates import (
    system_prompt_date_line,
)
from assistant.core.engines.base import Engine, GenerationParams

MAX_TOOL_ROUNDS = 4  # model replies with tool calls in a row without the user speaking

SYSTEM_PROMPT = (
    "You are Llama Desk, a helpful assistant running privately on the user's computer. "
    "You can read the user's calendar and propose events and tasks with the tools. "
    "When you call a tool, answer with only the call as JSON: "
    '{"name": "<tool name>", "parameters": {...}}. '
    "Events and tasks you propose are shown to the user, who confirms them; never say an event "
    "was saved unless the tool result says so."
)

Confirm = Callable[[EventDraft | TaskDraft], "EventDraft | TaskDraft | None"]


def build_system_prompt(now: datetime, zone: str, extra: str = "", *, with_time: bool = True) -> str:
    """The system message for a chat with tools: role, call format, today's date and zone."""
    date_line = system_prompt_date_line(now, zone, with_time=with_time)
    return " ".join(part for part in (SYSTEM_PROMPT, date_line, extra) if part)


@dataclass
class TurnResult:
    """The end of one user turn: the text to show, the transcript, what was proposed and saved."""

    reply: str
    messages: list[dict[str, Any]]
    proposals: list[ToolOutcome] = field(default_factory=list)
    written: list[CalendarEvent | CalendarTask] = field(default_factory=list)
    rejected: str = ""  # why a reply that looked like a tool call was not run


@dataclass
class ReplyStep:
    """What a finished reply asks for: calls to run, or nothing (``rejected`` says why a call-like reply is not one)."""

    calls: list[ToolCall]
    rejected: str = ""
    too_many: bool = False  # more rounds of calls than allowed without the user speaking: run nothing


@dataclass
class ToolResult:
    """The result to hand back to the model for one call."""

    call: ToolCall
    result: dict[str, Any]


class ToolTurn:
    """The tool loop of one user turn, driven step by step (no threads, no Qt, no calendar access).

    The chat window drives it between its jobs and cards; :func:`chat_with_tools` drives it
    synchronously for the command line and tests::

        turn.begin()                          # the user spoke
        step = turn.read_reply(reply)         # calls to run / a rejection / too many rounds
        done = turn.take_outcome(outcome)     # a read's result now, or None: a proposal awaits the user
        done = turn.decide(call.id, saved)    # the user's decision on a proposal, as a result
        turn.ready_for_reply                  # no proposal is waiting: ask the model again
    """

    def __init__(self, max_rounds: int = MAX_TOOL_ROUNDS) -> None:
        self.max_rounds = max_rounds
        self.rounds = 0
        self.pending: dict[str, ToolOutcome] = {}  # call id -> proposal awaiting the user

    def begin(self) -> None:
        self.rounds = 0
        self.pending.clear()

    def read_reply(self, reply: str) -> ReplyStep:
        parsed = parse_model_output(reply)
        if not parsed.calls:
            return ReplyStep([], rejected=parsed.rejected if parsed.rejected and mentions_tool(reply) else "")
        self.rounds += 1
        return ReplyStep(parsed.calls, too_many=self.rounds > self.max_rounds)

    def take_outcome(self, outcome: ToolOutcome) -> ToolResult | None:
        if outcome.draft is not None:
            self.pending[outcome.call.id] = outcome
            return None
        return ToolResult(outcome.call, outcome.result or {})

    @staticmethod
    def failed(calls: list[ToolCall], error: str) -> list[ToolResult]:
        """Results for calls that could not run (the calendar failed, or the user stopped)."""
        return [ToolResult(call, {"error": error}) for call in calls]

    def decide(
        self, call_id: str, saved: EventDraft | TaskDraft | None, result: dict[str, Any] | None = None
    ) -> ToolResult:
        """The user decided on a proposal: ``saved`` is the draft as written (None: cancelled).

        ``result`` overrides the confirmation (:func:`decide_proposal` words a failed write itself).
        """
        outcome = self.pending.pop(call_id)
        if result is None:
            result = (
                confirmation_result(saved, saved=True)
                if saved is not None
                else confirmation_result(outcome.draft, saved=False)
            )
        return ToolResult(outcome.call, result)

    @property
    def ready_for_reply(self) -> bool:
        return not self.pending


def decide_proposal(
    calendar: Calendar, draft: EventDraft | TaskDraft, decision: EventDraft | TaskDraft | None
) -> tuple[dict[str, Any], CalendarEvent | CalendarTask | None]:
    """Apply the user's decision on a proposal: save it (once) or not. Returns (tool result, written)."""
    if decision is None:
        return confirmation_result(draft, saved=False), None
    if not decision.ready:
        return confirmation_result(
            decision, saved=False, detail="The user's edits still need fixing: " + " ".join(decision.questions)
        ), None
    if not decision.confirmed:
        decision.confirm()
    try:
        written = write_event(calendar, decision)
    except CalendarError as exc:
        return {"status": "not saved", "error": str(exc)}, None
    return confirmation_result(decision, saved=True), written


def chat_with_tools(
    engine: Engine,
    messages: list[dict[str, Any]],
    calendar: Calendar,
    *,
    now: datetime,
    zone: str,
    confirm: Confirm,
    params: GenerationParams | None = None,
    others: list[Calendar] | None = None,
    max_rounds: int = MAX_TOOL_ROUNDS,
) -> TurnResult:
    """Run one user turn synchronously on a :class:`ToolTurn`; proposals go through ``confirm``.

    ``confirm(draft)`` is the user's decision: return the draft (possibly edited) to save
    it, or None to cancel. It is the only way anything is written. Read-only tools run
    directly. Each call gets its own assistant message (the Llama 3.2 template renders one
    call per message), followed by its ``tool`` result; then the model answers again.
    """
    transcript = list(messages)
    params = params or GenerationParams()
    params = replace(params, tools=params.tools or TOOLS)
    result = TurnResult(reply="", messages=transcript)
    turn = ToolTurn(max_rounds)
    for _ in range(max_rounds):
        reply = engine.chat(transcript, params)
        step = turn.read_reply(reply)
        if not step.calls:
            result.reply = reply
            if step.rejected:
                result.rejected = step.rejected
                result.reply = (
                    "I tried to use the calendar in a way that is not allowed, so nothing was done "
                    f"({step.rejected}). Please rephrase your request."
                )
            transcript.append({"role": "assistant", "content": reply})
            return result
        for call in step.calls:
            outcome = run_tool_call(call, calendar, now=now, zone=zone, others=others)
            done = turn.take_outcome(outcome)
            if done is None:  # a proposal: the user decides, and only then is it written
                result.proposals.append(outcome)
                tool_result, written = decide_proposal(calendar, outcome.draft, confirm(outcome.draft))
                if written is not None:
                    result.written.append(written)
                done = turn.decide(call.id, None, tool_result)
            transcript.append(assistant_tool_call_message(call))
            transcript.append(tool_result_message(call, done.result or {}))
    result.reply = "I could not finish this with the calendar tools. Please try again with more details."
    transcript.append({"role": "assistant", "content": result.reply})
    return result
