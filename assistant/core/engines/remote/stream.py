"""Reading a streamed chat completion: server-sent events, tool calls that arrive in pieces, and stopping mid-read."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from assistant.core.engines.base import GenerationStats
from assistant.core.engines.remote.errors import ServerError


@dataclass
class StreamedReply:
    """What a streamed reply has brought so far (filled in by :func:`read_events`)."""

    received: list[str] = field(default_factory=list)  # the text pieces, as yielded
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)  # tool calls by index, merged from their pieces
    usage: dict[str, Any] | None = None  # the server's token counts, when it sends them
    finish_reason: str | None = None
    chunks: int = 0  # chunks with text or tool-call pieces (one token each when the server sends no usage)
    ended: bool = False  # "[DONE]" or a finish_reason arrived

    @property
    def text(self) -> str:
        """The reply's text so far."""
        return "".join(self.received)

    def tool_calls(self) -> list[dict[str, Any]]:
        """The structured tool calls, in the server's order."""
        return [self.calls[i] for i in sorted(self.calls)]


def read_events(
    lines: Iterable[str],
    reply: StreamedReply,
    stats: GenerationStats,
    started: float,
    stop_event: threading.Event,
) -> Iterator[str]:
    """Yield the text pieces of the server-sent event ``lines``; the rest goes into ``reply`` and ``stats``.

    Stops after ``[DONE]`` or as soon as ``stop_event`` is set; an error event raises
    :class:`ServerError`. ``started`` is the :func:`time.perf_counter` of the request.
    """
    for line in lines:
        if stop_event.is_set():
            break
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            reply.ended = True
            break
        try:
            chunk = json.loads(data)
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        if chunk.get("error"):
            error = chunk["error"]
            text = error.get("message", "") if isinstance(error, dict) else str(error)
            raise ServerError(f"The server reported an error while answering ({text or 'no details'}).")
        if chunk.get("usage"):
            reply.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if delta.get("tool_calls"):
                reply.chunks += 1
                if not stats.time_to_first_token:
                    stats.time_to_first_token = time.perf_counter() - started
                merge_tool_calls(reply.calls, delta["tool_calls"])
            if choice.get("finish_reason"):
                reply.finish_reason = choice["finish_reason"]
                reply.ended = True
            content = delta.get("content")
            if content:
                reply.chunks += 1
                now = time.perf_counter()
                if not stats.time_to_first_token:
                    stats.time_to_first_token = now - started
                stats.completion_tokens = reply.chunks
                stats.total_seconds = now - started
                reply.received.append(content)
                yield content
                if stop_event.is_set():
                    break
        if stop_event.is_set():
            break


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


def watch_stop(response: httpx.Response, stop_event: threading.Event, done: threading.Event) -> None:
    """Shut the connection down as soon as the user stops, even while a read is blocked."""
    while not done.wait(0.05):
        if stop_event.is_set():
            shutdown_socket(response)
            return
