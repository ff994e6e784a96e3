"""Every named setting of the app: its key, type and default, in one registry.

Settings are kept in the history database (``Store.get_setting`` / ``set_setting``); a key
read without an explicit default gets the default registered here. The command line reads
settings with :func:`read`, which opens the database read-only: no migration, and no start-up
repair (:meth:`Store.recover_interrupted`, run only by the app's window start), so a reply the
running app is streaming is never marked cut short by a CLI settings read.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.core.paths import data_dir
from assistant.core.store import DB_NAME

if TYPE_CHECKING:
    from assistant.core.store import Store

DEFAULT_CONTEXT_SIZE = 8192


@dataclass(frozen=True)
class Setting:
    key: str
    kind: type
    default: Any
    about: str


REGISTRY: dict[str, Setting] = {}


def _setting(key: str, kind: type, default: Any, about: str) -> str:
    REGISTRY[key] = Setting(key, kind, default, about)
    return key


MODEL_PATH = _setting("model_path", str, None, "the model file chosen last (--model or Open model file…)")
CONTEXT_SIZE = _setting("context_size", int, DEFAULT_CONTEXT_SIZE, "context size in tokens for local models")
SERVER_URL = _setting("server_url", str, None, "OpenAI-compatible server to chat with, instead of a local model")
SERVER_MODEL = _setting("server_model", str, None, "model name on that server (default: the first it lists)")
CHAT_TOOLS = _setting("chat_tools", bool, True, "whether chat offers the calendar tools")
CHAT_CALENDAR = _setting("chat_calendar", str, "local", "the calendar the chat's tools and the meeting notes use")
SPEECH_MODEL = _setting("speech_model", str, None, "folder or id of the faster-whisper model (else the first downloaded)")
LICENSE_ACCEPTED = _setting("llama32_license_accepted", str, None, "when the user accepted the Llama 3.2 licence (ISO time)")
MODEL_FOLDERS = _setting("model_search_folders", list, [], "folders the user added to search for model files")
GPU_LAYERS = _setting(
    "gpu_layers", str, "auto",
    "where the local model runs: auto (every layer on the GPU when llama.cpp can offload), all, none, or a number of layers",
)
GPU_CHOICES = ("auto", "all", "none")
SEND_KEY = _setting(
    "send_key", str, "enter",
    "which key sends a chat message: enter (Shift+Enter starts a new line) or ctrl+enter (Enter starts a new line)",
)
SEND_KEYS = ("enter", "ctrl+enter")
IDLE_UNLOAD_MINUTES = _setting(
    "idle_unload_minutes", int, 0,
    "minutes the local model may sit idle before it is unloaded to free memory (0: never); it loads again with the next request",
)


def default(key: str) -> Any:
    """The registered default of ``key`` (a fresh copy of a list); None for an unknown key."""
    setting = REGISTRY.get(key)
    if setting is None:
        return None
    return list(setting.default) if isinstance(setting.default, list) else setting.default


def read(key: str, path: str | Path | None = None) -> Any:
    """A setting without opening the app's :class:`Store`: read-only, no migration, no start-up repair.

    The default when there is no database yet, it cannot be read, or the key was never set.
    """
    path = Path(path) if path else data_dir() / DB_NAME
    if not path.is_file():
        return default(key)
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return default(key)
    return json.loads(row[0]) if row else default(key)


def remembered_model(store: Store | None = None) -> str | None:
    """The model file chosen last time (``--model`` or "Open model file…"), if any."""
    value = store.get_setting(MODEL_PATH) if store is not None else read(MODEL_PATH)
    return str(value) if value else None


def remember_model(path: str | Path, store: Store) -> None:
    store.set_setting(MODEL_PATH, str(Path(path).expanduser().resolve()))


def context_size(store: Store | None = None) -> int:
    return int(store.get_setting(CONTEXT_SIZE) if store is not None else read(CONTEXT_SIZE))


def parse_gpu_layers(value: object) -> int | None:
    """The engine's ``n_gpu_layers`` for a GPU setting: None for auto, -1 all, 0 none, N layers."""
    text = str(value or "auto").strip().lower()
    if text == "all":
        return -1
    if text == "none":
        return 0
    if text.isdigit():
        return int(text)
    return None  # "auto", or anything unreadable


def gpu_layers(store: Store | None = None) -> int | None:
    return parse_gpu_layers(store.get_setting(GPU_LAYERS) if store is not None else read(GPU_LAYERS))


def idle_unload_seconds(store: Store | None = None) -> float | None:
    """Seconds after which an idle model is unloaded, or None when that is off (the default)."""
    value = store.get_setting(IDLE_UNLOAD_MINUTES) if store is not None else read(IDLE_UNLOAD_MINUTES)
    try:
        minutes = float(value or 0)
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None
