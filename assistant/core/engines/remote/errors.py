"""The remote engine's errors: one family under :class:`RemoteEngineError`, each message meant for the user."""

from __future__ import annotations

from assistant.core.engines.base import (
    EngineError,
)

# ----------------------------------------------------------------------------- errors


class RemoteEngineError(EngineError):
    """Something went wrong talking to the model server; the message is meant for the user."""


class ServerUnreachableError(RemoteEngineError):
    """No connection could be made (wrong address, server down, network, TLS)."""


class AuthenticationError(RemoteEngineError):
    """The server refused the API key (HTTP 401/403) or needs one."""


class RateLimitedError(RemoteEngineError):
    """The server kept answering 429 "too many requests" (``retry_after``: seconds it asked for)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerTimeoutError(RemoteEngineError):
    """The server stopped sending data for longer than the timeout."""


class ModelNotFoundError(RemoteEngineError):
    """The server has no model of that name."""


class ServerError(RemoteEngineError):
    """The server answered with an error (HTTP 4xx/5xx or an error event in the stream)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StreamInterruptedError(RemoteEngineError):
    """The reply broke off; ``partial_text`` is what had already arrived (and been yielded)."""

    def __init__(self, message: str, partial_text: str = "") -> None:
        super().__init__(message)
        self.partial_text = partial_text
