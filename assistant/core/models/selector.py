"""Choosing the Llama 3.2 build this machine runs well (a pure function of the profile and the check).

Memory needed = weights (file size) + KV cache for the context (f16) + runtime
overhead. It must fit the free memory with headroom, and the download must fit the
free disk with a margin (:func:`disk_needed`); both are hard limits: a build that
does not fit is never recommended ("won't fit", "not enough disk"). Rules, in order:

- under 2 GB free: refuse, saying what to do;
- x86 without AVX2: the smallest build, with a warning (it will be slow);
- "balanced" (the default): the best build predicted at >= 8 tokens/s
  (:data:`~assistant.core.models.speed.COMFORTABLE_TOKENS_PER_SECOND`), 3B before 1B
  (tool calling: BFCL v2 67 vs 26), then the better quantization; when no build
  reaches 8 tokens/s, the fastest one. On an Arm CPU Q4_0 ranks with Q4_K_M, since
  llama.cpp repacks it at load time;
- "quality" and "speed": 3B whenever one of its builds fits, then the best or the
  fastest quantization;
- offload every layer to the GPU when it fits in video memory (NVIDIA) or in the
  Metal working set (Apple Silicon), and the installed llama-cpp-python can offload;
- when nothing fits at the asked context, try 4k then 2k before refusing.

Speeds come from :mod:`~assistant.core.models.speed`: measured by the machine check
when one is given, else estimated per machine class; the basis is shown with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.core.models.catalog import Build, Catalog, load_catalog
from assistant.core.models.hardware import HardwareProfile
from assistant.core.models.machine_check import MachineCheck
from assistant.core.models.speed import COMFORTABLE_TOKENS_PER_SECOND, predict

GB = 1_000_000_000
MIB = 1024 * 1024
MIN_FREE_BYTES = 2 * GB
RUNTIME_OVERHEAD = 300 * MIB  # llama.cpp context, compute buffers, Python
GPU_COMPUTE_BUFFER = 300 * MIB
HOST_SIDE_WHEN_OFFLOADED = 500 * MIB
METAL_WORKING_SET = 0.66  # share of unified memory macOS lets the GPU use
DISK_MARGIN = 512 * MIB  # left free after the download (the .part file becomes the model by a rename)
FALLBACK_CONTEXTS = (4096, 2048)
PRIORITIES = ("speed", "balanced", "quality")

FITS, TIGHT, WONT_FIT, NO_DISK = "fits", "tight", "won't fit", "not enough disk"


@dataclass(frozen=True)
class Preferences:
    """What the user asked for: the context length and speed versus quality."""

    context_length: int = 8192
    priority: str = "balanced"

    def __post_init__(self) -> None:
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        if self.context_length < 512:
            raise ValueError("context_length must be at least 512 tokens")


@dataclass
class Estimate:
    """How one build would run on this machine."""

    build: Build
    context_length: int
    memory_bytes: int  # weights + KV cache + overhead
    ram_bytes: int  # the part that lives in system memory
    vram_bytes: int  # the part on a discrete GPU
    gpu_layers: int
    fit: str
    tokens_per_second: float
    speed_class: str
    basis: str = ""  # where the speed comes from ("measured 18 GB/s")

    def to_dict(self) -> dict[str, Any]:
        return {
            "build": self.build.id,
            "label": self.build.label,
            "download_bytes": self.build.download_size,
            "context_length": self.context_length,
            "memory_bytes": self.memory_bytes,
            "ram_bytes": self.ram_bytes,
            "vram_bytes": self.vram_bytes,
            "gpu_layers": self.gpu_layers,
            "fit": self.fit,
            "tokens_per_second": round(self.tokens_per_second, 1),
            "speed_class": self.speed_class,
            "speed_basis": self.basis,
        }


@dataclass
class Choice:
    """The recommended build (``build`` is None when nothing can run) and why."""

    build: Build | None
    memory_bytes: int
    gpu_layers: int
    speed_class: str
    tokens_per_second: float
    context_length: int
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    basis: str = ""

    @property
    def ok(self) -> bool:
        return self.build is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "build": self.build.id if self.build else None,
            "label": self.build.label if self.build else None,
            "file": self.build.file if self.build else None,
            "download_bytes": self.build.download_size if self.build else None,
            "memory_bytes": self.memory_bytes,
            "memory_gb": round(self.memory_bytes / GB, 1),
            "gpu_layers": self.gpu_layers,
            "speed_class": self.speed_class,
            "tokens_per_second": round(self.tokens_per_second, 1),
            "context_length": self.context_length,
            "speed_basis": self.basis,
            "reasons": self.reasons,
            "warnings": self.warnings,
        }


def gb(value: float) -> str:
    return f"{value / GB:.1f} GB"


def headroom_bytes(profile: HardwareProfile) -> int:
    """Memory left for the OS and other apps: 0.5 GB plus 5 % of the total."""
    return GB // 2 + profile.total_ram_bytes // 20


def usable_ram(profile: HardwareProfile) -> int:
    return max(0, profile.available_ram_bytes - headroom_bytes(profile))


def disk_needed(build: Build) -> int:
    """Free disk a download of ``build`` needs: the file plus a margin left for the system."""
    return build.download_size + max(DISK_MARGIN, build.download_size // 20)


def disk_fits(profile: HardwareProfile, build: Build) -> bool:
    return profile.free_disk_bytes is None or profile.free_disk_bytes >= disk_needed(build)


def speed_class(tokens_per_second: float) -> str:
    if tokens_per_second >= 15:
        return "fast"
    if tokens_per_second >= 6:
        return "good"
    return "slow"


def estimate(profile: HardwareProfile, build: Build, context_length: int, check: MachineCheck | None = None) -> Estimate:
    """Memory, disk, GPU layers, fit and predicted speed of one build at one context length."""
    spec = build.model
    weights = build.download_size
    kv = spec.kv_bytes_per_token() * context_length
    total = weights + kv + RUNTIME_OVERHEAD + weights // 20
    ram, vram, gpu_layers = total, 0, 0
    all_layers = spec.layers + 1  # repeating layers plus the output layer
    can_offload = profile.gpu_offload_supported is True
    nvidia = profile.nvidia
    if can_offload and nvidia and nvidia.vram_bytes:
        usable_vram = int((nvidia.vram_free_bytes or nvidia.vram_bytes) * 0.9)
        on_card = weights + kv + GPU_COMPUTE_BUFFER
        if on_card <= usable_vram:
            gpu_layers, vram, ram = all_layers, on_card, HOST_SIDE_WHEN_OFFLOADED
        else:
            per_layer = (weights + kv) / all_layers
            gpu_layers = max(0, min(all_layers - 1, int((usable_vram - GPU_COMPUTE_BUFFER) / per_layer)))
            vram = int(gpu_layers * per_layer) + (GPU_COMPUTE_BUFFER if gpu_layers else 0)
            ram = total - int(gpu_layers * per_layer)
    elif can_offload and profile.is_apple_silicon and total <= profile.total_ram_bytes * METAL_WORKING_SET:
        gpu_layers = all_layers  # unified memory: still counted against system RAM
    if ram <= usable_ram(profile):
        fit = FITS
    elif ram <= profile.available_ram_bytes:
        fit = TIGHT
    else:
        fit = WONT_FIT
    if fit != WONT_FIT and not disk_fits(profile, build):
        fit = NO_DISK
    speed = predict(profile, build, gpu_layers, check)
    tps = speed.tokens_per_second
    return Estimate(build, context_length, vram + ram if vram else total, ram, vram, gpu_layers, fit, tps, speed_class(tps), speed.basis)


def fit_table(profile: HardwareProfile, catalog: Catalog, preferences: Preferences | None = None, check: MachineCheck | None = None) -> list[Estimate]:
    """Every build with its fit label and predicted speed, for the wizard's list and ``models list``."""
    prefs = preferences or Preferences()
    return [estimate(profile, build, prefs.context_length, check) for build in catalog.builds]


