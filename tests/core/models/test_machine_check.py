"""The machine check (measured here, briefly), its per-machine cache, the calibration, and
recommendations made from measured speeds and free disk."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.core.models import machine_check
from assistant.core.models.catalog import load_catalog
from assistant.core.models.machine_check import MachineCheck, cached, cached_or_measure, machine_key, record_speed
from assistant.core.models.selector import FITS, NO_DISK, Preferences, disk_needed, fit_table, select_build
from assistant.core.models.speed import COMFORTABLE_TOKENS_PER_SECOND, predict
from tests.support.profiles import GIB, PROFILES

CATALOG = load_catalog()
LAPTOP = PROFILES["16 GB laptop (AVX2)"]


def _check(profile=LAPTOP, gbps: float = 18, gflops: float = 45, calibration: float = 1.0) -> MachineCheck:
    return MachineCheck(machine_key(profile), gbps * 1e9, gflops * 1e9, 4, 2.5, "2025-01-01T00:00:00+00:00", calibration)


def test_the_check_runs_on_this_machine() -> None:
    check = machine_check.measure(LAPTOP, threads=1, budget=0.3)  # short: the machine is shared
    assert check.bandwidth > 1e8 and check.matmul_flops > 1e6
    assert check.threads == 1 and check.basis().startswith("measured ")


def test_cached_per_machine_and_measured_again_on_demand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = []
    monkeypatch.setattr(machine_check, "measure", lambda profile: runs.append(1) or _check(profile, gbps=10 + len(runs)))
    first = cached_or_measure(LAPTOP, folder=tmp_path)
    assert cached_or_measure(LAPTOP, folder=tmp_path).bandwidth == first.bandwidth and len(runs) == 1
    assert record_speed(first, predicted=10, measured=5, folder=tmp_path) == 0.5
    again = cached_or_measure(LAPTOP, again=True, folder=tmp_path)
    assert len(runs) == 2 and again.bandwidth != first.bandwidth
    assert again.calibration == 0.5  # what the speed check taught is kept
    assert cached(PROFILES["M1 8 GB"], folder=tmp_path) is None  # another machine: not its check
    (tmp_path / machine_check.CHECK_FILE).write_text("{broken")
    assert cached(LAPTOP, folder=tmp_path) is None


def test_calibration_changes_only_beyond_30_percent(tmp_path: Path) -> None:
    check = _check()
    assert record_speed(check, predicted=10, measured=12.5, folder=tmp_path) is None
    assert not (tmp_path / machine_check.CHECK_FILE).exists()
    assert record_speed(check, predicted=10, measured=14, folder=tmp_path) == pytest.approx(1.4)
    assert cached(LAPTOP, folder=tmp_path).calibration == pytest.approx(1.4)
    build = CATALOG.build("llama-3.2-1b-instruct-q4_k_m")
    plain = predict(LAPTOP, build, 0, _check()).tokens_per_second
    assert predict(LAPTOP, build, 0, check).tokens_per_second == pytest.approx(1.4 * plain)


def test_prediction_scales_with_bandwidth_and_file_size() -> None:
    q4, q8 = CATALOG.build("llama-3.2-3b-instruct-q4_k_m"), CATALOG.build("llama-3.2-3b-instruct-q8_0")
    slow, fast = _check(gbps=5, gflops=1000), _check(gbps=20, gflops=1000)
    assert predict(LAPTOP, q4, 0, fast).tokens_per_second > 3.5 * predict(LAPTOP, q4, 0, slow).tokens_per_second
    assert predict(LAPTOP, q4, 0, fast).tokens_per_second > predict(LAPTOP, q8, 0, fast).tokens_per_second
    # compute-bound: an old CPU's slow arithmetic lowers the prediction at the same bandwidth
    assert predict(LAPTOP, q4, 0, _check(gbps=20, gflops=2)).tokens_per_second < 0.5 * predict(LAPTOP, q4, 0, fast).tokens_per_second


def test_measured_speed_decides_between_1b_and_3b() -> None:
    # the 2-core machine: a slow measurement must not recommend 3B at 4 tokens/s
    slow = select_build(LAPTOP, Preferences(), CATALOG, _check(gbps=8))
    assert slow.build.model.layers == 16 and slow.tokens_per_second >= COMFORTABLE_TOKENS_PER_SECOND
    assert "measured 8 GB/s" in " ".join(slow.reasons) and slow.basis == "measured 8 GB/s"
    fast = select_build(LAPTOP, Preferences(), CATALOG, _check(gbps=40))
    assert fast.build.model.layers == 28 and fast.tokens_per_second >= COMFORTABLE_TOKENS_PER_SECOND
    crawl = select_build(LAPTOP, Preferences(), CATALOG, _check(gbps=1))  # nothing reaches 8: the fastest
    fastest = max((e for e in fit_table(LAPTOP, CATALOG, check=_check(gbps=1)) if e.fit == FITS), key=lambda e: e.tokens_per_second)
    assert crawl.build.id == fastest.build.id and any("Replies will be slow" in w for w in crawl.warnings)


def test_low_disk_is_a_hard_limit() -> None:
    profile = PROFILES["16 GB laptop, 1.5 GB disk free (Windows)"]
    labels = {e.build.id: e.fit for e in fit_table(profile, CATALOG)}
    assert labels["llama-3.2-3b-instruct-q4_k_m"] == NO_DISK  # 2.02 GB download, 1.5 GB free
    assert labels["llama-3.2-1b-instruct-q4_k_m"] == FITS
    for build_id, fit in labels.items():
        assert (fit == NO_DISK) == (disk_needed(CATALOG.build(build_id)) > profile.free_disk_bytes)
    nearly_full = replace(profile, free_disk_bytes=int(0.5 * GIB))
    choice = select_build(nearly_full, Preferences(), CATALOG)
    assert choice.build is None and "Not enough disk space" in choice.reasons[0]
    assert r"C:\Users\Ana\AppData\Local\llama-desk\models" in choice.reasons[0]


def test_models_list_says_not_enough_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "low-disk.json"
    saved.write_text(PROFILES["16 GB laptop, 1.5 GB disk free (Windows)"].to_json())
    assert main(["models", "list", "--profile", str(saved)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("llama-3.2-3b-instruct-q4_k_m" in line and "not enough disk" in line for line in lines)
    assert main(["models", "list", "--json", "--profile", str(saved)]) == 0
    rows = {row["build"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["llama-3.2-3b-instruct-q8_0"]["fit"] == "not enough disk" and rows["llama-3.2-1b-instruct-q4_0"]["fit"] == "fits"
