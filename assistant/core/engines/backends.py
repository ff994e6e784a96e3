"""Loading llama.cpp's CPU back-end variants in installer builds (GGML_BACKEND_DL).

The installers build llama.cpp with every x86-64 CPU variant as its own library
(``libggml-cpu-sse42.so`` … ``libggml-cpu-icelake.so``, see ``packaging/llama-cmake-args
--installer``); at start ggml scores each against the CPU and loads the best, so a CPU
without AVX2 gets a slower kernel instead of an illegal instruction. ggml looks for them
only beside the executable and in the current folder, which is neither where pip nor
PyInstaller puts them, so :func:`load_backends` points it at the right folder before
llama.cpp initialises. In an ordinary build (one ``libggml-cpu``) it does nothing. A GPU
back-end of such a build (``libggml-vulkan.so``, ``packaging/llama-cmake-args --gpu vulkan``)
lies beside them and is loaded with them; :func:`gpu_devices` lists what it found.
"""

from __future__ import annotations

import ctypes
import fnmatch
import sys
from dataclasses import dataclass
from pathlib import Path

_loaded: str | None = None
_done = False


def variant_pattern() -> str:
    """File names of the CPU variants on this OS."""
    if sys.platform.startswith("win"):
        return "ggml-cpu-*.dll"
    return "libggml-cpu-*.so"  # ggml names its back-end modules .so on macOS too


def variant_folders(package_dir: Path) -> list[Path]:
    """Where the variants may be: llama_cpp/lib (the bundle, or GGML_BACKEND_DIR builds), and the
    ``bin`` folder at the root of site-packages where a pip install of GGML_BACKEND_DL puts them."""
    return [package_dir / "lib", package_dir.parent / "bin"]


def find_variants(package_dir: Path) -> tuple[Path | None, list[str]]:
    """The first folder holding CPU variants, and their names."""
    for folder in variant_folders(package_dir):
        names = sorted(path.name for path in folder.glob(variant_pattern()))
        if names:
            return folder, names
    return None, []


GPU_BACKENDS = ("vulkan",)  # what installers bundle (packaging/llama-cmake-args --gpu); Metal is built in


def gpu_backend_names() -> list[str]:
    """File names of the GPU back-end libraries of a GGML_BACKEND_DL build on this OS."""
    if sys.platform.startswith("win"):
        return [f"ggml-{name}.dll" for name in GPU_BACKENDS]
    return [f"libggml-{name}.so" for name in GPU_BACKENDS]


def find_gpu_backends(package_dir: Path) -> list[Path]:
    """The GPU back-end libraries beside the CPU variants (where :func:`load_backends` loads them)."""
    folder, _ = find_variants(package_dir)
    if folder is None:
        return []
    return [folder / name for name in gpu_backend_names() if (folder / name).is_file()]


def installed_gpu_libraries() -> list[str]:
    """GPU back-end libraries the installed llama-cpp-python has, loadable or not: beside the CPU
    variants, or in llama_cpp/lib (a build without GGML_BACKEND_DL links them in)."""
    try:
        import llama_cpp
    except Exception:  # not installed, or its libraries cannot be loaded
        return []
    package = Path(llama_cpp.__file__).parent
    found = {path.name for path in find_gpu_backends(package)}
    found.update(name for name in gpu_backend_names() if (package / "lib" / name).is_file())
    return sorted(found)


def llama_ggml() -> ctypes.CDLL:
    """A handle whose ggml functions are those of the libggml that libllama runs with.

    A wheel holds ``libggml.so``, ``libggml.so.0`` and ``libggml.so.0.x`` as three copies (wheels
    have no symbolic links). libllama loads ``libggml.so.0``; ``llama_cpp._ggml`` opens
    ``libggml.so`` by path, which gives a second ggml with its own back-end registry, so back-ends
    loaded through it stay invisible to llama.cpp ("no backends are loaded"). Looked up through
    libllama's own handle, a symbol resolves in the libraries libllama was linked with (Linux,
    macOS); Windows looks only at llama.dll's own exports, and its wheel has one ggml.dll."""
    from llama_cpp import llama_cpp as bindings

    try:
        bindings._lib.ggml_backend_load_all_from_path  # noqa: B018 (a look-up that may fail)
        return bindings._lib
    except AttributeError:
        from llama_cpp._ggml import libggml

        return libggml