def _rank(e: Estimate, on_cpu_arm: bool) -> tuple[float, float, float]:
    """Better builds sort higher: the larger model, then the better quantization (Q4_0 ranks with
    Q4_K_M on an Arm CPU, where llama.cpp repacks it), then the faster."""
    quality = e.build.quality + (1 if on_cpu_arm and e.build.quant == "Q4_0" else 0)
    return (e.build.model.parameters, quality, e.tokens_per_second)


def _pick(fitting: list[Estimate], priority: str, on_cpu_arm: bool) -> Estimate:
    if priority == "balanced":
        comfortable = [e for e in fitting if e.tokens_per_second >= COMFORTABLE_TOKENS_PER_SECOND]
        if comfortable:
            return max(comfortable, key=lambda e: _rank(e, on_cpu_arm))
        return max(fitting, key=lambda e: (e.tokens_per_second, _rank(e, on_cpu_arm)))
    largest = max(e.build.model.parameters for e in fitting)
    options = [e for e in fitting if e.build.model.parameters == largest]
    if priority == "quality":
        return max(options, key=lambda e: (e.build.quality, -e.build.download_size))
    return max(options, key=lambda e: (e.tokens_per_second, -e.build.quality))


def _refusal(profile: HardwareProfile, prefs: Preferences, message: str) -> Choice:
    return Choice(None, 0, 0, "none", 0.0, prefs.context_length, reasons=[message], warnings=[])


