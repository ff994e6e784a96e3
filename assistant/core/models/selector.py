"""Choosing the Llama 3.2 build this machine runs well (a pure function of the profile).

Memory needed = weights (file size) + KV cache for the context (f16) + runtime
overhead. It must fit the free memory with headroom. Rules, in order:

- under 2 GB free: refuse, saying what to do;
- x86 without AVX2: the smallest build, with a warning (it will be slow);
- prefer 3B whenever one of its builds fits (tool calling: BFCL v2 67 vs 26 for 1B);
- within a model, by priority: "quality" takes the best quantization that fits,
  "speed" the fastest, "balanced" the best one still estimated at >= 10 tokens/s
  (else the usual 4-bit); on an Arm CPU the 4-bit pick is Q4_0, which llama.cpp
  repacks at load time;
- offload every layer to the GPU when it fits in video memory (NVIDIA) or in the
  Metal working set (Apple Silicon), and the installed llama-cpp-python can offload;
- when nothing fits at the asked context, try 4k then 2k before refusing.

Speeds are estimates from memory bandwidth (decoding reads every weight once per
token); the wizard measures the real figure after download.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.core.models.catalog import Build, Catalog, load_catalog
from assistant.core.models.hardware import HardwareProfile

GB = 1_000_000_000
MIB = 1024 * 1024
MIN_FREE_BYTES = 2 * GB
RUNTIME_OVERHEAD = 300 * MIB  # llama.cpp context, compute buffers, Python
GPU_COMPUTE_BUFFER = 300 * MIB
HOST_SIDE_WHEN_OFFLOADED = 500 * MIB
METAL_WORKING_SET = 0.66  # share of unified memory macOS lets the GPU use
BALANCED_MIN_TOKENS_PER_SECOND = 10.0
FALLBACK_CONTEXTS = (4096, 2048)
PRIORITIES = ("speed", "balanced", "quality")

FITS, TIGHT, WONT_FIT = "fits", "tight", "won't fit"


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


def _effective_bandwidth(profile: HardwareProfile, on_gpu: bool) -> float:
    """Bytes per second decoding can stream, a rough figure per machine class."""
    if on_gpu and profile.nvidia:
        return 250 * GB
    model = profile.cpu_model.lower()
    if profile.is_apple_silicon:
        base = 400 if "ultra" in model else 300 if "max" in model else 150 if "pro" in model else 65
        return base * GB * 0.7
    cores = max(1, profile.physical_cores)
    if profile.is_arm:
        return min(17 * GB, cores * 3 * GB) * 0.6
    if not profile.has_avx2:
        return cores * 1.0 * GB  # compute-bound without AVX2
    big_desktop = cores >= 12 and profile.total_ram_bytes >= 32 * 1024**3
    return min(60 * GB if big_desktop else 40 * GB, cores * 6 * GB) * 0.6


def speed_class(tokens_per_second: float) -> str:
    if tokens_per_second >= 15:
        return "fast"
    if tokens_per_second >= 6:
        return "good"
    return "slow"


def estimate(profile: HardwareProfile, build: Build, context_length: int) -> Estimate:
    """Memory, GPU layers, fit and speed of one build at one context length."""
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
    on_gpu = gpu_layers == all_layers
    tps = _effective_bandwidth(profile, on_gpu) / weights
    if gpu_layers and not on_gpu:  # partial offload: the CPU share sets the pace
        cpu_share = 1 - gpu_layers / all_layers
        tps = _effective_bandwidth(profile, False) / max(1, weights * cpu_share)
    return Estimate(build, context_length, vram + ram if vram else total, ram, vram, gpu_layers, fit, tps, speed_class(tps))


def fit_table(profile: HardwareProfile, catalog: Catalog, preferences: Preferences | None = None) -> list[Estimate]:
    """Every build with its fit label, for the wizard's list and ``models list``."""
    prefs = preferences or Preferences()
    return [estimate(profile, build, prefs.context_length) for build in catalog.builds]


def _pick_within_model(options: list[Estimate], profile: HardwareProfile, priority: str, on_cpu_arm: bool) -> Estimate:
    by_quality = sorted(options, key=lambda e: (e.build.quality, -e.build.download_size), reverse=True)
    four_bit = "Q4_0" if on_cpu_arm else "Q4_K_M"
    usual = next((e for e in options if e.build.quant == four_bit), None)
    if priority == "quality":
        return by_quality[0]
    if priority == "speed":
        return max(options, key=lambda e: (e.tokens_per_second, -e.build.quality))
    fast_enough = [e for e in by_quality if e.tokens_per_second >= BALANCED_MIN_TOKENS_PER_SECOND]
    if fast_enough and (usual is None or fast_enough[0].build.quality >= usual.build.quality):
        return fast_enough[0]
    return usual or min(options, key=lambda e: e.build.download_size)


def _refusal(profile: HardwareProfile, prefs: Preferences, message: str) -> Choice:
    return Choice(None, 0, 0, "none", 0.0, prefs.context_length, reasons=[message], warnings=[])


def select_build(profile: HardwareProfile, preferences: Preferences | None = None, catalog: Catalog | None = None) -> Choice:
    """The best build for ``profile``, with plain-language reasons (or a clear refusal)."""
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
        table = [estimate(profile, build, context) for build in catalog.builds]
        fitting = [e for e in table if e.fit == FITS]
        if not fitting:
            continue
        if context != prefs.context_length:
            warnings.append(
                f"Nothing fits at {prefs.context_length // 1024}k context, so the context was reduced to "
                f"{context // 1024}k tokens (shorter documents and conversations)."
            )
        return _choose(profile, prefs, table, fitting, warnings)
    smallest = min((estimate(profile, b, contexts[-1]) for b in catalog.builds), key=lambda e: e.ram_bytes)
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
        models = sorted({e.build.model.id: e.build.model for e in fitting}.values(), key=lambda m: m.parameters, reverse=True)
        best_model = models[0]
        picked = _pick_within_model([e for e in fitting if e.build.model.id == best_model.id], profile, prefs.priority, on_cpu_arm)
        larger = [e for e in table if e.build.model.parameters > best_model.parameters]
        if larger:
            need = min(e.ram_bytes for e in larger)
            reasons.append(
                f"The 3B model would need about {gb(need)} and only {gb(usable_ram(profile))} can be used safely, "
                "so the smaller model was chosen (it is weaker at creating calendar events from requests)."
            )
        elif best_model.parameters > 2 * GB:
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
    if picked.speed_class == "slow" and profile.has_avx2 or (picked.speed_class == "slow" and profile.is_arm):
        quicker = [e for e in fitting if e.tokens_per_second >= 2 * picked.tokens_per_second]
        if quicker:
            alt = max(quicker, key=lambda e: (e.build.model.parameters, e.build.quality))
            warnings.append(
                f"Replies will be slow (about {picked.tokens_per_second:.0f} tokens/s). {alt.build.label} is about "
                f"{alt.tokens_per_second / picked.tokens_per_second:.0f}x faster but weaker; the speed check after "
                "download lets you switch."
            )
    reasons.append(f"Expected speed: {picked.speed_class} (about {picked.tokens_per_second:.0f} tokens/s, measured after download).")
    return Choice(build, picked.memory_bytes, picked.gpu_layers, picked.speed_class, picked.tokens_per_second, picked.context_length, reasons, warnings)


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
