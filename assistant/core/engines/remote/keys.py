"""Server addresses and API keys: the normalized base URL, and the key kept in the OS keyring (or ``LLAMA_DESK_API_KEY``)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from assistant.core.engines.remote.errors import RemoteEngineError
from assistant.core.paths import KEYRING_SERVICE

API_KEY_ENV = "LLAMA_DESK_API_KEY"


# ----------------------------------------------------------------------------- addresses and keys


def normalize_base_url(url: str) -> str:
    """The API base (ending in ``/v1``) for what a user typed: ``host:8080``, ``http://h:8080/``, ``.../v1``."""
    text = (url or "").strip()
    if text and "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteEngineError(
            f"'{url}' is not a server address. It should look like http://127.0.0.1:8080/v1 "
            "or https://llm.example.com/v1."
        )
    path = parts.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}"


def keyring_user(base_url: str) -> str:
    """The keyring user name the API key of this server is stored under."""
    return normalize_base_url(base_url)


def store_api_key(base_url: str, api_key: str) -> None:
    """Keep the API key of this server in the OS keyring (an empty key deletes it)."""
    import keyring
    import keyring.errors

    try:
        if api_key:
            keyring.set_password(KEYRING_SERVICE, keyring_user(base_url), api_key)
        else:
            forget_api_key(base_url)
    except keyring.errors.KeyringError as exc:
        raise RemoteEngineError(
            f"The API key could not be saved in the system keyring ({exc}). "
            f"You can set the {API_KEY_ENV} environment variable instead."
        ) from None


def forget_api_key(base_url: str) -> None:
    """Remove this server's API key from the keyring (no error if there is none)."""
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(KEYRING_SERVICE, keyring_user(base_url))
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError:
        pass


def find_api_key(base_url: str, api_key: str | None = None) -> str | None:
    """The key to use: the one given, else ``LLAMA_DESK_API_KEY``, else the keyring entry."""
    if api_key:
        return api_key
    if os.environ.get(API_KEY_ENV):
        return os.environ[API_KEY_ENV]
    try:
        import keyring
        import keyring.errors

        return keyring.get_password(KEYRING_SERVICE, keyring_user(base_url)) or None
    except Exception:
        return None
