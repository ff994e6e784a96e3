"""The hardware probe: parsers over captured OS outputs, and the live probe on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.models import hardware as hw
from tests.support import TEST_DATA

DATA = TEST_DATA


def read(name: str) -> str:
    return (DATA / name).read_text()


@pytest.mark.parametrize(
    ("sample", "model", "features", "missing", "physical", "logical"),
    [
        ("cpuinfo/x86_64_xeon_avx512_vm.txt", "Intel(R) Xeon(R) Processor", {"avx", "avx2", "avx512f", "fma", "f16c"}, set(), None, None),
        ("cpuinfo/x86_64_ryzen7_5800x_avx2.txt", "AMD Ryzen 7 5800X 8-Core Processor", {"avx", "avx2", "fma", "f16c"}, {"avx512f"}, 8, 16),
        ("cpuinfo/x86_64_i5-2500_sandy_bridge_no_avx2.txt", "Intel(R) Core(TM) i5-2500 CPU @ 3.30GHz", {"avx"}, {"avx2", "fma", "f16c"}, 4, 4),
        ("cpuinfo/aarch64_raspberry_pi_5.txt", "Raspberry Pi 5 Model B Rev 1.0", {"neon", "dotprod", "fp16"}, {"i8mm", "sve", "avx2"}, 4, 4),
        ("cpuinfo/aarch64_graviton3_sve_i8mm.txt", "Neoverse-V1", {"neon", "dotprod", "i8mm", "sve", "fp16"}, set(), 2, 2),
    ],
)
def test_parse_cpuinfo(sample, model, features, missing, physical, logical) -> None:
    info = hw.parse_cpuinfo(read(sample))
    assert info.model == model
    assert features <= info.features
    assert not (missing & info.features)
    if physical is not None:
        assert (info.physical_cores, info.logical_cores) == (physical, logical)


@pytest.mark.parametrize(
    ("sample", "arch", "model", "ram_gb", "cores", "features", "missing"),
    [
        ("sysctl/macos_apple_m1_8gb.txt", "arm64", "Apple M1", 8, 8, {"neon", "dotprod", "fp16"}, {"i8mm", "avx2"}),
        ("sysctl/macos_apple_m2_pro_32gb.txt", "arm64", "Apple M2 Pro", 32, 10, {"neon", "dotprod", "i8mm"}, {"avx"}),
        ("sysctl/macos_intel_i7-9750h_16gb.txt", "x86_64", "Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz", 16, 6, {"avx", "avx2", "fma", "f16c"}, {"avx512f", "neon"}),
    ],
)
def test_parse_sysctl(sample, arch, model, ram_gb, cores, features, missing) -> None:
    facts = hw.parse_sysctl(read(sample))
    assert facts["arch"] == arch and facts["cpu_model"] == model
    assert facts["total_ram_bytes"] == ram_gb * 1024**3
    assert facts["physical_cores"] == cores
    assert features <= facts["features"] and not (missing & facts["features"])


def test_parse_meminfo() -> None:
    total, available = hw.parse_meminfo(read("meminfo/raspberry_pi_5_4gb.txt"))
    assert total == 4045456 * 1024 and available == 3387212 * 1024


def test_parse_nvidia_smi() -> None:
    gpus = hw.parse_nvidia_smi(read("nvidia/rtx3060ti_and_gtx1650.csv"))
    assert [g.name for g in gpus] == ["NVIDIA GeForce RTX 3060 Ti", "NVIDIA GeForce GTX 1650"]
    assert gpus[0].vram_bytes == 8192 * 1024**2 and gpus[0].vram_free_bytes == 7710 * 1024**2
    assert hw.parse_nvidia_smi("") == [] and hw.parse_nvidia_smi("garbage line") == []


def test_windows_features_from_the_os_call() -> None:
    present = {39, 40}  # AVX and AVX2, no AVX-512
    assert hw.windows_features(lambda f: f in present, "x86_64") == {"avx", "avx2", "fma", "f16c"}
    assert hw.windows_features(lambda f: f == 39, "x86_64") == {"avx"}
    assert hw.windows_features(lambda f: f == 43, "arm64") == {"neon", "dotprod"}


@pytest.mark.parametrize(("raw", "norm"), [("AMD64", "x86_64"), ("aarch64", "arm64"), ("arm64", "arm64"), ("x86_64", "x86_64")])
def test_normalize_arch(raw: str, norm: str) -> None:
    assert hw.normalize_arch(raw) == norm


def test_probe_this_machine_round_trips_through_json(tmp_path: Path) -> None:
    profile = hw.probe(check_offload=False)
    assert profile.total_ram_bytes > profile.available_ram_bytes > 0
    assert profile.logical_cores >= profile.physical_cores >= 1
    assert profile.free_disk_bytes and profile.free_disk_bytes > 0
    assert profile.arch in ("x86_64", "arm64")
    again = hw.HardwareProfile.from_json(profile.to_json())
    assert again == profile


def test_physical_cores_is_kept() -> None:
    assert hw.physical_cores() >= 1


def test_profile_with_gpus_round_trips() -> None:
    profile = hw.HardwareProfile("darwin", "arm64", "Apple M1", 8, 8, 8 * 1024**3, 5 * 1024**3, ["neon"],
                                 [hw.GpuInfo("apple", "Apple M1", None, None, True)], True)
    again = hw.HardwareProfile.from_json(profile.to_json())
    assert again == profile and again.is_apple_silicon and again.gpus[0].unified_memory


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"os": "linux"}), "missing: arch"),
        (json.dumps({"os": "linux", "arch": "x86_64", "physical_cores": 4, "logical_cores": 8, "total_ram_bytes": "lots", "available_ram_bytes": 1}), "total_ram_bytes"),
    ],
)
def test_bad_profiles_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(hw.ProfileError, match=message):
        hw.HardwareProfile.from_json(text)


def test_speech_to_text_counts_cores_with_the_hardware_probe() -> None:
    from assistant.core.audio import stt

    assert stt.physical_cores is hw.physical_cores
