"""What this machine has: memory, CPU cores and features, graphics, free disk.

``probe()`` gathers one :class:`HardwareProfile`. The parsing of OS outputs
(/proc/cpuinfo, /proc/meminfo, macOS ``sysctl``, ``nvidia-smi``, Windows feature
flags) lives in small pure functions so it can be tested on captured samples.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.core.engines.backends import GpuDevice

GIB = 1024**3
PROFILE_VERSION = 1

# Normalised feature names used in profiles.
X86_FEATURES = ("avx", "avx2", "avx512f", "fma", "f16c")
ARM_FEATURES = ("neon", "dotprod", "i8mm", "sve", "fp16")
_LINUX_FLAG_NAMES = {
    "avx": "avx", "avx2": "avx2", "avx512f": "avx512f", "fma": "fma", "f16c": "f16c",
    "asimd": "neon", "neon": "neon", "asimddp": "dotprod", "i8mm": "i8mm", "sve": "sve",
    "asimdhp": "fp16", "fphp": "fp16",
}


class ProfileError(ValueError):
    """A saved hardware profile could not be read."""


def physical_cores() -> int:
    """Physical CPU cores, for llama.cpp's thread count (hyper-threads only slow decoding down).

    psutil reads them on every OS (Windows GetLogicalProcessorInformation, macOS
    hw.physicalcpu, Linux sysfs); /proc/cpuinfo is the Linux fallback. When nothing can
    be read, an x86 CPU is assumed to run two threads per core (the common case since
    2008) and an Arm one, one.
    """
    try:
        import psutil

        counted = psutil.cpu_count(logical=False)
    except Exception:  # psutil missing or the OS call failed
        counted = None
    if counted:
        return int(counted)
    cpuinfo = Path("/proc/cpuinfo")
    if sys.platform.startswith("linux") and cpuinfo.exists():
        parsed = parse_cpuinfo(cpuinfo.read_text(errors="replace")).physical_cores
        if parsed:
            return parsed
    logical = os.cpu_count() or 1
    if normalize_arch(platform.machine()) == "x86_64" and logical >= 4:
        return logical // 2
    return logical


@dataclass
class GpuInfo:
    """One graphics processor llama.cpp could use."""

    kind: str  # "nvidia" or "apple"; or the llama.cpp back-end that found it ("vulkan": AMD, Intel, ...)
    name: str
    vram_bytes: int | None = None  # None for unified memory (Apple Silicon)
    vram_free_bytes: int | None = None
    unified_memory: bool = False


@dataclass
class CpuInfo:
    """What the OS says about the processor."""

    model: str = ""
    features: set[str] = field(default_factory=set)
    physical_cores: int | None = None
    logical_cores: int | None = None


@dataclass
class HardwareProfile:
    """Everything the build selector needs to know about a machine."""

    os: str
    arch: str  # "x86_64" or "arm64"
    cpu_model: str
    physical_cores: int
    logical_cores: int
    total_ram_bytes: int
    available_ram_bytes: int
    cpu_features: list[str] = field(default_factory=list)
    gpus: list[GpuInfo] = field(default_factory=list)
    gpu_offload_supported: bool | None = None  # None: llama-cpp-python not installed
    free_disk_bytes: int | None = None
    models_dir: str = ""
    machine_name: str = ""  # e.g. "Raspberry Pi 5 Model B Rev 1.0", when the OS says
    version: int = PROFILE_VERSION

    @property
    def is_arm(self) -> bool:
        return self.arch == "arm64"

    @property
    def is_apple_silicon(self) -> bool:
        return self.os == "darwin" and self.is_arm

    @property
    def has_avx2(self) -> bool:
        return "avx2" in self.cpu_features

    @property
    def nvidia(self) -> GpuInfo | None:
        return next((gpu for gpu in self.gpus if gpu.kind == "nvidia"), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HardwareProfile:
        if not isinstance(data, dict):
            raise ProfileError("A hardware profile must be a JSON object.")
        required = ("os", "arch", "physical_cores", "logical_cores", "total_ram_bytes", "available_ram_bytes")
        missing = [name for name in required if name not in data]
        if missing:
            raise ProfileError(f"The hardware profile is missing: {', '.join(missing)}.")
        for name in required[2:]:
            if not isinstance(data[name], int) or data[name] < 0:
                raise ProfileError(f"The hardware profile field {name} must be a whole number (got {data[name]!r}).")
        known = {f for f in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in known}
        try:
            values["gpus"] = [GpuInfo(**gpu) for gpu in data.get("gpus") or []]
        except TypeError as exc:
            raise ProfileError(f"The hardware profile has a malformed GPU entry ({exc}).") from None
        values.setdefault("cpu_model", "")
        values["arch"] = normalize_arch(str(values["arch"]))
        values["cpu_features"] = sorted(str(f) for f in values.get("cpu_features") or [])
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> HardwareProfile:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileError(f"The hardware profile is not valid JSON ({exc.msg}, line {exc.lineno}).") from None
        return cls.from_dict(data)


def normalize_arch(machine: str) -> str:
    """``x86_64`` or ``arm64`` for the usual spellings (AMD64, aarch64, ...)."""
    lowered = machine.lower()
    if lowered in ("x86_64", "amd64", "x64", "i686", "i386", "x86"):
        return "x86_64"
    if lowered in ("arm64", "aarch64", "armv8", "armv8l", "arm64e"):
        return "arm64"
    return lowered


# ---- parsers for captured OS outputs -------------------------------------------------


def parse_cpuinfo(text: str) -> CpuInfo:
    """Parse Linux ``/proc/cpuinfo`` (x86 ``flags`` or Arm ``Features`` lines)."""
    info = CpuInfo()
    processors = 0
    cores: set[tuple[str, str]] = set()
    physical_id = ""
    raw_flags: set[str] = set()
    arm_part = ""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "processor":
            processors += 1
        elif key in ("model name", "hardware") and not info.model:
            info.model = value
        elif key == "model" and not value.isdigit():
            info.model = info.model or value  # Raspberry Pi: "Raspberry Pi 5 Model B Rev 1.0"
        elif key in ("flags", "features"):
            raw_flags.update(value.split())
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            cores.add((physical_id, value))
        elif key == "cpu part" and not arm_part:
            arm_part = value
    info.features = {_LINUX_FLAG_NAMES[flag] for flag in raw_flags if flag in _LINUX_FLAG_NAMES}
    info.logical_cores = processors or None
    # Arm kernels list no core ids: every listed processor is a physical core there.
    info.physical_cores = len(cores) if cores else (processors or None)
    if not info.model and arm_part:
        info.model = _ARM_PARTS.get(arm_part.lower(), f"Arm CPU part {arm_part}")
    return info


_ARM_PARTS = {"0xd0b": "Cortex-A76", "0xd08": "Cortex-A72", "0xd03": "Cortex-A53", "0xd0c": "Neoverse-N1", "0xd40": "Neoverse-V1"}


def parse_device_model(text: str) -> str:
    """Linux device-tree model string (``/proc/device-tree/model``), NUL-terminated."""
    return text.replace("\x00", "").strip()


def parse_meminfo(text: str) -> tuple[int, int]:
    """(total, available) bytes from Linux ``/proc/meminfo``."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"(\w+):\s+(\d+)\s*kB", line)
        if match:
            values[match.group(1)] = int(match.group(2)) * 1024
    total = values.get("MemTotal", 0)
    available = values.get("MemAvailable", values.get("MemFree", 0) + values.get("Cached", 0))
    return total, available