def select_build(
    profile: HardwareProfile, preferences: Preferences | None = None, catalog: Catalog | None = None, check: MachineCheck | None = None
) -> Choice:
    """The best build for ``profile`` (speeds from ``check`` when given), with plain-language reasons (or a clear refusal)."""
    prefs = preferences or Preferences()
    catalog = catalog or load_catalog()
    free = profile.available_ram_bytes
    if free < MIN_FREE_BYTES:
        return _refusal(
            profile,
            prefs,
            f"Only {gb(free)} of memory is free; even the smallest model needs at least 2 GB free. "
            "Close other programs (browsers use a lot) and try again, or use a computer with more memory.",
        )
    warnings: list[str] = []
    contexts = [prefs.context_length] + [c for c in FALLBACK_CONTEXTS if c < prefs.context_length]
    for context in contexts:
        table = [estimate(profile, build, context, check) for build in catalog.builds]
        fitting = [e for e in table if e.fit == FITS]
        if not fitting:
            if any(e.fit == NO_DISK for e in table) and not any(e.fit == TIGHT for e in table):
                break  # memory is not the problem: a shorter context will not help
            continue
        if context != prefs.context_length:
            warnings.append(
                f"Nothing fits at {prefs.context_length // 1024}k context, so the context was reduced to "
                f"{context // 1024}k tokens (shorter documents and conversations)."
            )
        return _choose(profile, prefs, table, fitting, warnings)
    smallest_download = min(catalog.builds, key=lambda b: b.download_size)
    if not disk_fits(profile, smallest_download):
        return _refusal(
            profile,
            prefs,
            f"Not enough disk space: {gb(profile.free_disk_bytes or 0)} is free in {profile.models_dir or 'the models folder'}, "
            f"and the smallest build ({smallest_download.label}) needs {gb(disk_needed(smallest_download))} "
            "(the file and a margin). Free some space and try again.",
        )
    smallest = min((estimate(profile, b, contexts[-1], check) for b in catalog.builds), key=lambda e: e.ram_bytes)
    return _refusal(
        profile,
        prefs,
        f"No Llama 3.2 build fits: the smallest ({smallest.build.label}) needs about {gb(smallest.ram_bytes)} "
        f"plus {gb(headroom_bytes(profile))} kept free for your system, and {gb(free)} is free. "
        "Close other programs and try again.",
    )


