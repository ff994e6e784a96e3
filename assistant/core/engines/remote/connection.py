"""What a server says about itself: its models, which server it is, the context size it serves, the connection check's message."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ConnectionStatus:
    """The result of :meth:`RemoteEngine.test_connection`; ``str()`` gives the message."""

    ok: bool
    message: str
    models: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def models_from_listing(data: Any) -> list[dict[str, Any]]:
    """The model entries (each with an ``id``) of a ``GET /v1/models`` answer."""
    items = data.get("data", data.get("models", [])) if isinstance(data, dict) else data
    return [m for m in (items or []) if isinstance(m, dict) and m.get("id")]


def guess_server_kind(models: list[dict[str, Any]]) -> str:
    """Which server this is, from the ``owned_by`` of its models."""
    owners = {str(m.get("owned_by", "")).lower() for m in models}
    if "llamacpp" in owners:
        return "llama.cpp server"
    if "vllm" in owners:
        return "vLLM"
    if "library" in owners or "ollama" in owners:
        return "Ollama"
    if "me" in owners:
        return "llama-cpp-python server"
    return "OpenAI-compatible server"


def match_model(wanted: str, available: list[str]) -> str | None:
    """The served name of the model ``wanted``, or None when the server has no such model."""
    if wanted in available:
        return wanted
    if f"{wanted}:latest" in available:  # Ollama's default tag
        return f"{wanted}:latest"
    return None


def listed_context(entry: dict[str, Any]) -> int | None:
    """The context size a model's ``/v1/models`` entry gives (vLLM and others), if any."""
    for key in ("max_model_len", "context_length", "context_window", "max_context_length"):
        if isinstance(entry.get(key), int) and entry[key] > 0:
            return entry[key]
    return None


def props_context(props: Any) -> int | None:
    """The context size in a llama.cpp server's ``/props`` answer, if any."""
    if isinstance(props, dict):
        settings = props.get("default_generation_settings") or {}
        for value in (settings.get("n_ctx"), props.get("n_ctx")):
            if isinstance(value, int) and value > 0:
                return value
    return None


def trained_context(entry: dict[str, Any]) -> int | None:
    """The context size the model was trained for, from its entry's ``meta`` (llama-cpp-python), if any."""
    meta = entry.get("meta") or {}
    if isinstance(meta.get("n_ctx_train"), int) and meta["n_ctx_train"] > 0:
        return meta["n_ctx_train"]
    return None


def connection_status(
    base_url: str, model: str | None, models: list[str], server_kind: str, encrypted: bool
) -> ConnectionStatus:
    """The connection check's result once the server has listed ``models``."""
    if not models:
        return ConnectionStatus(False, f"Connected to {base_url}, but the server offers no models.")
    if model and match_model(model, models) is None:
        return ConnectionStatus(
            False, f"Connected, but the server has no model '{model}'. It offers: {', '.join(models[:5])}.", models
        )
    shown = ", ".join(Path(m).name if "/" in m else m for m in models[:3])
    more = f" and {len(models) - 3} more" if len(models) > 3 else ""
    message = f"Connected to {server_kind} at {base_url}: {len(models)} model(s) ({shown}{more})."
    if not encrypted:
        message += " Note: plain http:// — conversations travel unencrypted on the network."
    return ConnectionStatus(True, message, models)
