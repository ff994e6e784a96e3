"""Loading llama.cpp's CPU back-end variants in installer builds (GGML_BACKEND_DL).

The installers build llama.cpp with every x86-64 CPU variant as its own library
(``libggml-cpu-sse42.so`` … ``libggml-cpu-icelake.so``, see ``packaging/llama-cmake-args
--installer``); at start ggml scores each against the CPU and loads the best, so a CPU
without AVX2 gets a slower kernel instead of an illegal instruction. ggml looks for them
only beside the executable and in the current folder, which is neither where pip nor
PyInstaller puts them, so :func:`load_backends` points it at the right folder before
llama.cpp initialises. In an ordinary build (one ``libggml-cpu``) it does nothing.
"""

from __future__ import annotations

import ctypes
import fnmatch
import sys
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


def describe_backend() -> str:
    """One line for the self-test: which CPU library llama.cpp runs with and what it was built for."""
    folder = load_backends()
    features = format_features(cpu_features())
    if folder is None:
        return f"llama.cpp CPU back-end: built in (one variant; {features or 'features unknown'})"
    count = len(list(Path(folder).glob(variant_pattern())))
    picked = loaded_variant()  # read before best_variant, which opens every variant itself
    if picked is None:
        best = best_variant(folder)
        picked = best[0] if best else "none usable"
    return f"llama.cpp CPU back-end: {picked} (best of {count} variants in {folder}; {features or 'features unknown'})"
