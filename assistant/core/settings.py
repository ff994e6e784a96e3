"""Named settings kept in the history database, with their defaults."""

from __future__ import annotations

from pathlib import Path

from assistant.core.store import Store

MODEL_PATH = "model_path"
CONTEXT_SIZE = "context_size"
DEFAULT_CONTEXT_SIZE = 8192


def remembered_model(store: Store | None = None) -> str | None:
    """The model file chosen last time (``--model`` or "Open model file…"), if any."""
    store = store or Store()
    value = store.get_setting(MODEL_PATH)
    return str(value) if value else None


def remember_model(path: str | Path, store: Store | None = None) -> None:
    store = store or Store()
    store.set_setting(MODEL_PATH, str(Path(path).expanduser().resolve()))


def context_size(store: Store | None = None) -> int:
    store = store or Store()
    return int(store.get_setting(CONTEXT_SIZE, DEFAULT_CONTEXT_SIZE))
