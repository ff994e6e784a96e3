"""Folders searched for an existing model file: other apps' defaults and the user's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.models import folders as model_folders
from assistant.core.models.folders import ModelFolder, app_folders
from assistant.core.settings import MODEL_FOLDERS
from assistant.core.store import Store


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {}, {"LM Studio": ".lmstudio/models", "GPT4All": ".local/share/nomic.ai/GPT4All",
                       "Jan": ".local/share/Jan/data/models", "Ollama": ".ollama/models/blobs"}),
        ("linux", {"XDG_DATA_HOME": "/data", "OLLAMA_MODELS": "/srv/ollama"},
         {"GPT4All": "/data/nomic.ai/GPT4All", "Ollama": "/srv/ollama/blobs"}),
        ("darwin", {}, {"GPT4All": "Library/Application Support/nomic.ai/GPT4All",
                        "Jan": "Library/Application Support/Jan/data/models"}),
        ("win32", {"LOCALAPPDATA": "/c/Users/ann/AppData/Local", "APPDATA": "/c/Users/ann/AppData/Roaming"},
         {"GPT4All": "/c/Users/ann/AppData/Local/nomic.ai/GPT4All", "Jan": "/c/Users/ann/AppData/Roaming/Jan/data/models",
          "LM Studio": ".lmstudio/models"}),
    ],
)
def test_other_apps_folders_per_system(platform: str, environ: dict, expected: dict) -> None:
    home = Path("/home/ann")
    folders = app_folders(home, platform, environ)
    for app, path in expected.items():
        assert ModelFolder(home / path, app) in folders, (app, [f.path for f in folders if f.app == app])


def test_search_folders_are_the_added_ones_then_existing_app_folders(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    home = tmp_path / "home"
    (home / ".lmstudio" / "models").mkdir(parents=True)
    mine = tmp_path / "my models"
    mine.mkdir()
    assert [f.app for f in model_folders.search_folders(store, home)] == ["LM Studio"]  # only folders that exist
    model_folders.add_folder(store, mine)
    model_folders.add_folder(store, mine)  # once only
    found = model_folders.search_folders(store, home)
    assert found == [ModelFolder(mine.resolve()), ModelFolder(home / ".lmstudio" / "models", "LM Studio")]
    assert Store(tmp_path / "history.db").get_setting(MODEL_FOLDERS) == [str(mine.resolve())]  # kept
    assert model_folders.describe_source(str(home / ".lmstudio" / "models"), found) == "LM Studio's models folder"
    assert model_folders.describe_source(str(mine.resolve()), found) == str(mine.resolve())
    assert model_folders.describe_source("Hugging Face cache", found) == "the Hugging Face cache"
    model_folders.remove_folder(store, mine.resolve())
    assert model_folders.search_folders(store, home) == found[1:]
