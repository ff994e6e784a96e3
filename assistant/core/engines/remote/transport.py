"""Requests to the model server: one ``httpx`` client (TLS verified), retries on 429/503, failures as user messages.

:class:`Transport` is what :class:`~assistant.core.engines.remote.engine.RemoteEngine` sends
through. Every HTTP failure leaves it as a :class:`RemoteEngineError` subclass whose message
tells the user what happened and what to do.
"""

from __future__ import annotations

import ssl
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.core.engines.remote.errors import (
    AuthenticationError,
    ModelNotFoundError,
    RateLimitedError,
    RemoteEngineError,
    ServerError,
    ServerTimeoutError,
    ServerUnreachableError,
)
from assistant.core.engines.remote.keys import API_KEY_ENV
from assistant.core.engines.remote.wire import retry_after_seconds, server_message


class Cancelled(Exception):
    """The user stopped while the engine was waiting to retry."""


class Transport:
    """The HTTP side of the remote engine, for the server at ``base_url`` (the normalized API base).

    ``api_key`` is sent as a bearer token when given. ``timeout``: seconds to wait for the next
    data from the server. ``max_retries`` extra attempts after 429/503 with Retry-After, waiting at
    most ``max_retry_wait`` seconds each. ``ca_bundle``: a CA file for servers with a company
    certificate (verification stays on).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float,
        connect_timeout: float,
        max_retries: int,
        max_retry_wait: float,
        ca_bundle: str | Path | None = None,
    ) -> None:
        self.base_url = base_url
        self.has_key = bool(api_key)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        verify: ssl.SSLContext | bool = True
        if ca_bundle:
            try:
                verify = ssl.create_default_context(cafile=str(ca_bundle))
            except (OSError, ssl.SSLError) as exc:
                raise RemoteEngineError(f"The CA certificate file {ca_bundle} could not be read ({exc}).") from None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout, connect=connect_timeout), verify=verify
        )

    def close(self) -> None:
        """Close the connections to the server."""
        self.client.close()

    def translate(self, exc: httpx.HTTPError) -> RemoteEngineError:
        """A failed connection or read as the error the user sees."""
        where = self.base_url
        if isinstance(exc, httpx.ConnectTimeout):
            return ServerUnreachableError(
                f"The server at {where} did not accept a connection in time. Check the address and your "
                "network; your local model still works."
            )
        if isinstance(exc, httpx.TimeoutException):
            return ServerTimeoutError(
                f"The server at {where} stopped answering (nothing for {self.timeout:g} s). It may be "
                "overloaded; try again, or use the local model."
            )
        if isinstance(exc, httpx.ConnectError):
            text = str(exc)
            if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
                return ServerUnreachableError(
                    f"The server at {where} presented a certificate that could not be verified ({text}). "
                    "Ask your administrator for the right address or CA certificate."
                )
            return ServerUnreachableError(
                f"Could not reach the server at {where} ({text or 'connection refused'}). Check the address "
                "and that the server is running; your local model still works."
            )
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return RemoteEngineError(f"'{where}' is not a usable server address ({exc}).")
        return ServerUnreachableError(f"The connection to the server at {where} failed: {exc}.")

    def status_error(
        self, response: httpx.Response, retry_after: float | None = None, model: str | None = None
    ) -> RemoteEngineError:
        """An HTTP error answer as the error the user sees (``model``: the one asked for, named on a 404)."""
        status = response.status_code
        detail = server_message(response)
        suffix = f" (server says: {detail})" if detail else ""
        if status in (401, 403):
            if not self.has_key:
                return AuthenticationError(
                    f"The server at {self.base_url} needs an API key{suffix}. Enter it in the server "
                    f"settings, or set {API_KEY_ENV}."
                )
            return AuthenticationError(
                f"The server at {self.base_url} refused the API key (HTTP {status}){suffix}. Check the key "
                "in the server settings."
            )
        if status == 429:
            wait = f" It asks to wait {retry_after:.0f} s." if retry_after else ""
            return RateLimitedError(
                f"The server at {self.base_url} is busy with other requests (too many requests).{wait} "
                "Try again in a moment, or use the local model.",
                retry_after,
            )
        if status == 404 and model and "model" in detail.lower():
            return ModelNotFoundError(f"The server has no model called '{model}'{suffix}.")
        if status >= 500:
            return ServerError(f"The server at {self.base_url} had an internal error (HTTP {status}){suffix}.", status)
        return ServerError(f"The server at {self.base_url} rejected the request (HTTP {status}){suffix}.", status)

    def send(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        stream: bool = False,
        stop_event: threading.Event | None = None,
        model: str | None = None,
    ) -> httpx.Response:
        """Send a request, waiting and retrying on 429/503 with Retry-After; errors become RemoteEngineError.

        Returns a successful response (to be closed by the caller when streaming). Raises
        :class:`Cancelled` when ``stop_event`` is set during a wait before a retry.
        """
        attempt = 0
        while True:
            request = self.client.build_request(method, url, json=json_body)
            try:
                response = self.client.send(request, stream=stream)
            except httpx.HTTPError as exc:
                raise self.translate(exc) from None
            if response.status_code < 400:
                return response
            try:
                response.read()
            except httpx.HTTPError:
                pass
            finally:
                response.close()
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            retryable = response.status_code == 429 or (response.status_code == 503 and retry_after is not None)
            if not retryable or attempt >= self.max_retries:
                raise self.status_error(response, retry_after, model)
            delay = retry_after if retry_after is not None else float(2**attempt)
            if delay > self.max_retry_wait:
                raise self.status_error(response, retry_after, model)
            attempt += 1
            if stop_event is not None:
                if stop_event.wait(delay):
                    raise Cancelled()
            else:
                time.sleep(delay)

    def get_json(self, url: str, model: str | None = None) -> Any:
        """GET ``url`` (with retries) and return its JSON."""
        response = self.send("GET", url, model=model)
        try:
            return response.json()
        except ValueError:
            raise ServerError(f"The server at {self.base_url} did not answer with JSON; is this the API address?") from None

    def probe(self, method: str, url: str, body: Any = None) -> Any:
        """A request whose failure only means "not supported here" (returns None)."""
        try:
            response = self.client.request(method, url, json=body, timeout=min(self.timeout, 10.0))
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except ValueError:
            return None