def _choose(profile: HardwareProfile, prefs: Preferences, table: list[Estimate], fitting: list[Estimate], warnings: list[str]) -> Choice:
    reasons: list[str] = []
    machine = _machine_words(profile)
    on_cpu_arm = profile.is_arm and not any(e.gpu_layers for e in fitting)
    if not profile.is_arm and not profile.has_avx2:
        picked = min(fitting, key=lambda e: e.build.download_size)
        warnings.append(
            "This processor has no AVX2, so models run several times slower; the smallest build was chosen. "
            "Expect slow replies."
        )
    else:
        picked = _pick(fitting, prefs.priority, on_cpu_arm)
        model = picked.build.model
        larger = [e for e in table if e.build.model.parameters > model.parameters]
        larger_fitting = [e for e in fitting if e.build.model.parameters > model.parameters]
        if larger_fitting:
            fastest = max(larger_fitting, key=lambda e: e.tokens_per_second)
            reasons.append(
                f"The 3B model would write only about {fastest.tokens_per_second:.1f} tokens/s here (under "
                f"{COMFORTABLE_TOKENS_PER_SECOND:.0f}), so the smaller model was chosen; it is weaker at creating calendar events."
            )
        elif larger:
            need = min(e.ram_bytes for e in larger)
            if any(e.fit == NO_DISK for e in larger):
                reasons.append(f"The 3B model does not fit the free disk space ({gb(profile.free_disk_bytes or 0)}), so the smaller model was chosen.")
            else:
                reasons.append(
                    f"The 3B model would need about {gb(need)} and only {gb(usable_ram(profile))} can be used safely, "
                    "so the smaller model was chosen (it is weaker at creating calendar events from requests)."
                )
        elif model.parameters > 2 * GB:
            reasons.append("3B rather than 1B: it is far better at tool calls such as creating events (BFCL v2: 67 vs 26).")
    build = picked.build
    reasons.insert(
        0,
        f"{build.model.size_label} {build.quant}: {machine}; needs about {gb(picked.memory_bytes)} "
        f"at {picked.context_length // 1024}k context.",
    )
    if build.quant == "Q4_0" and on_cpu_arm:
        reasons.append("Q4_0 on an Arm processor: llama.cpp rearranges it at load time for the fastest speed.")
    all_layers = build.model.layers + 1
    if picked.gpu_layers == all_layers:
        where = profile.nvidia.name if profile.nvidia else "Apple GPU (Metal)"
        reasons.append(f"All {all_layers} layers run on the {where}.")
    elif picked.gpu_layers:
        reasons.append(f"{picked.gpu_layers} of {all_layers} layers fit on the graphics card; the rest run on the processor.")
    elif (profile.nvidia or profile.is_apple_silicon) and profile.gpu_offload_supported is False:
        warnings.append(
            "This machine has a usable graphics processor, but the installed llama-cpp-python was built without GPU "
            "support, so everything runs on the processor."
        )
    if picked.tokens_per_second < COMFORTABLE_TOKENS_PER_SECOND and (profile.has_avx2 or profile.is_arm):
        warnings.append(
            f"Replies will be slow (about {picked.tokens_per_second:.0f} tokens/s): no build reaches "
            f"{COMFORTABLE_TOKENS_PER_SECOND:.0f} tokens/s on this computer, so the fastest was chosen."
        )
    reasons.append(
        f"Expected speed: {picked.speed_class} (about {picked.tokens_per_second:.0f} tokens/s, {picked.basis}; "
        "checked again after download)."
    )
    return Choice(
        build, picked.memory_bytes, picked.gpu_layers, picked.speed_class, picked.tokens_per_second, picked.context_length,
        reasons, warnings, picked.basis,
    )


def _machine_words(profile: HardwareProfile) -> str:
    parts = [f"{profile.total_ram_bytes / 1024**3:.0f} GB RAM"]
    if profile.is_apple_silicon:
        parts.append("Apple Silicon")
    elif profile.is_arm:
        parts.append("Arm CPU")
    elif "avx512f" in profile.cpu_features:
        parts.append("AVX-512")
    elif profile.has_avx2:
        parts.append("AVX2")
    else:
        parts.append("no AVX2")
    if profile.nvidia and profile.nvidia.vram_bytes:
        parts.append(f"{profile.nvidia.vram_bytes / 1024**3:.0f} GB {profile.nvidia.name}")
    return " and ".join(parts)