def parse_sysctl(text: str) -> dict[str, Any]:
    """Parse macOS ``sysctl hw machdep`` output into profile fields.

    Returns keys: ``cpu_model``, ``physical_cores``, ``logical_cores``,
    ``total_ram_bytes``, ``arch``, ``features``.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    features: set[str] = set()

    def flag(name: str) -> bool:
        return values.get(name, "0").strip() == "1"

    arm = flag("hw.optional.arm64") or values.get("hw.machine", "") == "arm64"
    if arm:
        features.add("neon")  # every Apple Silicon core has Advanced SIMD
        if flag("hw.optional.arm.FEAT_DotProd"):
            features.add("dotprod")
        if flag("hw.optional.arm.FEAT_I8MM"):
            features.add("i8mm")
        if flag("hw.optional.arm.FEAT_FP16") or flag("hw.optional.neon_fp16"):
            features.add("fp16")
    else:
        if flag("hw.optional.avx1_0"):
            features.add("avx")
        if flag("hw.optional.avx2_0"):
            features.add("avx2")
        if flag("hw.optional.avx512f"):
            features.add("avx512f")
        if flag("hw.optional.fma"):
            features.add("fma")
        listed = (values.get("machdep.cpu.features", "") + " " + values.get("machdep.cpu.leaf7_features", "")).upper()
        tokens = set(listed.split())
        for name, token in (("avx", "AVX1.0"), ("avx2", "AVX2"), ("fma", "FMA"), ("f16c", "F16C"), ("avx512f", "AVX512F")):
            if token in tokens:
                features.add(name)
    return {
        "cpu_model": values.get("machdep.cpu.brand_string", ""),
        "physical_cores": int(values.get("hw.physicalcpu", "0") or 0) or None,
        "logical_cores": int(values.get("hw.logicalcpu", "0") or 0) or None,
        "total_ram_bytes": int(values.get("hw.memsize", "0") or 0),
        "arch": "arm64" if arm else "x86_64",
        "features": features,
    }


def parse_nvidia_smi(text: str) -> list[GpuInfo]:
    """Parse ``nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits``."""
    gpus: list[GpuInfo] = []
    for line in text.strip().splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) < 2:
            continue
        try:
            total_mib = int(float(parts[1]))
            free_mib = int(float(parts[2])) if len(parts) > 2 else total_mib
        except ValueError:
            continue
        gpus.append(GpuInfo("nvidia", parts[0], total_mib * 1024 * 1024, free_mib * 1024 * 1024))
    return gpus


# Windows IsProcessorFeaturePresent constants (winnt.h).
WINDOWS_FEATURE_IDS = {
    "avx": 39,  # PF_AVX_INSTRUCTIONS_AVAILABLE
    "avx2": 40,  # PF_AVX2_INSTRUCTIONS_AVAILABLE
    "avx512f": 41,  # PF_AVX512F_INSTRUCTIONS_AVAILABLE
    "neon": 19,  # PF_ARM_NEON_INSTRUCTIONS_AVAILABLE
    "dotprod": 43,  # PF_ARM_V82_DP_INSTRUCTIONS_AVAILABLE
}


def windows_features(is_present: Callable[[int], bool], arch: str) -> set[str]:
    """CPU features from ``IsProcessorFeaturePresent`` (passed in, so tests can fake the OS call).

    Windows reports no FMA/F16C flag; every CPU with AVX2 shipped with both, so they are implied.
    """
    wanted = ("neon", "dotprod") if arch == "arm64" else ("avx", "avx2", "avx512f")
    features = {name for name in wanted if is_present(WINDOWS_FEATURE_IDS[name])}
    if "avx2" in features:
        features.update({"fma", "f16c"})
    if arch == "arm64":
        features.add("neon")  # all Windows-on-Arm CPUs are ARMv8 with Advanced SIMD
    return features


# ---- live probe ------------------------------------------------------------------------


def _run(command: list[str], timeout: float = 2.0) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout if result.returncode == 0 else ""


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def nvidia_gpus() -> list[GpuInfo]:
    """NVIDIA GPUs from ``nvidia-smi``, when it is installed."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    return parse_nvidia_smi(_run([exe, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"]))


