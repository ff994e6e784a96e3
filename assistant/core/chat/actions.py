"""One message in, what the assistant would do out: a reply, or calendar actions to confirm.

This is the synchronous form of a chat turn with calendar tools, used by
``llama-desk ask --tools --json`` and by ``bench/quality.py``. It picks the path per engine
(:func:`uses_routing`): engines that constrain output with a grammar take the routed path
(:mod:`assistant.core.chat.route`); others (remote servers, larger models) write Llama 3.2's
native tool calls, read by :mod:`assistant.core.chat.parse`. Either way each call is checked
and resolved by :func:`assistant.core.chat.run.run_tool_call`, which never writes: a proposal
only becomes a draft for the user to confirm.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from assistant.core.calendars import Calendar
from assistant.core.chat.parse import ToolCall, parse_model_output
from assistant.core.chat.route import ROUTING_RULES, Route, route
from assistant.core.chat.run import ToolOutcome, run_tool_call
from assistant.core.chat.tools import TOOLS
from assistant.core.dates import system_prompt_date_line
from assistant.core.engines.base import Engine, GenerationParams, Message


def uses_routing(engine: Engine) -> bool:
    """Whether calendar requests go through the constrained path on this engine."""
    return bool(getattr(engine, "constrained_output", False))


ROUTED_ROLE = (
    "You are Llama Desk, a helpful assistant running privately on the user's computer. You can look at the "
    "user's calendar and propose events and tasks; the user confirms each proposal before anything is saved, "
    "so never say something was saved unless a tool result says so."
)


def routed_system_prompt(now: datetime, zone: str, extra: str = "") -> str:
    """The chat's system prompt on the routed path: role, routing rules, the conversation's own
    instructions, and the day last (the long constant part stays cached from day to day)."""
    date_line = system_prompt_date_line(now, zone, with_time=False)
    return "\n".join(part for part in (ROUTED_ROLE, ROUTING_RULES, extra, date_line) if part)


@dataclass
class ProposedCall:
    """One calendar action and what it resolved to; nothing has been written."""

    call: ToolCall
    outcome: ToolOutcome

    def to_dict(self) -> dict[str, Any]:
        draft = self.outcome.draft
        if draft is not None:
            resolved = {k: v for k, v in draft.summary().items() if k in ("title", "start", "end", "due", "problems")}
        else:
            resolved = dict(self.outcome.result or {})
        return {
            "name": self.call.name,
            "arguments": dict(self.call.arguments),
            "resolved": resolved,
            "needs_confirmation": self.outcome.needs_confirmation,
        }


@dataclass
class Answer:
    """The reply text (empty when actions were proposed) and the proposed actions."""

    reply: str
    calls: list[ProposedCall] = field(default_factory=list)
    route: Route | None = None  # the routed path's decision, for diagnostics

    def to_dict(self) -> dict[str, Any]:
        return {"reply": self.reply, "calls": [c.to_dict() for c in self.calls]}


def answer(
    engine: Engine,
    messages: list[Message],
    calendar: Calendar,
    *,
    now: datetime,
    zone: str,
    others: list[Calendar] | None = None,
    params: GenerationParams | None = None,
    write_reply: bool = True,
    stop: threading.Event | None = None,
) -> Answer:
    """What the assistant does with the last user message of ``messages``; never writes to a calendar.

    ``messages`` start with the system prompt (:func:`routed_system_prompt` on the routed path).
    With ``write_reply`` False, a prose reply is not generated (only the decision is wanted).
    """
    params = params or GenerationParams()
    if uses_routing(engine):
        decided = route(engine, messages, stop)
        calls = decided.calls
        if not calls:
            text = engine.chat(messages, replace(params, tools=None, json_schema=None)) if write_reply else ""
            return Answer(text, route=decided)
    else:
        reply = engine.chat(messages, replace(params, tools=params.tools or TOOLS))
        calls = parse_model_output(reply).calls
        if not calls:
            return Answer(reply)
        decided = None
    proposed = [ProposedCall(call, run_tool_call(call, calendar, now=now, zone=zone, others=others)) for call in calls]
    return Answer("", proposed, route=decided)
