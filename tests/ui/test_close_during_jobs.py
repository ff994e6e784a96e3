"""Closing the window during every kind of background work: the process exits 0, no thread is left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["reply", "tools", "card_saving", "transcription", "connection", "download", "machine_check", "recording"]


@pytest.mark.parametrize("kind", KINDS)
def test_closing_during_work_exits_cleanly(kind, tmp_path):
    model = tmp_path / "fake-model.gguf"
    model.write_text("fake")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "LLAMA_DESK_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.close_during_jobs", kind, str(model)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "QThread: Destroyed" not in output and "Traceback" not in output, output
    assert f"closed: {kind}; threads still running: []" in done.stdout
    if kind == "recording":  # the file was closed properly, not left for recovery
        assert "recording kept: True; in progress: False" in done.stdout, output