def gpus_from_devices(devices: list[GpuDevice], known: list[GpuInfo]) -> list[GpuInfo]:
    """The GPUs a GPU back-end of llama.cpp found (``backends.GpuDevice``: Vulkan0 …) that are not
    already in ``known`` (nvidia-smi's, Apple silicon's Metal GPU), with the memory it reports."""
    names = {gpu.name.lower() for gpu in known}
    found = []
    for device in devices:
        backend = device.name.rstrip("0123456789").lower()
        if device.description.lower() in names or (backend in ("mtl", "metal") and any(gpu.kind == "apple" for gpu in known)):
            continue
        shared = device.kind == "iGPU"
        found.append(GpuInfo(backend, device.description, device.total_bytes or None, device.free_bytes or None, shared))
    return found


def llama_gpus(known: list[GpuInfo]) -> list[GpuInfo]:
    """:func:`gpus_from_devices` for the installed llama-cpp-python (empty when it is missing or has no GPU back-end)."""
    try:
        from assistant.core.engines.backends import gpu_devices

        return gpus_from_devices(gpu_devices(), known)
    except Exception:  # llama-cpp-python missing or broken: the offload check reports that
        return []


def llama_supports_gpu_offload() -> bool | None:
    """Whether the installed llama-cpp-python can offload layers; None if it is not installed."""
    try:
        import llama_cpp  # imported lazily: loading the native library takes a moment

        from assistant.core.engines.backends import load_backends

        load_backends()  # installer builds: the back-ends must be loaded before llama.cpp is asked
    except Exception:
        return None
    try:
        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return None


