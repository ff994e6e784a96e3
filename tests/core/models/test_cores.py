"""physical_cores() on Windows, macOS and Linux inputs (psutil's answer faked), and its fallbacks."""

from __future__ import annotations

import sys

import psutil
import pytest

from assistant.core.models import hardware


def _fake_psutil(monkeypatch: pytest.MonkeyPatch, physical: int | None, threads: int) -> None:
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: threads if logical else physical)


@pytest.mark.parametrize("platform_name", ["win32", "darwin", "linux"])
def test_psutil_physical_count_on_every_os(monkeypatch: pytest.MonkeyPatch, platform_name: str) -> None:
    # an 8-core / 16-thread laptop: 8 threads for llama.cpp's sake, never 16
    monkeypatch.setattr(sys, "platform", platform_name)
    _fake_psutil(monkeypatch, physical=8, threads=16)
    assert hardware.physical_cores() == 8


@pytest.mark.parametrize(
    ("platform_name", "machine", "threads", "expected"),
    [
        ("win32", "AMD64", 16, 8),  # x86 without an answer: two threads per core assumed
        ("darwin", "arm64", 10, 10),  # Arm: every core is a core
    ],
)
def test_fallback_without_an_answer(monkeypatch: pytest.MonkeyPatch, platform_name: str, machine: str, threads: int, expected: int) -> None:
    monkeypatch.setattr(sys, "platform", platform_name)
    monkeypatch.setattr(hardware.platform, "machine", lambda: machine)
    monkeypatch.setattr(hardware.os, "cpu_count", lambda: threads)
    _fake_psutil(monkeypatch, physical=None, threads=threads)
    assert hardware.physical_cores() == expected


def test_this_machine_has_at_least_one_core() -> None:
    assert 1 <= hardware.physical_cores() <= (psutil.cpu_count() or 1)
