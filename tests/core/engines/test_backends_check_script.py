"""packaging/check-cpu-variants reads the variant and speed from the self-test's own lines
(parsing only: the script itself runs the bundle natively and under qemu, outside the suite)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from assistant.core.engines import backends
from tests.support import ROOT
from tests.support.scripts import load_script


def check_script() -> ModuleType:
    return load_script(ROOT / "packaging" / "check-cpu-variants", "check_cpu_variants")


SELF_TEST = """\
model: SmolLM2 135M Instruct (llama), loaded in 0.41 s
llama.cpp CPU back-end: libggml-cpu-sse42.so (best of 13 variants in /b/_internal/llama_cpp/lib; SSE3 SSSE3 OPENMP REPACK); runs on: CPU, 2 threads
Paris is the capital of France.
48 tokens, 3.2 tokens/s, first token after 1.90 s, prompt 31 tokens
self-test passed in 21.4 s
"""


def test_a_passing_run_gives_variant_features_and_speed() -> None:
    script = check_script()
    run = script.parse(script.Run("qemu", 0, 21.4, SELF_TEST))
    assert run.passed and run.variant == "libggml-cpu-sse42.so"
    assert run.features == "SSE3 SSSE3 OPENMP REPACK" and run.tokens_per_second == 3.2


def test_this_build_and_a_crash() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    script = check_script()
    line = backends.describe_backend()  # this build's own line
    ours = SELF_TEST.replace(SELF_TEST.splitlines()[1].split("; runs on")[0], line)
    run = script.parse(script.Run("native", 0, 2.0, ours))
    installed = backends.find_variants(Path(llama_cpp.__file__).parent)[1]
    assert run.variant in ("built in", *installed) and run.variant in line
    assert run.features == backends.format_features(backends.cpu_features())
    crashed = script.parse(script.Run("qemu", -4, 3.0, "model: SmolLM2\n"))
    assert not crashed.passed and crashed.variant == "?" and crashed.tokens_per_second is None
