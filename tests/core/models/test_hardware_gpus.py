"""The probe lists the GPUs a GPU build of llama.cpp found (Vulkan: AMD, Intel, NVIDIA) with their
memory, without listing twice one that nvidia-smi or Apple silicon already gave."""

from __future__ import annotations

import pytest

from assistant.core.engines.backends import GpuDevice
from assistant.core.models import hardware
from assistant.core.models.hardware import GpuInfo

GIB = 2**30


def test_vulkan_devices_become_gpus_with_their_memory() -> None:
    radeon = GpuDevice("Vulkan0", "AMD Radeon RX 7600 (RADV NAVI33)", "GPU", 8 * GIB, 7 * GIB)
    intel = GpuDevice("Vulkan1", "Intel(R) Iris(R) Xe Graphics", "iGPU", 15 * GIB, 0)
    assert hardware.gpus_from_devices([radeon, intel], []) == [
        GpuInfo("vulkan", "AMD Radeon RX 7600 (RADV NAVI33)", 8 * GIB, 7 * GIB, False),
        GpuInfo("vulkan", "Intel(R) Iris(R) Xe Graphics", 15 * GIB, None, True),
    ]


def test_a_gpu_already_known_is_not_listed_twice() -> None:
    rtx = GpuInfo("nvidia", "NVIDIA GeForce RTX 4060 Laptop GPU", 8 * GIB, 7 * GIB)
    same = GpuDevice("Vulkan0", "NVIDIA GeForce RTX 4060 Laptop GPU", "GPU", 8 * GIB, 7 * GIB)
    assert hardware.gpus_from_devices([same], [rtx]) == []
    apple = GpuInfo("apple", "Apple M2", None, None, unified_memory=True)
    assert hardware.gpus_from_devices([GpuDevice("MTL0", "Apple M2 GPU", "iGPU", 16 * GIB, 16 * GIB)], [apple]) == []


def test_the_probe_lists_what_the_loaded_llama_cpp_found() -> None:
    """Real code path: a CPU build (tests, CI) adds nothing; a Vulkan build adds its devices."""
    pytest.importorskip("llama_cpp")
    from assistant.core.engines.backends import gpu_devices

    profile = hardware.probe()
    found = [gpu for gpu in profile.gpus if gpu.kind not in ("nvidia", "apple")]
    assert len(found) == len(hardware.gpus_from_devices(gpu_devices(), [g for g in profile.gpus if g.kind in ("nvidia", "apple")]))
    assert all(gpu.name for gpu in found)
    assert hardware.probe(check_offload=False).gpus == [gpu for gpu in profile.gpus if gpu.kind in ("nvidia", "apple")]
