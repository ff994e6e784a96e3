"""Installer builds run on every x86-64 CPU: the CMake arguments, the spec, the workflow, and
the run-time loader of llama.cpp's CPU back-end variants (checked here without building them)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.engines import backends
from tests.support import ROOT

PACKAGING = ROOT / "packaging"


def cmake_args(*extra: str) -> str:
    return subprocess.run(["sh", str(PACKAGING / "llama-cmake-args"), *extra], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux") or "x86_64" not in subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout,
                    reason="the x86-64 arguments")
def test_tests_keep_the_fast_build_and_installers_get_every_cpu_variant() -> None:
    assert cmake_args() == "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
    installer = cmake_args("--installer").split()
    assert {"-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON", "-DGGML_NATIVE=OFF", "-DBUILD_SHARED_LIBS=ON"} <= set(installer)
    assert not any(flag.startswith(("-DGGML_AVX", "-DGGML_CPU_ARM_ARCH")) for flag in installer)  # ALL_VARIANTS refuses ARM_ARCH


def test_ci_and_readme_build_fast_and_the_release_builds_for_every_cpu() -> None:
    assert 'CMAKE_ARGS="$(sh packaging/llama-cmake-args)" pip install -e ".[test]"' in (ROOT / ".ci" / "run").read_text()
    assert "--installer" not in (ROOT / ".ci" / "run").read_text()
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert 'CMAKE_ARGS="$(sh packaging/llama-cmake-args --installer --gpu ${{ matrix.gpu }})"' in workflow
    assert "LLAMA_DESK_REQUIRE_CPU_VARIANTS=1" in workflow
    assert "llama-cmake-args --installer" in (PACKAGING / "build-linux").read_text()


def test_spec_bundles_the_variants_beside_llama_cpp_without_amx() -> None:
    spec = (PACKAGING / "llama-desk.spec").read_text()
    assert '"libggml-cpu-*.so"' in spec and '"ggml-cpu-*.dll"' in spec
    assert 'LLAMA_DIR.parent / "bin"' in spec and '"sapphirerapids" not in' in spec


def _fake_variants(folder: Path) -> None:
    folder.mkdir(parents=True)
    for name in ("libggml-cpu-x64.so", "libggml-cpu-sse42.so", "libggml-cpu-haswell.so"):
        (folder / name).write_bytes(b"\x7fELF")


def test_variants_are_found_in_the_bundle_or_where_pip_puts_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    package = tmp_path / "site-packages" / "llama_cpp"
    (package / "lib").mkdir(parents=True)
    assert backends.find_variants(package) == (None, [])
    _fake_variants(tmp_path / "site-packages" / "bin")
    folder, names = backends.find_variants(package)
    assert folder == tmp_path / "site-packages" / "bin" and "libggml-cpu-haswell.so" in names
    _fake_variants(package / "lib" / "x")  # not a folder ggml searches
    assert backends.find_variants(package)[0] == tmp_path / "site-packages" / "bin"


def test_windows_variant_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    assert backends.variant_pattern() == "ggml-cpu-*.dll"


def test_an_ordinary_build_loads_nothing_extra() -> None:
    if backends.find_variants(Path(importlib.util.find_spec("llama_cpp").origin).parent)[0] is not None:
        pytest.skip("the installer build (release workflow): tests/core/engines/test_backends.py checks it")
    assert backends.load_backends() is None  # this test machine has the one-variant build
    assert backends.describe_backend().startswith("llama.cpp CPU back-end: built in")
    assert backends.best_variant(ROOT) is None
