"""How calendar tools appear in a chat: the prompt, and readable forms of calls and results.

The chat window stores a tool call as the model wrote it (so the model sees its own
words again) and a tool result as JSON in a ``tool`` message; these functions give the
short text the user sees for each.
"""

from __future__ import annotations

import json
from datetime import datetime

from assistant.core.chat.parse import ToolCall, parse_model_output
from assistant.core.chat.prompt import DEFAULT_SYSTEM_PROMPT
from assistant.core.chat.turn import build_system_prompt

_ACTIONS = {
    "create_calendar_event": "Proposes an event",
    "create_task": "Proposes a task",
    "list_calendar_events": "Looks at your calendar",
    "find_free_slot": "Looks for a free slot",
}


def tools_system_prompt(conversation_prompt: str, now: datetime, zone: str) -> str:
    """System prompt for a chat with calendar tools; the day, not the minute, so the prefix stays cached."""
    extra = "" if conversation_prompt.strip() == DEFAULT_SYSTEM_PROMPT else conversation_prompt.strip()
    return build_system_prompt(now, zone, extra, with_time=False)


def tool_calls_in(reply: str) -> list[ToolCall]:
    """Calls in a model reply (empty for plain text or anything malformed)."""
    return parse_model_output(reply).calls


def describe_tool_calls(reply: str) -> str | None:
    """Readable Markdown for a reply made of tool calls, or None for ordinary text."""
    calls = tool_calls_in(reply)
    if not calls:
        return None
    lines = []
    for call in calls:
        details = ", ".join(f"{key}: {value}" for key, value in call.arguments.items() if value not in ("", None, []))
        lines.append(f"*{_ACTIONS.get(call.name, call.name)}* — {details}" if details else f"*{_ACTIONS.get(call.name, call.name)}*")
    return "\n\n".join(lines)


def describe_tool_result(content: str) -> str:
    """Readable text for a stored tool result."""
    try:
        data = json.loads(content)
    except ValueError:
        return content
    if not isinstance(data, dict):
        return str(data)
    if "error" in data:
        return f"Calendar: {data['error']}"
    status = data.get("status")
    if status == "saved":
        return f"Saved “{data.get('title', '')}” to {data.get('calendar', 'the calendar')}."
    if status:
        return f"Nothing saved ({data.get('detail') or status})."
    if "events" in data:
        count = len(data["events"])
        return f"Calendar: {count} event{'s' if count != 1 else ''} in that range."
    if "free_slots" in data:
        count = len(data["free_slots"])
        return f"Calendar: {count} free slot{'s' if count != 1 else ''} found."
    return content
