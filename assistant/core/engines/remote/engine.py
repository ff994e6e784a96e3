"""The remote engine: a model served by an OpenAI-compatible server (llama.cpp server, Ollama, vLLM, ...).

Everything goes through the chat completions API with ``httpx`` (TLS verification on):

* **Loading** means connecting: ``GET /v1/models`` checks the server and the key, picks the
  model (the one asked for, else the first listed), and reads the served context size when
  the server reports it (llama.cpp ``/props``, vLLM ``max_model_len``); otherwise the
  ``n_ctx`` given to :meth:`RemoteEngine.load` (the app's context-size setting) is used.
* **Streaming** reads server-sent events. Stopping shuts the connection down (also while the
  server is still reading the prompt), which makes llama.cpp-based servers stop generating.
* **Token statistics** come from the server's ``usage`` (``stream_options.include_usage``);
  servers that send none get one completion token counted per streamed chunk (llama.cpp,
  vLLM and Ollama send one token per chunk) and an estimated prompt size.
* **Tool calls** the server returns as structured ``tool_calls`` are turned into the same
  text the local model writes, ``{"name": ..., "parameters": {...}}`` (one call per line),
  yielded as the last piece — so :func:`assistant.core.chat.parse_model_output` handles both
  paths alike. The structured calls are also kept in :attr:`RemoteEngine.last_tool_calls`.
  Servers that leave tool calls as text (llama-cpp-python without ``tool_choice``) stream the
  model's own text, parsed the same way.
  A server that refuses tools with automatic tool choice (vLLM without
  ``--enable-auto-tool-choice``) is asked again with ``tool_choice: "none"``.
* **JSON-schema output** is requested as ``{"type": "json_schema", ...}``; a server that
  rejects that form gets ``{"type": "json_object", "schema": ...}`` (llama-cpp-python's
  form), and the engine remembers which one worked.
* **Counting tokens** uses the server's tokenizer when it has one (``/tokenize`` of llama.cpp
  and vLLM, ``/extras/tokenize`` of llama-cpp-python); otherwise it is an ESTIMATE of one
  token per 4 characters (:data:`CHARS_PER_TOKEN`), good for English prose only.
  :meth:`RemoteEngine.count_prompt_tokens` is always approximate: the server renders its own
  chat template, so a fixed allowance per message is added (:data:`MESSAGE_OVERHEAD`).

Errors are :class:`RemoteEngineError` subclasses with messages for the user. A stream that
breaks mid-reply keeps what was already yielded: the generator sets
``last_stats.finish_reason = "error"`` and then raises :class:`StreamInterruptedError`
(its ``partial_text`` holds the reply so far), so the UI keeps the text and marks it partial.

API key: the ``api_key`` argument, else the ``LLAMA_DESK_API_KEY`` environment variable, else
the OS keyring (service ``llama-desk``, user name = the normalized API base URL, see
:func:`keyring_user`). It is never sent over plain ``http://`` to another computer.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from assistant.core.engines.base import (
    Engine,
    EngineError,
    GenerationParams,
    GenerationStats,
    LoadInfo,
    Message,
    ProgressCallback,
)
from assistant.core.engines.remote.connection import (
    ConnectionStatus,
    connection_status,
    guess_server_kind,
    listed_context,
    match_model,
    models_from_listing,
    props_context,
    trained_context,
)
from assistant.core.engines.remote.errors import (
    ModelNotFoundError,
    RemoteEngineError,
    ServerError,
    StreamInterruptedError,
)
from assistant.core.engines.remote.keys import find_api_key, normalize_base_url
from assistant.core.engines.remote.stream import StreamedReply, read_events, watch_stop
from assistant.core.engines.remote.transport import Cancelled, Transport
from assistant.core.engines.remote.wire import tool_calls_as_text, wire_messages
from assistant.core.net import is_loopback

DEFAULT_TIMEOUT = 120.0  # seconds without any byte from the server (a busy server may queue requests)
CONNECT_TIMEOUT = 10.0
MAX_RETRIES = 3  # extra attempts after "429 Too Many Requests" / "503" with Retry-After
MAX_RETRY_WAIT = 30.0  # longer requested waits are reported to the user instead
CHARS_PER_TOKEN = 4  # the estimate when the server has no tokenizer endpoint
MESSAGE_OVERHEAD = 5  # role header and end-of-turn tokens per message (Llama 3 template)
PROMPT_OVERHEAD = 32  # template preamble (Llama 3.2 writes knowledge/today dates in the system turn)
TOOLS_OVERHEAD = 80  # instructions the template adds around tool definitions
_TOKEN_CACHE_SIZE = 512


# ----------------------------------------------------------------------------- the engine


class RemoteEngine(Engine):
    """Streams replies from an OpenAI-compatible chat completions server.

    ``base_url``: the server address (``/v1`` is added when missing). ``model``: the model to
    use (default: the first one the server lists). ``timeout``: seconds to wait for the next
    data from the server. ``tool_choice``: sent with requests that carry tools (None: the
    server decides, ``"auto"`` in OpenAI terms). ``ca_bundle``: a CA file for servers with a
    company certificate (verification stays on). ``server_tokenizer=False`` skips the server's
    tokenizer (one request per uncached text) and always uses the 4-characters estimate.
    """

    kind = "remote"

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        max_retries: int = MAX_RETRIES,
        max_retry_wait: float = MAX_RETRY_WAIT,
        tool_choice: str | dict[str, Any] | None = None,
        ca_bundle: str | Path | None = None,
        server_tokenizer: bool = True,
    ) -> None:
        super().__init__()
        self.base_url = normalize_base_url(base_url)
        self.root_url = self.base_url[: -len("/v1")]
        self.model = model or None
        self.tool_choice = tool_choice
        self.server_tokenizer = server_tokenizer
        self.last_tool_calls: list[dict[str, Any]] = []
        self.server_kind = ""
        self._api_key = find_api_key(self.base_url, api_key)
        host = urlsplit(self.base_url).hostname or ""
        self.encrypted = self.base_url.startswith("https://") or is_loopback(host)
        if self._api_key and not self.encrypted:
            raise RemoteEngineError(
                "An API key is set for this server (in the settings, or in the LLAMA_DESK_API_KEY variable), "
                "but its address starts with http://, so the key would travel unencrypted. Use the server's "
                "https:// address."
            )
        self._http = Transport(
            self.base_url,
            self._api_key,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            ca_bundle=ca_bundle,
        )
        self._response_format_style = "json_schema"  # becomes "json_object" if the server rejects it
        self._send_usage_option = True
        self._tool_choice_fallback: str | None = None  # "none" once the server refused automatic tool calls
        self._tokenizer: str | None = None  # "tokenize", "extras" or None (estimate)
        self._tokenizer_offset = 0  # special tokens the tokenizer endpoint adds to every text
        self._token_cache: dict[str, int] = {}
        self._models: list[dict[str, Any]] = []

    # -- plumbing -------------------------------------------------------------
    def close(self) -> None:
        """Close the connections to the server."""
        self.unload()
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- models and connection ------------------------------------------------
    def _fetch_models(self) -> list[dict[str, Any]]:
        self._models = models_from_listing(self._http.get_json(f"{self.base_url}/models", model=self.model))
        self.server_kind = guess_server_kind(self._models)
        return self._models

    def list_models(self) -> list[str]:
        """The model names the server offers (``GET /v1/models``)."""
        return [str(m["id"]) for m in self._fetch_models()]

    def test_connection(self) -> ConnectionStatus:
        """Check the address, the key and the models; a short status for the settings page."""
        try:
            models = self.list_models()
        except RemoteEngineError as exc:
            return ConnectionStatus(False, str(exc))
        return connection_status(self.base_url, self.model, models, self.server_kind, self.encrypted)

    def load(self, path: str | Path = "", *, n_ctx: int = 8192, progress: ProgressCallback | None = None) -> LoadInfo:
        """Connect: ``path`` is the model name on the server ("" = the ``model`` given, else the first listed).

        The context size is the server's when it reports one, else ``n_ctx``.
        """
        started = time.perf_counter()
        if progress:
            progress(0.0)
        self.unload()
        models = [str(m["id"]) for m in self._fetch_models()]
        wanted = str(path) if path else (self.model or "")
        if wanted:
            chosen = match_model(wanted, models)
            if chosen is None:
                offered = ", ".join(models[:8]) or "none"
                raise ModelNotFoundError(f"The server has no model called '{wanted}'. It offers: {offered}.")
        elif models:
            chosen = models[0]
        else:
            raise ModelNotFoundError(f"The server at {self.base_url} offers no models. Ask its administrator to load one.")
        self.model = chosen
        if progress:
            progress(0.5)
        context = self._served_context(chosen) or n_ctx
        self._probe_tokenizer()
        self.info = LoadInfo(
            model_name=chosen,
            path=self.base_url,
            n_ctx=int(context),
            n_threads=0,
            load_seconds=time.perf_counter() - started,
            architecture=self.server_kind or "remote",
        )
        if progress:
            progress(1.0)
        return self.info

    def _served_context(self, model: str) -> int | None:
        entry = next((m for m in self._models if m.get("id") == model), {})
        return (
            listed_context(entry)
            or props_context(self._http.probe("GET", f"{self.root_url}/props"))  # llama.cpp server
            or trained_context(entry)
        )

    def _require_loaded(self) -> str:
        if self.info is None or not self.model:
            raise EngineError("Not connected to a model server yet.")
        return self.model

    # -- tokens ---------------------------------------------------------------
    def _tokenize_remote(self, style: str, text: str) -> int | None:
        if style == "tokenize":  # llama.cpp ("content") and vLLM ("prompt") share this path
            body = {"model": self.model, "content": text, "prompt": text, "add_special": False, "add_special_tokens": False}
            data = self._http.probe("POST", f"{self.root_url}/tokenize", body)
        else:  # llama-cpp-python
            data = self._http.probe("POST", f"{self.root_url}/extras/tokenize", {"model": self.model, "input": text})
        if isinstance(data, dict) and isinstance(data.get("tokens"), list):
            return len(data["tokens"])
        return None

    def _probe_tokenizer(self) -> None:
        self._tokenizer = None
        self._token_cache.clear()
        if not self.server_tokenizer:
            return
        for style in ("tokenize", "extras"):
            empty = self._tokenize_remote(style, "")
            sample = self._tokenize_remote(style, "Hello world") if empty is not None else None
            if empty is not None and sample is not None and sample > empty:
                self._tokenizer = style
                self._tokenizer_offset = empty
                return

    @property
    def exact_token_counts(self) -> bool:
        """True when :meth:`count_tokens` uses the server's tokenizer, False for the 4-characters estimate."""
        return self._tokenizer is not None

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text``: the server's tokenizer, else about one token per 4 characters."""
        if not text:
            return 0
        cached = self._token_cache.get(text)
        if cached is not None:
            return cached
        count = None
        if self._tokenizer is not None:
            raw = self._tokenize_remote(self._tokenizer, text)
            if raw is not None:
                count = max(0, raw - self._tokenizer_offset)
        if count is None:
            count = math.ceil(len(text) / CHARS_PER_TOKEN)
        if len(self._token_cache) >= _TOKEN_CACHE_SIZE:
            self._token_cache.clear()
        self._token_cache[text] = count
        return count

    def count_prompt_tokens(self, messages: list[Message], params: GenerationParams | None = None) -> int:
        """APPROXIMATE prompt size: the text's tokens plus fixed allowances for the server's template."""
        params = params or GenerationParams()
        parts: list[str] = []
        for message in messages:
            content = message.get("content")
            parts.append(content if isinstance(content, str) else json.dumps(content or ""))
            if message.get("tool_calls"):
                parts.append(json.dumps(message["tool_calls"], ensure_ascii=False))
        total = self.count_tokens("\n".join(parts)) + MESSAGE_OVERHEAD * len(messages) + PROMPT_OVERHEAD
        if params.tools:
            # Llama 3.x templates write each tool with tojson(indent=4): count the indented form.
            total += self.count_tokens(json.dumps(params.tools, ensure_ascii=False, indent=4)) + TOOLS_OVERHEAD
        return total

    # -- generation -----------------------------------------------------------
    def _chat_body(self, messages: list[Message], params: GenerationParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": wire_messages(messages),
            "stream": True,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if self._send_usage_option:
            body["stream_options"] = {"include_usage": True}
        if params.max_tokens is not None:
            body["max_tokens"] = params.max_tokens
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        if params.tools:
            body["tools"] = params.tools
            tool_choice = self.tool_choice if self.tool_choice is not None else self._tool_choice_fallback
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        if params.json_schema is not None:
            body["response_format"] = self._response_format(params.json_schema)
        return body

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self._response_format_style == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
        return {"type": "json_object", "schema": schema}

    def _open_stream(self, body: dict[str, Any], stop_event: threading.Event) -> httpx.Response:
        """POST the chat request; on a rejected option, retry once without it (and remember)."""
        url = f"{self.base_url}/chat/completions"
        while True:
            try:
                return self._http.send("POST", url, json_body=body, stream=True, stop_event=stop_event, model=self.model)
            except ServerError as exc:
                if exc.status not in (400, 422, 500):
                    raise
                detail = str(exc).lower()
                fmt = body.get("response_format")
                if fmt and fmt.get("type") == "json_schema":
                    self._response_format_style = "json_object"
                    body["response_format"] = self._response_format(fmt["json_schema"]["schema"])
                    continue
                if "stream_options" in body and "stream_options" in detail:
                    self._send_usage_option = False
                    del body["stream_options"]
                    continue
                if body.get("tools") and "tool" in detail and body.get("tool_choice") != "none":
                    # e.g. vLLM started without --enable-auto-tool-choice: the template still shows
                    # the tools, the model writes its call as text, and the app parses that text.
                    self._tool_choice_fallback = "none"
                    body["tool_choice"] = "none"
                    continue
                raise

    def stream_chat(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        self._require_loaded()
        params = params or GenerationParams()
        stop_event = stop_event or threading.Event()
        stats = GenerationStats()
        self.last_stats = stats
        self.last_tool_calls = []
        started = time.perf_counter()
        if stop_event.is_set():
            stats.finish_reason = "cancelled"
            return
        try:
            response = self._open_stream(self._chat_body(messages, params), stop_event)
        except Cancelled:
            stats.finish_reason = "cancelled"
            stats.total_seconds = time.perf_counter() - started
            return
        except RemoteEngineError:
            stats.finish_reason = "error"
            stats.total_seconds = time.perf_counter() - started
            raise
        done = threading.Event()
        watcher = threading.Thread(target=watch_stop, args=(response, stop_event, done), daemon=True)
        watcher.start()
        reply = StreamedReply()
        completed = False
        try:
            try:
                yield from read_events(response.iter_lines(), reply, stats, started, stop_event)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if not stop_event.is_set() and not reply.ended:  # after the finish_reason, only the epilogue is lost
                    stats.finish_reason = "error"
                    problem = self._http.translate(exc) if isinstance(exc, httpx.TimeoutException) else None
                    raise StreamInterruptedError(
                        (str(problem) + " The reply so far is kept.") if problem else
                        f"The connection to {self.base_url} broke off in the middle of the reply; "
                        "the part received so far is kept.",
                        reply.text,
                    ) from None
            except ServerError as exc:
                stats.finish_reason = "error"
                if reply.received:
                    raise StreamInterruptedError(f"{exc} The reply so far is kept.", reply.text) from None
                raise
            if stop_event.is_set():
                stats.finish_reason = "cancelled"
            elif not reply.ended:
                stats.finish_reason = "error"
                raise StreamInterruptedError(
                    f"The server at {self.base_url} ended the reply early (the connection closed before the "
                    "end); the part received so far is kept.",
                    reply.text,
                )
            else:
                finish_reason = reply.finish_reason
                stats.finish_reason = "stop" if finish_reason in (None, "stop", "tool_calls", "function_call") else finish_reason
                if reply.calls:
                    self.last_tool_calls = reply.tool_calls()
                    text = tool_calls_as_text(self.last_tool_calls)
                    if reply.received:
                        text = "\n" + text
                    stats.total_seconds = time.perf_counter() - started
                    yield text
            completed = True
        finally:
            done.set()
            response.close()
            if not completed and stats.finish_reason not in ("error",):
                stats.finish_reason = "cancelled"  # the consumer stopped reading
            stats.completion_tokens = reply.chunks
            stats.total_seconds = time.perf_counter() - started
            self._apply_usage(stats, reply.usage, messages, params, exact=reply.ended)

    def _apply_usage(
        self, stats: GenerationStats, usage: dict[str, Any] | None, messages: list[Message], params: GenerationParams, exact: bool
    ) -> None:
        if usage:
            stats.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            if exact and usage.get("completion_tokens") is not None:
                stats.completion_tokens = int(usage["completion_tokens"])
            cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
            stats.prompt_tokens_evaluated = max(0, stats.prompt_tokens - int(cached))
            return
        stats.prompt_tokens = self._estimate_prompt_safely(messages, params)
        stats.prompt_tokens_evaluated = stats.prompt_tokens

    def _estimate_prompt_safely(self, messages: list[Message], params: GenerationParams) -> int:
        saved, self._tokenizer = self._tokenizer, None  # no extra request just for statistics
        try:
            return self.count_prompt_tokens(messages, params)
        finally:
            self._tokenizer = saved
