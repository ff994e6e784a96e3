"""Fixtures shared by the window tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fake_model(tmp_path):
    """A file the FakeEngine "loads" (it checks nothing unless asked to)."""
    path = tmp_path / "fake-model.gguf"
    path.write_text("fake")
    return str(path)
