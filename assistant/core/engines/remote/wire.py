"""What goes over the wire to an OpenAI-compatible server: messages, tool calls as text, Retry-After, error bodies.

Reading the streamed reply itself (server-sent events, tool-call pieces) is in ``stream``.
"""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from assistant.core.engines.base import (
    Message,
)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def server_message(response: httpx.Response) -> str:
    """The error text a server put in its answer, shortened."""
    try:
        text = response.text
    except (httpx.HTTPError, UnicodeDecodeError):
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message") or json.dumps(error)
        if error is not None:
            return str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
    return text.strip()[:300]


def wire_messages(messages: list[Message]) -> list[Message]:
    """Messages as the OpenAI API wants them: tool-call arguments as JSON strings."""
    wired: list[Message] = []
    for message in messages:
        message = dict(message)
        calls = message.get("tool_calls")
        if calls:
            fixed = []
            for call in calls:
                call = dict(call)
                function = dict(call.get("function") or {})
                if not isinstance(function.get("arguments"), str):
                    function["arguments"] = json.dumps(function.get("arguments") or {}, ensure_ascii=False)
                call["function"] = function
                call.setdefault("type", "function")
                fixed.append(call)
            message["tool_calls"] = fixed
        if message.get("content") is None:
            message["content"] = ""
        wired.append(message)
    return wired


def tool_calls_as_text(calls: list[dict[str, Any]]) -> str:
    """Structured tool calls in the text form Llama 3.2 writes: one ``{"name", "parameters"}`` JSON per line."""
    lines = []
    for call in calls:
        function = call.get("function") or {}
        raw = function.get("arguments") or ""
        try:
            arguments: Any = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
        except ValueError:
            arguments = None
        if isinstance(arguments, dict):
            lines.append(json.dumps({"name": function.get("name", ""), "parameters": arguments}, ensure_ascii=False))
        else:  # not JSON: hand it on as-is, the parser will refuse it (nothing runs)
            lines.append(json.dumps({"name": function.get("name", ""), "arguments": raw}, ensure_ascii=False))
    return "\n".join(lines)