def free_disk_bytes(path: str | Path) -> int | None:
    """Free bytes on the disk holding ``path`` (or its nearest existing parent)."""
    candidate = Path(path)
    while not candidate.exists() and candidate != candidate.parent:
        candidate = candidate.parent
    try:
        return shutil.disk_usage(candidate).free
    except OSError:
        return None


def _windows_cpu() -> tuple[str, set[str]]:
    import ctypes

    arch = normalize_arch(platform.machine())
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    features = windows_features(lambda feature: bool(kernel32.IsProcessorFeaturePresent(feature)), arch)
    name = platform.processor()
    try:
        import winreg

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0") as key:
            name = str(winreg.QueryValueEx(key, "ProcessorNameString")[0]).strip()
    except OSError:
        pass
    return name, features


def probe(*, check_offload: bool = True, models_path: str | Path | None = None) -> HardwareProfile:
    """Probe this machine. ``check_offload=False`` skips importing llama-cpp-python."""
    import psutil

    from assistant.core.paths import models_dir

    system = sys.platform
    os_name = "darwin" if system == "darwin" else "windows" if system.startswith("win") else "linux"
    arch = normalize_arch(platform.machine())
    memory = psutil.virtual_memory()
    total, available = int(memory.total), int(memory.available)
    logical = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    physical = psutil.cpu_count(logical=False) or 0
    cpu_model, features, machine_name = platform.processor(), set(), ""
    gpus: list[GpuInfo] = []
    if os_name == "linux":
        cpu = parse_cpuinfo(_read("/proc/cpuinfo"))
        cpu_model, features = cpu.model or cpu_model, cpu.features
        physical = physical or cpu.physical_cores or 0
        machine_name = parse_device_model(_read("/proc/device-tree/model"))
    elif os_name == "darwin":
        facts = parse_sysctl(_run(["sysctl", "hw", "machdep"]))
        cpu_model, features = facts["cpu_model"] or cpu_model, facts["features"]
        physical = facts["physical_cores"] or physical
        arch = facts["arch"] if facts["total_ram_bytes"] else arch
        if arch == "arm64":
            gpus.append(GpuInfo("apple", cpu_model or "Apple Silicon", None, None, unified_memory=True))
    else:
        try:
            cpu_model, features = _windows_cpu()
        except Exception:
            pass
    gpus.extend(nvidia_gpus())
    if check_offload:
        gpus.extend(llama_gpus(gpus))  # what a Vulkan build sees: AMD and Intel GPUs, with their memory
    folder = Path(models_path) if models_path else models_dir()
    return HardwareProfile(
        os=os_name,
        arch=arch,
        cpu_model=cpu_model,
        physical_cores=physical or physical_cores(),
        logical_cores=logical,
        total_ram_bytes=total,
        available_ram_bytes=available,
        cpu_features=sorted(features),
        gpus=gpus,
        gpu_offload_supported=llama_supports_gpu_offload() if check_offload else None,
        free_disk_bytes=free_disk_bytes(folder),
        models_dir=str(folder),
        machine_name=machine_name,
    )


def describe(profile: HardwareProfile) -> str:
    """One plain-language line about the machine ("16 GB memory, 8 cores, AVX2")."""
    parts = [f"{profile.total_ram_bytes / GIB:.0f} GB memory ({profile.available_ram_bytes / GIB:.1f} GB free)"]
    parts.append(f"{profile.physical_cores} cores")
    if profile.is_apple_silicon:
        parts.append("Apple Silicon")
    elif profile.is_arm:
        parts.append("Arm CPU" + (" with dot-product" if "dotprod" in profile.cpu_features else ""))
    else:
        best = next((name.upper() for name in ("avx512f", "avx2", "avx") if name in profile.cpu_features), None)
        parts.append(best.replace("AVX512F", "AVX-512") if best else "no AVX")
    nvidia = profile.nvidia
    if nvidia and nvidia.vram_bytes:
        parts.append(f"{nvidia.name} ({nvidia.vram_bytes / GIB:.0f} GB)")
    return ", ".join(parts)
