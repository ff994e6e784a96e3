"""Folders searched for a model file before it is downloaded.

Other local-AI apps keep GGUF files in known places (LM Studio, GPT4All, Jan,
Ollama's blob store); the user can add more. A file found there with the catalog's
SHA-256 is used instead of downloading it again (see ``download.find_existing``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.core.settings import MODEL_FOLDERS
from assistant.core.store import Store


@dataclass(frozen=True)
class ModelFolder:
    """A folder to search; ``app`` names the program that fills it ("" when the user added it)."""

    path: Path
    app: str = ""

    @property
    def label(self) -> str:
        return f"{self.app} ({self.path})" if self.app else str(self.path)


def app_folders(home: Path | None = None, platform: str | None = None, environ: dict[str, str] | None = None) -> list[ModelFolder]:
    """Where LM Studio, GPT4All, Jan and Ollama keep models on this kind of system (existing or not)."""
    home = home or Path.home()
    platform = platform or sys.platform
    environ = dict(os.environ) if environ is None else environ
    folders = [
        ModelFolder(home / ".lmstudio" / "models", "LM Studio"),
        ModelFolder(home / ".cache" / "lm-studio" / "models", "LM Studio"),  # before LM Studio 0.3
        ModelFolder(Path(environ.get("OLLAMA_MODELS") or home / ".ollama" / "models") / "blobs", "Ollama"),
        ModelFolder(home / "jan" / "models", "Jan"),  # before Jan 0.5
    ]
    if platform == "darwin":
        support = home / "Library" / "Application Support"
        folders += [ModelFolder(support / "nomic.ai" / "GPT4All", "GPT4All"), ModelFolder(support / "Jan" / "data" / "models", "Jan")]
    elif platform.startswith("win"):
        local = Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        roaming = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
        folders += [ModelFolder(local / "nomic.ai" / "GPT4All", "GPT4All"), ModelFolder(roaming / "Jan" / "data" / "models", "Jan")]
    else:
        data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
        folders += [ModelFolder(data / "nomic.ai" / "GPT4All", "GPT4All"), ModelFolder(data / "Jan" / "data" / "models", "Jan")]
    return folders


def added_folders(store: Store) -> list[Path]:
    """Folders the user added, in the order added."""
    return [Path(p) for p in store.get_setting(MODEL_FOLDERS) or []]


def add_folder(store: Store, folder: Path) -> None:
    folder = Path(folder).expanduser().resolve()
    current = added_folders(store)
    if folder not in current:
        store.set_setting(MODEL_FOLDERS, [str(p) for p in [*current, folder]])


def remove_folder(store: Store, folder: Path) -> None:
    folder = Path(folder)
    store.set_setting(MODEL_FOLDERS, [str(p) for p in added_folders(store) if p != folder])


def search_folders(store: Store, home: Path | None = None) -> list[ModelFolder]:
    """The user's folders, then the other apps' folders that exist on this computer, each once."""
    found: list[ModelFolder] = []
    seen: set[Path] = set()
    for folder in [ModelFolder(p) for p in added_folders(store)] + app_folders(home):
        if folder.path.is_dir() and folder.path not in seen:
            seen.add(folder.path)
            found.append(folder)
    return found


def describe_source(where: str, folders: list[ModelFolder]) -> str:
    """A reuse source (``DownloadResult.reused``) in words: the app's name when it is one of ``folders``."""
    for folder in folders:
        if str(folder.path) == where:
            return f"{folder.app}'s models folder" if folder.app else str(folder.path)
    return {"models folder": "Llama Desk's models folder", "Hugging Face cache": "the Hugging Face cache"}.get(where, where)
