"""Where Llama Desk keeps user data (its data folder, its secrets in the OS keyring) and finds its bundled resources."""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "llama-desk"
# The OS keyring service every secret is stored under (server API keys, CalDAV passwords), each
# with its own user name. Kept apart from APP_NAME on purpose: changing it would lose saved secrets.
KEYRING_SERVICE = "llama-desk"


def data_dir() -> Path:
    """The per-user data folder (history database, models, recordings).

    ``LLAMA_DESK_DATA_DIR`` overrides it (tests, portable installs).
    """
    override = os.environ.get("LLAMA_DESK_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Folder where downloaded model files are stored."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def resource_path(name: str) -> Path:
    """Path of a file under ``resources/``, from a source tree, a wheel or a frozen bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidate = Path(frozen_root) / "assistant" / "resources" / name
        if candidate.exists():
            return candidate
    return Path(str(resources.files("assistant.resources").joinpath(name)))
