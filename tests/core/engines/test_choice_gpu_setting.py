"""Engines loaded from the command line (self-test, ask, bench) follow the app's GPU setting."""

from __future__ import annotations

from pathlib import Path

from assistant.core import settings
from assistant.core.engines.choice import load_local
from assistant.core.store import Store


def test_command_line_engines_read_the_gpu_setting_at_every_load(smollm_path: Path) -> None:
    store = Store()  # the test's own data folder (conftest)
    store.set_setting(settings.GPU_LAYERS, "none")
    engine = load_local(str(smollm_path), 256)
    try:
        assert engine.n_gpu_layers() == 0 and engine.info.gpu_layers == 0 and engine.info.where() == "CPU"
        store.set_setting(settings.GPU_LAYERS, "all")
        assert engine.n_gpu_layers() == -1  # read again at the next load
        store.set_setting(settings.GPU_LAYERS, "7")
        assert engine.n_gpu_layers() == 7
    finally:
        engine.unload()
        store.db.close()
