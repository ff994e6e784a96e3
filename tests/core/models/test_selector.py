"""The build selector over realistic machines (table-driven), fit labels and refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.core.models.catalog import load_catalog
from assistant.core.models.selector import FITS, TIGHT, WONT_FIT, Preferences, estimate, fit_table, select_build
from assistant.core.models.speed import COMFORTABLE_TOKENS_PER_SECOND
from tests.support.profiles import GIB, PROFILES

CATALOG = load_catalog()

# profile -> (build id or None, gpu layers, words that must appear in the reasons/warnings)
EXPECTED = {
    "old i5 without AVX2 (8 GB)": ("llama-3.2-1b-instruct-q4_0", 0, ["no AVX2", "smallest"]),
    "8 GB Windows laptop": ("llama-3.2-1b-instruct-q8_0", 0, ["3B model would write only about 7.5 tokens/s", "8k context"]),
    "8 GB laptop, browser open": ("llama-3.2-1b-instruct-q6_k", 0, ["3B model would need"]),
    "4 GB Raspberry Pi 5": ("llama-3.2-1b-instruct-q4_0", 0, ["Arm processor", "3B model would need"]),
    "8 GB Raspberry Pi 5": ("llama-3.2-1b-instruct-q4_0", 0, ["Arm processor", "3B model would write only"]),
    "M1 8 GB": ("llama-3.2-3b-instruct-q4_k_m", 29, ["Apple GPU (Metal)"]),
    "M2 Pro 32 GB": ("llama-3.2-3b-instruct-q8_0", 29, ["Apple GPU (Metal)"]),
    "16 GB laptop (AVX2)": ("llama-3.2-3b-instruct-q6_k", 0, ["AVX2", "estimated for this kind of processor"]),
    "desktop with 8 GB NVIDIA card": ("llama-3.2-3b-instruct-q8_0", 29, ["All 29 layers run on the NVIDIA GeForce RTX 3060 Ti"]),
    "NVIDIA card, CPU-only llama-cpp": ("llama-3.2-3b-instruct-q6_k", 0, ["built without GPU support"]),
    "64 GB workstation": ("llama-3.2-3b-instruct-q8_0", 0, ["AVX-512"]),
    "4 GB Chromebook (Celeron)": (None, 0, ["at least 2 GB free", "Close other programs"]),
    "4 GB laptop (AVX2), little free": ("llama-3.2-1b-instruct-q4_k_m", 0, ["3B model would need"]),
    "16 GB laptop, 1.5 GB disk free (Windows)": ("llama-3.2-1b-instruct-q6_k", 0, ["does not fit the free disk space"]),
    "Snapdragon X Elite laptop": ("llama-3.2-3b-instruct-q8_0", 0, ["3B rather than 1B", "Arm CPU"]),
    "32-core workstation": ("llama-3.2-3b-instruct-q8_0", 0, ["AVX-512"]),
    "NVIDIA 4 GB card, CUDA build": ("llama-3.2-3b-instruct-q8_0", 21, ["21 of 29 layers fit on the graphics card"]),
}


def test_every_profile_has_an_expectation() -> None:
    assert set(EXPECTED) == set(PROFILES) and len(PROFILES) >= 12


@pytest.mark.parametrize("name", list(EXPECTED))
def test_choice_for_profile(name: str) -> None:
    build_id, gpu_layers, words = EXPECTED[name]
    profile = PROFILES[name]
    choice = select_build(profile, Preferences(), CATALOG)
    assert (choice.build.id if choice.build else None) == build_id
    assert choice.gpu_layers == gpu_layers
    text = " ".join(choice.reasons + choice.warnings)
    for word in words:
        assert word in text
    if choice.build:
        # it fits with headroom, and the estimate is weights + KV cache + overhead
        est = estimate(profile, choice.build, choice.context_length)
        assert est.fit == FITS
        kv = choice.build.model.kv_bytes_per_token() * choice.context_length
        assert choice.memory_bytes > choice.build.download_size + kv
        assert f"{choice.memory_bytes / 1e9:.1f} GB" in choice.reasons[0]


def test_prefers_3b_whenever_it_fits_and_feels_fast() -> None:
    for name, profile in PROFILES.items():
        choice = select_build(profile, Preferences(), CATALOG)
        if choice.build is None or not (profile.has_avx2 or profile.is_arm):
            continue
        table = fit_table(profile, CATALOG)
        three_b_ok = any(e.fit == FITS and e.build.model.layers == 28 and e.tokens_per_second >= COMFORTABLE_TOKENS_PER_SECOND for e in table)
        assert (choice.build.model.layers == 28) == three_b_ok, name
        comfortable = [e for e in table if e.fit == FITS and e.tokens_per_second >= COMFORTABLE_TOKENS_PER_SECOND]
        if comfortable:
            assert choice.tokens_per_second >= COMFORTABLE_TOKENS_PER_SECOND, name
        else:  # nothing reaches the threshold: the fastest that fits
            assert choice.tokens_per_second == max(e.tokens_per_second for e in table if e.fit == FITS), name


def test_never_recommends_a_build_that_does_not_fit() -> None:
    for name, profile in PROFILES.items():
        choice = select_build(profile, Preferences(), CATALOG)
        if choice.build:
            fit = {e.build.id: e.fit for e in fit_table(profile, CATALOG)}[choice.build.id]
            assert fit == FITS, name


def test_priority_changes_the_quantization_not_the_model() -> None:
    profile = PROFILES["16 GB laptop (AVX2)"]
    picks = {p: select_build(profile, Preferences(priority=p), CATALOG).build.id for p in ("speed", "balanced", "quality")}
    assert picks == {
        "speed": "llama-3.2-3b-instruct-q4_0",
        "balanced": "llama-3.2-3b-instruct-q6_k",
        "quality": "llama-3.2-3b-instruct-q8_0",
    }


def test_context_is_reduced_before_refusing() -> None:
    profile = replace(PROFILES["4 GB laptop (AVX2), little free"], available_ram_bytes=int(1.9 * GIB))
    choice = select_build(profile, Preferences(context_length=8192), CATALOG)
    assert choice.build is not None and choice.context_length == 4096
    assert any("reduced to 4k" in w for w in choice.warnings)


def test_refuses_when_nothing_fits_even_above_2_gb() -> None:
    profile = replace(PROFILES["4 GB laptop (AVX2), little free"], total_ram_bytes=64 * GIB, available_ram_bytes=int(2.1 * GIB))
    choice = select_build(profile, Preferences(), CATALOG)
    assert choice.build is None and "No Llama 3.2 build fits" in choice.reasons[0]


def test_longer_context_needs_more_memory() -> None:
    build = CATALOG.build("llama-3.2-3b-instruct-q4_k_m")
    profile = PROFILES["64 GB workstation"]
    short, long = estimate(profile, build, 4096), estimate(profile, build, 32768)
    assert long.memory_bytes - short.memory_bytes == 112 * 1024 * (32768 - 4096)


def test_fit_labels() -> None:
    labels = {e.build.id: e.fit for e in fit_table(PROFILES["4 GB Raspberry Pi 5"], CATALOG)}
    assert labels["llama-3.2-1b-instruct-q4_0"] == FITS
    assert labels["llama-3.2-3b-instruct-q4_0"] == TIGHT  # fits free memory, not with headroom
    assert labels["llama-3.2-3b-instruct-q8_0"] == WONT_FIT


def test_partial_offload_when_the_card_is_small() -> None:
    profile = replace(PROFILES["NVIDIA card, CPU-only llama-cpp"], gpu_offload_supported=True)
    est = estimate(profile, CATALOG.build("llama-3.2-3b-instruct-q8_0"), 8192)
    assert 0 < est.gpu_layers < 29 and est.vram_bytes < 4 * GIB


def test_recommend_cli_evaluates_a_saved_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "m1.json"
    saved.write_text(PROFILES["M1 8 GB"].to_json())
    assert main(["models", "recommend", "--json", "--profile", str(saved)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["build"] == "llama-3.2-3b-instruct-q4_k_m" and data["gpu_layers"] == 29
    assert data["reasons"] and data["memory_bytes"] > 3 * 10**9


def test_recommend_cli_refusal_exits_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "small.json"
    saved.write_text(PROFILES["4 GB Chromebook (Celeron)"].to_json())
    assert main(["models", "recommend", "--profile", str(saved)]) == 1
    assert "at least 2 GB free" in capsys.readouterr().err


def test_recommend_cli_bad_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "bad.json"
    saved.write_text("{")
    assert main(["models", "recommend", "--profile", str(saved)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
