"""The GPU control: stored in the settings registry, passed to the engine's n_gpu_layers, shown in the status bar."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core import settings
from assistant.core.engines.base import LoadInfo
from assistant.core.engines.fake import FakeEngine
from assistant.core.engines.llama import LlamaCppEngine, offloaded_layers
from assistant.core.store import Store
from tests.support.ui_helpers import close_window, open_window


@pytest.mark.parametrize(("stored", "n_gpu_layers"), [("auto", None), ("all", -1), ("none", 0), ("12", 12), ("garbage", None), (None, None)])
def test_setting_values_map_to_n_gpu_layers(stored, n_gpu_layers) -> None:
    assert settings.parse_gpu_layers(stored) == n_gpu_layers


def test_registered_with_auto_as_default() -> None:
    assert settings.REGISTRY[settings.GPU_LAYERS].default == "auto" and settings.gpu_layers() is None


@pytest.mark.parametrize(
    ("requested", "can_offload", "expected"),
    [(None, True, 29), (-1, True, 29), (0, True, 0), (12, True, 12), (99, True, 29), (None, False, 0), (12, False, 0)],
)
def test_offloaded_layers(requested, can_offload, expected) -> None:
    assert offloaded_layers(requested, can_offload, 29) == expected


def test_where_the_model_runs() -> None:
    info = LoadInfo("m", "/m.gguf", 8192, 4, 1.0)
    assert info.where() == "CPU"
    assert LoadInfo("m", "/m.gguf", 8192, 4, 1.0, gpu_layers=29, total_layers=29).where() == "GPU, 29 layers"
    assert LoadInfo("m", "/m.gguf", 8192, 4, 1.0, gpu_layers=10, total_layers=29).where() == "GPU, 10 of 29 layers"


def test_settings_dialog_stores_the_gpu_choice(qtbot) -> None:
    from assistant.ui.settings_dialog import SettingsDialog

    store = Store()
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    assert dialog.gpu_choice() == "auto" and not dialog.gpu_layers_box.isEnabled()
    assert "llama.cpp" in dialog.gpu_note.text()
    dialog.gpu_box.setCurrentIndex(dialog.gpu_box.findData("layers"))
    assert dialog.gpu_layers_box.isEnabled()
    dialog.gpu_layers_box.setValue(12)
    dialog.save()
    assert store.get_setting(settings.GPU_LAYERS) == "12" and settings.gpu_layers(store) == 12
    again = SettingsDialog(store)
    qtbot.addWidget(again)
    assert again.gpu_choice() == "12"
    again.gpu_box.setCurrentIndex(again.gpu_box.findData("none"))
    again.save()
    assert settings.gpu_layers(store) == 0


def test_status_bar_says_where_the_model_runs(qtbot, tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(64))
    window = open_window(qtbot, FakeEngine(), str(model))
    assert "CPU" in window.model_label.text()
    close_window(window)


def test_engine_takes_the_setting_at_every_load(smollm_path: Path) -> None:
    asked: list[int] = []

    def setting() -> int:
        asked.append(1)
        return -1  # "all layers": on a CPU-only llama.cpp nothing can be offloaded

    engine = LlamaCppEngine(n_threads=1, n_gpu_layers=setting)
    info = engine.load(smollm_path, n_ctx=512)
    try:
        assert asked and info.total_layers == 31  # SmolLM2-135M: 30 blocks + output
        assert info.where() == ("CPU" if info.gpu_layers == 0 else f"GPU, {info.total_layers} layers")
    finally:
        engine.unload()