def load_backends() -> str | None:
    """Once per process, before llama.cpp starts: load the best CPU variant (and any GPU back-end)
    from the folder that holds them. Returns that folder, or None for an ordinary build."""
    global _loaded, _done
    if _done:
        return _loaded
    _done = True
    try:
        import llama_cpp

        libggml = llama_ggml()
    except Exception:  # not installed, or its libraries cannot be loaded: llama.cpp reports that itself
        return None
    folder, names = find_variants(Path(llama_cpp.__file__).parent)
    if folder is None:
        return None
    load_all = libggml.ggml_backend_load_all_from_path
    load_all.argtypes = [ctypes.c_char_p]
    load_all.restype = None
    load_all(str(folder).encode())
    _loaded = str(folder)
    return _loaded


def best_variant(folder: str | Path) -> tuple[str, int] | None:
    """The CPU variant ggml picks here and its score, found the way ggml finds it (each library's
    ``ggml_backend_score``); for the self-test's report. None when the folder holds none."""
    scores: list[tuple[int, str]] = []
    for path in sorted(Path(folder).glob(variant_pattern())):
        try:
            score = ctypes.CDLL(str(path)).ggml_backend_score
        except (OSError, AttributeError):
            continue
        score.restype = ctypes.c_int
        scores.append((score(), path.name))
    best = max(scores, default=None)
    return (best[1], best[0]) if best and best[0] > 0 else None


def mapped_variants(maps: str) -> list[str]:
    """CPU variant libraries mapped into a process, from the text of its ``/proc/<pid>/maps``.
    ggml opens every variant to score it and keeps only the best, so after loading this is the one
    it runs with."""
    names = {line.rsplit("/", 1)[-1] for line in maps.splitlines() if "/" in line}
    return sorted(name for name in names if fnmatch.fnmatch(name, variant_pattern()))


def loaded_variant() -> str | None:
    """The CPU variant library ggml loaded in this process (Linux: read from the process's memory
    map, so it is what runs, not a guess); None elsewhere or when none is loaded."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    names = mapped_variants(maps)
    return names[0] if len(names) == 1 else None


def format_features(features: list[tuple[str, str]]) -> str:
    """``AVX2 FMA SVE_CNT=16``: names of the features that are on, values other than 1 beside them."""
    return " ".join(name if value == "1" else f"{name}={value}" for name, value in features if value not in ("", "0"))


def system_info_features(info: str, backend: str = "CPU") -> list[tuple[str, str]]:
    """The features of one back-end in llama.cpp's system info line
    (``CPU : SSE3 = 1 | AVX2 = 1 | ... | CUDA : ARCHS = 890 | ...``)."""
    found: list[tuple[str, str]] = []
    current = ""
    for item in info.split("|"):
        if " : " in item:
            current, item = item.split(" : ", 1)
            current = current.strip()
        name, equals, value = item.partition("=")
        if current == backend and equals:
            found.append((name.strip(), value.strip()))
    return found


def cpu_features() -> list[tuple[str, str]]:
    """The instruction sets the CPU back-end llama.cpp runs with was compiled for (SSE3, AVX2, FMA, ...),
    as llama.cpp itself reports them; empty when llama.cpp or its CPU back-end is missing."""
    try:
        import llama_cpp

        info = llama_cpp.llama_print_system_info()
    except Exception:  # not installed, or its libraries cannot be loaded
        return []
    return system_info_features(info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info))


# ggml_backend_dev_type in ggml-backend.h: CPU, GPU, IGPU (integrated, shares host memory), ACCEL
DEVICE_KINDS = {1: "GPU", 2: "iGPU"}


@dataclass(frozen=True)
class GpuDevice:
    """A device a GPU back-end of the loaded llama.cpp found (``Vulkan0``, ``CUDA0``, ``MTL0``)."""

    name: str
    description: str
    kind: str  # "GPU" or "iGPU"
    total_bytes: int
    free_bytes: int

    def label(self) -> str:
        memory = f", {self.total_bytes / 2**30:.1f} GiB" if self.total_bytes else ""
        return f"{self.name} ({self.kind}: {self.description}{memory})"


def _ggml_functions(lib: ctypes.CDLL) -> dict[str, ctypes._CFuncPtr]:
    """ggml's device registry functions with their C types (ggml-backend.h)."""
    ptr, size = ctypes.c_void_p, ctypes.c_size_t
    signatures = {
        "ggml_backend_reg_count": ([], size),
        "ggml_backend_reg_get": ([size], ptr),
        "ggml_backend_reg_name": ([ptr], ctypes.c_char_p),
        "ggml_backend_dev_count": ([], size),
        "ggml_backend_dev_get": ([size], ptr),
        "ggml_backend_dev_name": ([ptr], ctypes.c_char_p),
        "ggml_backend_dev_description": ([ptr], ctypes.c_char_p),
        "ggml_backend_dev_type": ([ptr], ctypes.c_int),
        "ggml_backend_dev_memory": ([ptr, ctypes.POINTER(size), ctypes.POINTER(size)], None),
    }
    functions = {}
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = argtypes, restype
        functions[name] = function
    return functions


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace")


