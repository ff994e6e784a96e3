"""Realistic machine profiles for the selector tests and the bench (values as the probe reports them)."""

from __future__ import annotations

from assistant.core.models.hardware import GpuInfo, HardwareProfile

GIB = 1024**3
X86_OLD = ["avx"]  # Sandy/Ivy Bridge: AVX but no AVX2
X86_AVX2 = ["avx", "avx2", "f16c", "fma"]
X86_AVX512 = X86_AVX2 + ["avx512f"]


def _p(os: str, arch: str, cpu: str, cores: int, threads: int, total_gb: float, free_gb: float, features: list[str], gpus=(), offload=False,
       disk_gb: float = 100, models_dir: str = "/tmp/models") -> HardwareProfile:
    return HardwareProfile(
        os=os, arch=arch, cpu_model=cpu, physical_cores=cores, logical_cores=threads,
        total_ram_bytes=int(total_gb * GIB), available_ram_bytes=int(free_gb * GIB),
        cpu_features=sorted(features), gpus=list(gpus), gpu_offload_supported=offload,
        free_disk_bytes=int(disk_gb * GIB), models_dir=models_dir,
    )


PROFILES: dict[str, HardwareProfile] = {
    "old i5 without AVX2 (8 GB)": _p("windows", "x86_64", "Intel Core i5-2500", 4, 4, 8, 5.0, X86_OLD),
    "8 GB Windows laptop": _p("windows", "x86_64", "Intel Core i5-1135G7", 4, 8, 7.8, 4.3, X86_AVX512),
    "8 GB laptop, browser open": _p("windows", "x86_64", "AMD Ryzen 5 5500U", 6, 12, 7.4, 2.6, X86_AVX2),
    "4 GB Raspberry Pi 5": _p("linux", "arm64", "Cortex-A76", 4, 4, 4, 3.3, ["dotprod", "fp16", "neon"]),
    "8 GB Raspberry Pi 5": _p("linux", "arm64", "Cortex-A76", 4, 4, 8, 7.0, ["dotprod", "fp16", "neon"]),
    "M1 8 GB": _p("darwin", "arm64", "Apple M1", 8, 8, 8, 4.5, ["dotprod", "fp16", "neon"],
                  [GpuInfo("apple", "Apple M1", None, None, True)], offload=True),
    "M2 Pro 32 GB": _p("darwin", "arm64", "Apple M2 Pro", 10, 10, 32, 21, ["dotprod", "fp16", "i8mm", "neon"],
                       [GpuInfo("apple", "Apple M2 Pro", None, None, True)], offload=True),
    "16 GB laptop (AVX2)": _p("linux", "x86_64", "Intel Core i7-1260P", 12, 16, 15.5, 10.5, X86_AVX2),
    "desktop with 8 GB NVIDIA card": _p("windows", "x86_64", "AMD Ryzen 7 5800X", 8, 16, 32, 24, X86_AVX2,
                                        [GpuInfo("nvidia", "NVIDIA GeForce RTX 3060 Ti", 8 * GIB, 7 * GIB)], offload=True),
    "NVIDIA card, CPU-only llama-cpp": _p("linux", "x86_64", "Intel Core i5-12400", 6, 12, 16, 11, X86_AVX2,
                                          [GpuInfo("nvidia", "NVIDIA GeForce GTX 1650", 4 * GIB, 3.6 * GIB)], offload=False),
    "64 GB workstation": _p("linux", "x86_64", "AMD Ryzen 9 7950X", 16, 32, 64, 52, X86_AVX512),
    "4 GB Chromebook (Celeron)": _p("linux", "x86_64", "Intel Celeron N4020", 2, 2, 3.7, 1.6, ["avx"] if False else []),
    "4 GB laptop (AVX2), little free": _p("windows", "x86_64", "Intel Core i3-7020U", 2, 4, 3.9, 2.3, X86_AVX2),
    # the cases: low disk (with a Windows path), an Arm laptop, many cores, a small NVIDIA card that can offload
    "16 GB laptop, 1.5 GB disk free (Windows)": _p("windows", "x86_64", "Intel Core i7-1260P", 12, 16, 15.5, 10.5, X86_AVX2, disk_gb=1.5,
                                                 models_dir=r"C:\Users\Ana\AppData\Local\llama-desk\models"),
    "Snapdragon X Elite laptop": _p("windows", "arm64", "Snapdragon(R) X Elite - X1E78100 - Qualcomm(R) Oryon(TM) CPU", 12, 12, 16, 9,
                                    ["dotprod", "fp16", "i8mm", "neon"]),
    "32-core workstation": _p("linux", "x86_64", "AMD Ryzen Threadripper 7970X", 32, 64, 128, 110, X86_AVX512),
    "NVIDIA 4 GB card, CUDA build": _p("linux", "x86_64", "Intel Core i5-12400", 6, 12, 16, 11, X86_AVX2,
                                       [GpuInfo("nvidia", "NVIDIA GeForce GTX 1650", 4 * GIB, int(3.6 * GIB))], offload=True),
}
