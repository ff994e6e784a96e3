"""Predicted decode speed of a build on a machine: from the machine check when there is one.

Decoding reads every weight once per token (Llama 3.2 ties the output matrix to the
token embeddings, so the whole file is read), and does about two floating point
operations per parameter. Time per token on the CPU is modelled as

    file bytes / (measured copy bandwidth x BANDWIDTH_SHARE)
  + 2 x parameters / (measured matrix throughput x QUANT_DOT_SPEEDUP)

times the machine's learned calibration. The first term dominates wherever AVX2 or
Arm dot products exist; the second takes over on old CPUs. The constants were fitted
with bench/predict.py (synthetic 1B/3B Q4_K_M against the check on a 2-core x86 VM).
Without a check (saved profiles, the CLI before ``models check``), the bandwidth comes
from a table per machine class and the basis says "estimated".
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.core.models.catalog import Build
from assistant.core.models.hardware import HardwareProfile
from assistant.core.models.machine_check import MachineCheck

GB = 1_000_000_000
#: The picked build should write at least this fast: about 6 words a second, faster than most people read.
COMFORTABLE_TOKENS_PER_SECOND = 8.0
#: Decode streams weights (read only) where the copy loop reads and writes, so it moves bytes
#: faster than the copy traffic counted by the check (fitted with bench/predict.py).
BANDWIDTH_SHARE = 1.2
#: llama.cpp's int8 dot-product kernels (32 multiply-adds per AVX2 instruction) against numpy's
#: float32 matrix-vector product (8 per instruction, and not at peak), per thread.
QUANT_DOT_SPEEDUP = 6.0
NVIDIA_BANDWIDTH = 250 * GB  # effective, for small models (launch-bound more than bandwidth-bound)


@dataclass(frozen=True)
class Prediction:
    tokens_per_second: float
    basis: str  # "measured 18 GB/s" or "estimated for this kind of processor"


def table_bandwidth(profile: HardwareProfile, on_gpu: bool = False) -> float:
    """Bytes per second decoding can stream, a rough figure per machine class (no measurement)."""
    if on_gpu and profile.nvidia:
        return NVIDIA_BANDWIDTH
    model = profile.cpu_model.lower()
    if profile.is_apple_silicon:
        base = 400 if "ultra" in model else 300 if "max" in model else 150 if "pro" in model else 65
        return base * GB * 0.7
    cores = max(1, profile.physical_cores)
    if profile.is_arm:
        if cores >= 8:  # laptop-class Arm (Snapdragon X, Ampere): LPDDR5x, 100+ GB/s peak
            return min(60 * GB, cores * 6 * GB) * 0.6
        return min(17 * GB, cores * 3 * GB) * 0.6  # boards like the Raspberry Pi 5
    if not profile.has_avx2:
        return cores * 1.0 * GB  # compute-bound without AVX2
    big_desktop = cores >= 12 and profile.total_ram_bytes >= 32 * 1024**3
    return min(60 * GB if big_desktop else 40 * GB, cores * 6 * GB) * 0.6


def cpu_seconds_per_token(build: Build, check: MachineCheck) -> float:
    """Seconds one token takes on the CPU by the measured model (before calibration)."""
    memory = build.download_size / (check.bandwidth * BANDWIDTH_SHARE)
    compute = 2 * build.model.parameters / (check.matmul_flops * QUANT_DOT_SPEEDUP)
    return memory + compute


def predict(profile: HardwareProfile, build: Build, gpu_layers: int, check: MachineCheck | None = None) -> Prediction:
    """Decode tokens per second of ``build`` with ``gpu_layers`` of its layers offloaded."""
    all_layers = build.model.layers + 1
    weights = build.download_size
    gpu_share = min(1.0, gpu_layers / all_layers)
    on_apple_gpu = profile.is_apple_silicon and gpu_share > 0
    gpu_seconds = weights / table_bandwidth(profile, on_gpu=True)
    if on_apple_gpu:
        return Prediction(1 / gpu_seconds, "estimated for the Apple GPU")
    if check is None:
        cpu_seconds = weights / table_bandwidth(profile)
        basis = "estimated for this kind of processor"
    else:
        cpu_seconds = cpu_seconds_per_token(build, check) / check.calibration
        basis = check.basis()
    seconds = (1 - gpu_share) * cpu_seconds + gpu_share * gpu_seconds
    if gpu_share >= 1:
        basis = "estimated for the graphics card"
    return Prediction(1 / seconds, basis)
