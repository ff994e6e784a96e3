"""The remote engine: a model served by an OpenAI-compatible server (llama.cpp server, Ollama, vLLM, ...).

Exports :class:`RemoteEngine` (``engine``), its errors (``errors``), the API-key helpers
(``keys``: :func:`store_api_key`, :func:`find_api_key`, :func:`normalize_base_url`) and
:func:`tool_calls_as_text` (``wire``: the OpenAI wire format). The engine's parts:
``transport`` (HTTP requests, retries, failures as user messages), ``stream`` (reading the
server-sent events of a reply) and ``connection`` (model listing, server kind, context size,
the connection check).
"""

from assistant.core.engines.remote.engine import (
    RemoteEngine,
)
from assistant.core.engines.remote.errors import (
    AuthenticationError,
    ModelNotFoundError,
    RateLimitedError,
    RemoteEngineError,
    ServerError,
    ServerTimeoutError,
    ServerUnreachableError,
    StreamInterruptedError,
)
from assistant.core.engines.remote.keys import (
    API_KEY_ENV,
    find_api_key,
    keyring_user,
    normalize_base_url,
    store_api_key,
)
from assistant.core.engines.remote.wire import tool_calls_as_text

__all__ = [
    "API_KEY_ENV",
    "AuthenticationError",
    "ModelNotFoundError",
    "RateLimitedError",
    "RemoteEngine",
    "RemoteEngineError",
    "ServerError",
    "ServerTimeoutError",
    "ServerUnreachableError",
    "StreamInterruptedError",
    "find_api_key",
    "keyring_user",
    "normalize_base_url",
    "store_api_key",
    "tool_calls_as_text",
]
