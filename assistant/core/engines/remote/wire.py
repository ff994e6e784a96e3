"""What goes over the wire to an OpenAI-compatible server: messages, tool calls as text, Retry-After, error bodies, and breaking a blocked stream."""

from __future__ import annotations

import email.utils
import json
import os
import socket
import threading
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


def shutdown_socket(response: httpx.Response) -> None:
    """Break the connection under a response, waking a thread blocked reading it."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        return
    try:
        # Shut down a duplicate of the descriptor: the connection is the same, and an
        # ssl.SSLSocket's own shutdown() would also tear down its TLS state under the reader.
        duplicate = socket.socket(fileno=os.dup(sock.fileno()))
    except OSError:
        return
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        duplicate.close()


def merge_tool_calls(calls: dict[int, dict[str, Any]], deltas: list[dict[str, Any]]) -> None:
    """Accumulate streamed tool-call pieces (arguments arrive in fragments; names may repeat)."""
    for position, delta in enumerate(deltas):
        index = delta.get("index", position)
        call = calls.setdefault(index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
        if delta.get("id") and not call["id"]:
            call["id"] = delta["id"]
        function = delta.get("function") or {}
        if function.get("name") and not call["function"]["name"]:
            call["function"]["name"] = function["name"]
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            call["function"]["arguments"] += arguments
        elif isinstance(arguments, dict):  # some servers send the whole object at once
            call["function"]["arguments"] = json.dumps(arguments, ensure_ascii=False)


def watch_stop(response: httpx.Response, stop_event: threading.Event, done: threading.Event) -> None:
    """Shut the connection down as soon as the user stops, even while a read is blocked."""
    while not done.wait(0.05):
        if stop_event.is_set():
            shutdown_socket(response)
            return
