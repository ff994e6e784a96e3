"""A short check of what decides decode speed on this machine, measured, not looked up.

Decoding one token reads every weight once, so its speed is set by how fast memory
streams into the cores (and, on old CPUs, by arithmetic). In under 3 seconds this
measures both the way llama.cpp's threads would see them:

- memory bandwidth: a numpy copy loop over buffers far larger than the caches, run on
  as many threads as the engine uses (numpy releases the GIL while copying);
- matrix throughput: a small float32 matrix-vector product (decode is matrix-vector),
  per thread, from a matrix that stays in cache.

The result is kept per machine in the data folder (``machine-check.json``) with the
calibration the wizard's speed check adjusts (:func:`record_speed`); "Measure again"
re-runs it. It never runs on the GUI thread (the wizard uses a worker thread).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.core.models.hardware import HardwareProfile

CHECK_FILE = "machine-check.json"
CHECK_VERSION = 1
BUDGET_SECONDS = 2.5  # the whole check, allocation included, stays under 3 s
COPY_BYTES = 128 * 1024 * 1024  # split across threads; larger than any desktop L3 cache
SMALL_COPY_BYTES = 32 * 1024 * 1024  # when little memory is free
GEMV_SIZE = 192  # 192 x 192 float32 = 144 KiB: stays in L2, small enough that BLAS does not spawn threads
RECALIBRATE_OFF_BY = 0.30  # measured and predicted differ by more than this: adjust the calibration
CALIBRATION_LIMITS = (0.2, 5.0)


@dataclass
class MachineCheck:
    """What the check measured on one machine, and the calibration learned from real models."""

    machine: str  # key of the machine (see machine_key)
    bandwidth: float  # bytes per second, copy traffic (read + write) on `threads` threads
    matmul_flops: float  # float32 matrix-vector floating point operations per second, all threads
    threads: int
    seconds: float
    measured_at: str
    calibration: float = 1.0  # measured / predicted decode speed, learned after downloads
    version: int = CHECK_VERSION

    def basis(self) -> str:
        """The words shown beside a prediction ("measured 18 GB/s")."""
        return f"measured {self.bandwidth / 1e9:.0f} GB/s" + (f", calibrated x{self.calibration:.2f}" if self.calibration != 1.0 else "")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def machine_key(profile: HardwareProfile) -> str:
    """The same computer gets the same key; a RAM or CPU upgrade gets a new one (and a new check)."""
    facts = [profile.os, profile.arch, profile.cpu_model, profile.physical_cores, profile.logical_cores, round(profile.total_ram_bytes / 2**30)]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


def _copy_bandwidth(threads: int, total_bytes: int, seconds: float) -> float:
    import numpy as np

    per_thread = max(1 << 20, total_bytes // threads // 2)
    buffers = [(np.ones(per_thread, dtype=np.uint8), np.empty(per_thread, dtype=np.uint8)) for _ in range(threads)]
    for src, dst in buffers:  # touch every page before timing
        np.copyto(dst, src)
    copies = [0] * threads
    stop = threading.Event()

    def work(index: int) -> None:
        src, dst = buffers[index]
        while not stop.is_set():
            np.copyto(dst, src)
            copies[index] += 1

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return 2 * per_thread * sum(copies) / elapsed  # every copy reads and writes the buffer


def _gemv_flops(seconds: float) -> float:
    import numpy as np

    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((GEMV_SIZE, GEMV_SIZE), dtype=np.float32)
    vector = rng.standard_normal(GEMV_SIZE, dtype=np.float32)
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(64):
            vector = matrix @ vector
            vector /= np.abs(vector).max() or 1.0  # keep the values finite
        calls += 64
    return 2 * GEMV_SIZE * GEMV_SIZE * calls / (time.perf_counter() - started)


def measure(profile: HardwareProfile, threads: int | None = None, budget: float = BUDGET_SECONDS) -> MachineCheck:
    """Run the check now (blocking, about ``budget`` seconds); nothing is saved."""
    from assistant.core.engines.llama import default_threads

    threads = max(1, threads or default_threads())
    started = time.perf_counter()
    size = COPY_BYTES if profile.available_ram_bytes > 4 * COPY_BYTES else SMALL_COPY_BYTES
    bandwidth = _copy_bandwidth(threads, size, budget * 0.55)
    flops = _gemv_flops(budget * 0.25) * threads
    return MachineCheck(
        machine=machine_key(profile),
        bandwidth=bandwidth,
        matmul_flops=flops,
        threads=threads,
        seconds=time.perf_counter() - started,
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _path(folder: Path | None) -> Path:
    if folder is None:
        from assistant.core.paths import data_dir

        folder = data_dir()
    return Path(folder) / CHECK_FILE


def _read_all(folder: Path | None) -> dict[str, Any]:
    try:
        data = json.loads(_path(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached(profile: HardwareProfile, folder: Path | None = None) -> MachineCheck | None:
    """The saved check of this machine, or None (never measured, another machine, or an older format)."""
    entry = _read_all(folder).get(machine_key(profile))
    if not isinstance(entry, dict) or entry.get("version") != CHECK_VERSION:
        return None
    try:
        return MachineCheck(**entry)
    except TypeError:
        return None


def save(check: MachineCheck, folder: Path | None = None) -> None:
    """Keep ``check`` for its machine (other machines' checks, e.g. a synced home folder, stay)."""
    data = _read_all(folder)
    data[check.machine] = check.to_dict()
    path = _path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
    partial.replace(path)


def cached_or_measure(profile: HardwareProfile, *, again: bool = False, folder: Path | None = None) -> MachineCheck:
    """The saved check, or a new one (saved); ``again`` measures anew and keeps the learned calibration."""
    old = cached(profile, folder)
    if old is not None and not again:
        return old
    check = measure(profile)
    if old is not None:
        check.calibration = old.calibration
    save(check, folder)
    return check


def record_speed(check: MachineCheck, predicted: float, measured: float, folder: Path | None = None) -> float | None:
    """After a real model ran: when measured and predicted differ by more than 30 %, scale the
    calibration by their ratio and save it. Returns the new calibration, or None when unchanged."""
    if predicted <= 0 or measured <= 0 or abs(measured / predicted - 1) <= RECALIBRATE_OFF_BY:
        return None
    low, high = CALIBRATION_LIMITS
    check.calibration = min(high, max(low, check.calibration * measured / predicted))
    save(check, folder)
    return check.calibration
