"""GPU builds: the CMake arguments per back-end, the release workflow and packaging that use them
(Vulkan on Linux and Windows, Metal on macOS, no CUDA), and the offload check's reading of the
self-test (checked here without a GPU build; packaging/check-gpu-offload runs one)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.engines import backends
from tests.support import ROOT
from tests.support.scripts import load_script

PACKAGING = ROOT / "packaging"
X86_64 = sys.platform.startswith("linux") and "x86_64" in subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout
FAST = "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
INSTALLER = "-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DBUILD_SHARED_LIBS=ON"


def cmake_args(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(PACKAGING / "llama-cmake-args"), *options], capture_output=True, text=True)



@pytest.mark.skipif(not X86_64, reason="the x86-64 arguments")
@pytest.mark.parametrize(("options", "expected"), [
    ((), FAST),
    (("--gpu", "none"), FAST),
    (("--gpu", "vulkan"), FAST + " -DGGML_VULKAN=ON"),
    (("--installer", "--gpu", "vulkan"), INSTALLER + " -DGGML_VULKAN=ON"),
    (("--gpu=vulkan", "--installer"), INSTALLER + " -DGGML_VULKAN=ON"),
    (("--gpu", "cuda"), FAST + " -DGGML_CUDA=ON"),
    (("--gpu", "metal"), FAST + " -DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON"),
])
def test_each_gpu_choice_adds_its_back_end_to_the_cpu_arguments(options: tuple[str, ...], expected: str) -> None:
    done = cmake_args(*options)
    assert done.returncode == 0 and done.stdout.strip() == expected


@pytest.mark.parametrize("options", [("--gpu", "rocm"), ("--gpu",), ("--cuda",)])
def test_an_unknown_choice_is_refused_with_a_message(options: tuple[str, ...]) -> None:
    done = cmake_args(*options)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.startswith("llama-cmake-args: ")


def test_the_release_builds_vulkan_for_linux_and_windows_and_metal_for_macos() -> None:
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    gpus = dict(re.findall(r"- name: (\S+)\n\s+os: \S+\n\s+gpu: (\w+)", workflow))
    assert gpus == {"linux-deb": "vulkan", "windows-setup": "vulkan", "macos-dmg": "metal"}
    assert 'CMAKE_ARGS="$(sh packaging/llama-cmake-args --installer --gpu ${{ matrix.gpu }})"' in workflow
    assert "if: matrix.gpu == 'vulkan'" in workflow and "install-vulkan-sdk" in workflow
    assert "LLAMA_DESK_REQUIRE_GPU_BACKEND=vulkan packaging/check-deb" in workflow
    assert "LLAMA_DESK_REQUIRE_GPU_BACKEND=vulkan python packaging/windows/build-windows.py" in workflow
    assert "packaging/check-gpu-offload" in workflow
    assert "GGML_CUDA" not in workflow and "--gpu cuda" not in workflow


def test_the_spec_bundles_the_vulkan_back_end_but_never_the_vulkan_loader() -> None:
    spec = (PACKAGING / "llama-desk.spec").read_text()
    assert '"libggml-vulkan.so"' in spec and '"ggml-vulkan.dll"' in spec
    pattern = re.search(r'SYSTEM_LOADER = re\.compile\(r"(.+?)", re\.IGNORECASE\)', spec)
    assert pattern is not None
    loader = re.compile(pattern[1], re.IGNORECASE)
    for name in ("libvulkan.so.1", "_internal/libvulkan.so.1.3.239", "vulkan-1.dll", r"_internal\Vulkan-1.DLL"):
        assert loader.search(name), name
    for name in ("libggml-vulkan.so", "ggml-vulkan.dll", "llama_cpp/lib/libggml-vulkan.so"):
        assert not loader.search(name), name


def test_the_deb_recommends_the_vulkan_loader_and_mesa_instead_of_depending_on_them() -> None:
    script = (PACKAGING / "build-linux").read_text()
    assert 'RECOMMENDS="libvulkan1, mesa-vulkan-drivers"' in script
    assert "grep -v '^libvulkan1$'" in script and "LLAMA_DESK_REQUIRE_GPU_BACKEND" in script


def test_gpu_back_ends_are_found_beside_the_cpu_variants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    package = tmp_path / "site-packages" / "llama_cpp"
    (package / "lib").mkdir(parents=True)
    (package / "lib" / "libggml-vulkan.so").write_bytes(b"\x7fELF")  # no CPU variants: not a back-end folder
    assert backends.find_gpu_backends(package) == []
    pip_bin = tmp_path / "site-packages" / "bin"
    pip_bin.mkdir()
    (pip_bin / "libggml-cpu-haswell.so").write_bytes(b"\x7fELF")
    assert backends.find_gpu_backends(package) == []  # a CPU-only installer build
    (pip_bin / "libggml-vulkan.so").write_bytes(b"\x7fELF")
    assert backends.find_gpu_backends(package) == [pip_bin / "libggml-vulkan.so"]
    monkeypatch.setattr(sys, "platform", "win32")
    assert backends.gpu_backend_names() == ["ggml-vulkan.dll"]


def test_the_windows_build_refuses_a_bundle_without_the_vulkan_back_end(tmp_path: Path) -> None:
    build = load_script(PACKAGING / "windows" / "build-windows.py", "build_windows")
    assert build.bundle_problems(tmp_path, "vulkan") == [
        f"no CPU back-end variants (ggml-cpu-*.dll) in {tmp_path}", f"no ggml-vulkan.dll in {tmp_path}"]
    (tmp_path / "ggml-cpu-haswell.dll").write_bytes(b"MZ")
    assert build.bundle_problems(tmp_path, "vulkan") == [f"no ggml-vulkan.dll in {tmp_path}"]
    assert build.bundle_problems(tmp_path, None) == []
    (tmp_path / "ggml-vulkan.dll").write_bytes(b"MZ")
    assert build.bundle_problems(tmp_path, "vulkan") == []


OFFLOADED = """\
model: SmolLM2 135M Instruct (llama), loaded in 0.52 s
llama.cpp CPU back-end: built in (one variant; SSE3 AVX2 FMA OPENMP)
llama.cpp GPU devices: Vulkan0 (GPU: llvmpipe (LLVM 15.0.6, 256 bits), 7.8 GiB); runs on: GPU, 31 layers
The capital of France is Paris.
12 tokens, 20.4 tokens/s, first token after 0.30 s, prompt 57 tokens
self-test passed in 3.1 s
"""


def test_the_offload_check_reads_where_the_model_ran() -> None:
    check = load_script(PACKAGING / "check-gpu-offload", "check_gpu_offload")
    run = check.Run("all", expect_gpu=True, output=OFFLOADED).parse()
    assert run.passed and run.where == "GPU, 31 layers" and run.tokens_per_second == 20.4
    assert run.devices == "Vulkan0 (GPU: llvmpipe (LLVM 15.0.6, 256 bits), 7.8 GiB)"
    on_cpu = OFFLOADED.replace("runs on: GPU, 31 layers", "runs on: CPU")
    assert not check.Run("all", expect_gpu=True, output=on_cpu).parse().passed  # asked for the GPU, ran on the CPU
    assert check.Run("none", expect_gpu=False, output=on_cpu).parse().passed
    no_driver = "llama.cpp CPU back-end: built in (one variant; AVX2)\nllama.cpp GPU devices: none found by Vulkan (the CPU runs the model); runs on: CPU\n1 tokens, 9.0 tokens/s\nself-test passed in 1 s"
    fallback = check.Run("no driver", expect_gpu=False, output=no_driver).parse()
    assert fallback.passed and fallback.devices.startswith("none found by Vulkan")
    crashed = check.Run("all", expect_gpu=False, returncode=-11, output="model: x\n").parse()
    assert not crashed.passed and crashed.where == "?" and crashed.tokens_per_second is None
