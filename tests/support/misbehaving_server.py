"""A tiny OpenAI-style chat server on 127.0.0.1 that misbehaves on purpose, for RemoteEngine tests.

``server.mode`` picks the behaviour of ``POST /v1/chat/completions``:

* ``"ok"``: streams ``REPLY_PIECES`` then ``[DONE]``;
* ``"cut"``: chunked stream, two pieces, then the connection drops without the last chunk;
* ``"cut-eof"``: close-delimited stream, two pieces, then a clean close without ``[DONE]``;
* ``"429"``: ``busy_count`` answers "429" with ``Retry-After: retry_after``, then "ok";
* ``"slow"``: waits (until :meth:`release` or ``delay`` seconds) before answering;
* ``"stall"``: sends one piece, then waits the same way;
* ``"tool"``: streams an OpenAI-style tool call (name first, arguments in fragments);
* ``"error-event"``: one piece, then an ``{"error": ...}`` event;
* ``"no-auto-tools"``: "400" for requests with tools unless ``tool_choice`` is ``"none"`` (like vLLM
  without ``--enable-auto-tool-choice``), else "ok".

With ``tls=(certificate, key)`` it speaks https. With ``api_key`` set, every request must carry ``Authorization: Bearer <api_key>`` (else 401).
Every request is logged in ``requests`` as (monotonic time, method, path, status).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

MODEL = "tiny-model"
REPLY_PIECES = ["Hello", " there", " friend", "."]


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
    body = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: MisbehavingServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    # -- helpers --------------------------------------------------------------
    def _log(self, status: int) -> None:
        self.server.requests.append((time.monotonic(), self.command, self.path, status))

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self._log(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    def _authorized(self) -> bool:
        if not self.server.api_key:
            return True
        if self.headers.get("Authorization") == f"Bearer {self.server.api_key}":
            return True
        self._json(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})
        return False

    def _start_chunked(self) -> None:
        self._log(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- endpoints ------------------------------------------------------------
    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "test"}]})
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self._authorized():
            return
        if self.path != "/v1/chat/completions":
            self._json(404, {"detail": "Not Found"})
            return
        self.server.bodies.append(body)
        mode = self.server.mode
        if mode == "no-auto-tools" and body.get("tools") and body.get("tool_choice") != "none":
            self._json(400, {"error": {"message": '"auto" tool choice requires --enable-auto-tool-choice'}})
            return
        if mode == "429" and self.server.busy_count > 0:
            self.server.busy_count -= 1
            self._json(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": self.server.retry_after})
            return
        if mode == "slow":
            self.server.released.wait(self.server.delay)
        if mode == "cut-eof":
            self._log(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for piece in REPLY_PIECES[:2]:
                self.wfile.write(_chunk({"content": piece}))
            self.wfile.flush()
            self.close_connection = True
            return
        self._start_chunked()
        if mode == "cut":
            for piece in REPLY_PIECES[:2]:
                self._send_chunk(_chunk({"content": piece}))
            self.wfile.write(b"ff\r\ndata: {\"choi")  # half a chunk, then the connection drops
            self.wfile.flush()
            return
        if mode == "stall":
            self._send_chunk(_chunk({"content": REPLY_PIECES[0]}))
            self.server.released.wait(self.server.delay)
            return
        if mode == "error-event":
            self._send_chunk(_chunk({"content": REPLY_PIECES[0]}))
            self._send_chunk(b'data: {"error": {"message": "out of memory"}}\n\n')
            self._end_chunked()
            return
        if mode == "tool":
            self._send_chunk(_chunk({"role": "assistant", "content": None}))
            first = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "create_task", "arguments": ""}}
            self._send_chunk(_chunk({"tool_calls": [first]}))
            for fragment in ['{"title": ', '"Buy ', 'milk"}']:
                self._send_chunk(_chunk({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}))
            self._send_chunk(_chunk({}, "tool_calls"))
        else:
            for piece in REPLY_PIECES:
                self._send_chunk(_chunk({"content": piece}))
            self._send_chunk(_chunk({}, "stop"))
            usage = {"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": len(REPLY_PIECES)}}
            self._send_chunk(f"data: {json.dumps(usage)}\n\n".encode())
        self._send_chunk(b"data: [DONE]\n\n")
        self._end_chunked()


class MisbehavingServer(ThreadingHTTPServer):
    """Serves in a daemon thread; use as a context manager. ``url`` is the API base."""

    daemon_threads = True

    def __init__(
        self, mode: str = "ok", *, api_key: str = "", delay: float = 30.0, tls: tuple[str, str] | None = None
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scheme = "https" if tls else "http"
        if tls:  # (certificate file, key file)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.mode = mode
        self.api_key = api_key
        self.delay = delay
        self.busy_count = 0
        self.retry_after = "1"
        self.released = threading.Event()
        self.requests: list[tuple[float, str, str, int]] = []
        self.bodies: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}/v1"

    def release(self) -> None:
        """End every wait of the "slow" and "stall" modes."""
        self.released.set()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        self.shutdown()
        self.server_close()
        self._thread.join(60)