def gpu_backends() -> list[str]:
    """Names of the non-CPU back-ends the loaded llama.cpp has (``Vulkan``, ``CUDA``, ``Metal``, ``RPC``),
    whether or not they found a device; empty when llama.cpp cannot be loaded."""
    load_backends()
    try:
        f = _ggml_functions(llama_ggml())
    except Exception:  # not installed, or an older ggml without the device registry
        return []
    names = [_text(f["ggml_backend_reg_name"](f["ggml_backend_reg_get"](i))) for i in range(f["ggml_backend_reg_count"]())]
    return [name for name in names if name and name != "CPU"]


def gpu_devices() -> list[GpuDevice]:
    """The GPUs llama.cpp can offload to, as its back-ends report them (what a Vulkan, CUDA or Metal
    build found on this machine, with their memory); empty on a CPU build or without a usable GPU."""
    load_backends()
    try:
        f = _ggml_functions(llama_ggml())
    except Exception:  # not installed, or an older ggml without the device registry
        return []
    found = []
    for index in range(f["ggml_backend_dev_count"]()):
        device = f["ggml_backend_dev_get"](index)
        kind = DEVICE_KINDS.get(f["ggml_backend_dev_type"](device))
        if kind is None:
            continue
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        f["ggml_backend_dev_memory"](device, ctypes.byref(free), ctypes.byref(total))
        found.append(GpuDevice(_text(f["ggml_backend_dev_name"](device)), _text(f["ggml_backend_dev_description"](device)),
                               kind, total.value, free.value))
    return found


def describe_gpus(backends: list[str], devices: list[GpuDevice], libraries: list[str] | None = None) -> str | None:
    """The self-test's GPU line: the devices found, or that a GPU back-end found none, or that its
    library could not start (no Vulkan loader or driver), so the CPU runs the model; None for a
    build without a GPU back-end."""
    if devices:
        return "llama.cpp GPU devices: " + ", ".join(device.label() for device in devices)
    if backends:
        return f"llama.cpp GPU devices: none found by {', '.join(backends)} (the CPU runs the model)"
    if libraries:
        return f"llama.cpp GPU devices: none ({', '.join(libraries)} did not start: no driver; the CPU runs the model)"
    return None


def describe_backend() -> str:
    """For the self-test: which CPU library llama.cpp runs with and what it was built for, and on a
    line of its own the GPUs it found (GPU builds)."""
    folder = load_backends()
    features = format_features(cpu_features())
    gpus = describe_gpus(gpu_backends(), gpu_devices(), installed_gpu_libraries())
    gpu_line = f"\n{gpus}" if gpus else ""
    if folder is None:
        return f"llama.cpp CPU back-end: built in (one variant; {features or 'features unknown'}){gpu_line}"
    count = len(list(Path(folder).glob(variant_pattern())))
    picked = loaded_variant()  # read before best_variant, which opens every variant itself
    if picked is None:
        best = best_variant(folder)
        picked = best[0] if best else "none usable"
    return f"llama.cpp CPU back-end: {picked} (best of {count} variants in {folder}; {features or 'features unknown'}){gpu_line}"
