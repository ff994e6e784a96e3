"""What the self-test reports about llama.cpp's CPU back-end: the variant library that is mapped
into the process and the instruction sets it was built for (here on the one-variant test build)."""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from pathlib import Path

import pytest

from assistant.core.engines import backends

MAPS = """\
7f01a000-7f01b000 r-xp 00000000 08:01 131 /opt/llama-desk/_internal/llama_cpp/lib/libggml-base.so
7f01c000-7f01d000 r--p 00000000 08:01 132 /opt/llama-desk/_internal/llama_cpp/lib/libggml-cpu-sandybridge.so
7f01d000-7f01e000 r-xp 00001000 08:01 132 /opt/llama-desk/_internal/llama_cpp/lib/libggml-cpu-sandybridge.so
7f01e000-7f01f000 r-xp 00000000 08:01 133 /opt/llama-desk/_internal/llama_cpp/lib/libggml.so
7ffd0000-7ffd1000 rw-p 00000000 00:00 0 [stack]
"""


def test_the_mapped_variant_is_read_from_the_memory_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert backends.mapped_variants(MAPS) == ["libggml-cpu-sandybridge.so"]
    both = MAPS + "7f020000-7f021000 r-xp 00000000 08:01 134 /x/libggml-cpu-haswell.so\n"
    assert backends.mapped_variants(both) == ["libggml-cpu-haswell.so", "libggml-cpu-sandybridge.so"]
    assert backends.mapped_variants(MAPS.replace("-sandybridge", "")) == []  # the one-variant build's libggml-cpu.so


def test_features_list_what_is_on() -> None:
    text = backends.format_features([("SSE3", "1"), ("AVX2", "1"), ("AVX512", "0"), ("SVE_CNT", "16"), ("X", "")])
    assert text == "SSE3 AVX2 SVE_CNT=16"


def test_features_are_read_per_back_end_from_the_system_info() -> None:
    info = "CUDA : ARCHS = 890 | USE_GRAPHS = 1 | CPU : SSE3 = 1 | AVX = 1 | AVX512 = 0 | OPENMP = 1 | "
    assert backends.system_info_features(info) == [("SSE3", "1"), ("AVX", "1"), ("AVX512", "0"), ("OPENMP", "1")]
    assert backends.system_info_features(info, "CUDA") == [("ARCHS", "890"), ("USE_GRAPHS", "1")]
    assert backends.system_info_features("") == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_the_variant_in_use_is_one_of_those_installed() -> None:
    """Tests and CI run the one-variant build; the release workflow runs them on the installer build."""
    llama_cpp = pytest.importorskip("llama_cpp")
    folder, names = backends.find_variants(Path(llama_cpp.__file__).parent)
    loaded = backends.load_backends()
    if folder is None:
        assert loaded is None and backends.loaded_variant() is None
    else:
        assert loaded == str(folder) and backends.loaded_variant() in names
        assert backends.loaded_variant() in backends.describe_backend()


def _address(function: ctypes._CFuncPtr) -> int | None:
    return ctypes.cast(function, ctypes.c_void_p).value


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="library names of the Linux wheel")
def test_back_ends_are_loaded_into_the_ggml_that_libllama_runs_with() -> None:
    """The wheel's libggml.so and libggml.so.0 are two copies: back-ends loaded through the one
    llama_cpp._ggml opens are not seen by libllama, which links libggml.so.0."""
    llama_cpp = pytest.importorskip("llama_cpp")
    from llama_cpp._ggml import libggml as by_path

    try:
        linked = ctypes.CDLL("libggml.so.0")  # by name: the copy already loaded for libllama
    except OSError:
        pytest.skip("this llama-cpp-python's ggml has another soname")
    ours = backends.llama_ggml().ggml_backend_load_all_from_path
    assert _address(ours) == _address(linked.ggml_backend_load_all_from_path)
    lib = Path(llama_cpp.__file__).parent / "lib"
    if not os.path.samefile(lib / "libggml.so", lib / "libggml.so.0"):
        assert _address(by_path.ggml_backend_load_all_from_path) != _address(ours)


def test_the_loaded_cpu_back_end_reports_its_instruction_sets() -> None:
    pytest.importorskip("llama_cpp")
    names = [name for name, _ in backends.cpu_features()]
    assert names and all(name == name.upper() for name in names)
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert "AVX2" in names  # tests use the x86-64-v3 build (packaging/llama-cmake-args)
    assert backends.format_features(backends.cpu_features()) in backends.describe_backend()


def test_gpu_lines_say_what_was_found_or_that_the_cpu_runs() -> None:
    device = backends.GpuDevice("Vulkan0", "AMD Radeon RX 7600 (RADV NAVI33)", "GPU", 8 * 2**30, 7 * 2**30)
    assert device.label() == "Vulkan0 (GPU: AMD Radeon RX 7600 (RADV NAVI33), 8.0 GiB)"
    assert backends.describe_gpus(["Vulkan"], [device]) == "llama.cpp GPU devices: " + device.label()
    assert backends.describe_gpus(["Vulkan"], []) == "llama.cpp GPU devices: none found by Vulkan (the CPU runs the model)"
    assert backends.describe_gpus([], [], ["libggml-vulkan.so"]) == (
        "llama.cpp GPU devices: none (libggml-vulkan.so did not start: no driver; the CPU runs the model)")
    assert backends.describe_gpus([], [], []) is None  # a CPU build says nothing about GPUs
    assert backends.GpuDevice("MTL0", "Apple M2", "iGPU", 0, 0).label() == "MTL0 (iGPU: Apple M2)"


def test_the_gpus_reported_are_those_the_loaded_llama_cpp_can_offload_to() -> None:
    """Through ggml's own device registry: a CPU build (tests, CI) finds none and says nothing;
    a Vulkan build on a GPU (or lavapipe with GGML_VK_VISIBLE_DEVICES=0) lists it in the self-test."""
    llama_cpp = pytest.importorskip("llama_cpp")
    devices = backends.gpu_devices()
    assert all(device.name and device.kind in ("GPU", "iGPU") for device in devices)
    assert bool(devices) == bool(llama_cpp.llama_supports_gpu_offload())
    line = backends.describe_backend()
    if devices:
        assert backends.gpu_backends() and all(device.label() in line for device in devices)
    elif backends.gpu_backends() or backends.installed_gpu_libraries():
        assert "llama.cpp GPU devices: none" in line and "the CPU runs the model" in line
    else:
        assert "GPU devices" not in line and "\n" not in line
