"""What the self-test reports about llama.cpp's CPU back-end: the variant library that is mapped
into the process and the instruction sets it was built for (here on the one-variant test build)."""

from __future__ import annotations

import platform
import sys

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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_the_one_variant_build_maps_no_variant_library() -> None:
    backends.load_backends()
    assert backends.loaded_variant() is None


def test_the_loaded_cpu_back_end_reports_its_instruction_sets() -> None:
    pytest.importorskip("llama_cpp")
    names = [name for name, _ in backends.cpu_features()]
    assert names and all(name == name.upper() for name in names)
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert "AVX2" in names  # tests use the x86-64-v3 build (packaging/llama-cmake-args)
    assert backends.format_features(backends.cpu_features()) in backends.describe_backend()
