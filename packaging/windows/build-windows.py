"""Build the Windows installer: dist/llama-desk-<version>-setup.exe.

    python packaging/windows/build-windows.py [--iscc PATH] [--no-freeze]

Reads the version from pyproject.toml (the one version number of the project), renders
the .ico, freezes the app with PyInstaller (packaging/llama-desk.spec) and runs Inno
Setup's compiler with /DAppVersion=<version>. Needs Inno Setup 6 (ISCC.exe on PATH or
in its default folder; `choco install innosetup` on CI).

The release builds llama-cpp-python with `packaging/llama-cmake-args --installer --gpu vulkan`:
LLAMA_DESK_REQUIRE_GPU_BACKEND=vulkan makes a bundle without ggml-vulkan.dll (or without the
CPU variants) an error instead of an installer that quietly runs on the CPU only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ISCC_DEFAULTS = (
    Path(os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)")) / "Inno Setup 6" / "ISCC.exe",
    Path(os.environ.get("LOCALAPPDATA", r"C:\Users\Default\AppData\Local")) / "Programs" / "Inno Setup 6" / "ISCC.exe",
)


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def find_iscc(explicit: str | None) -> str:
    candidates = [explicit] if explicit else [shutil.which("ISCC") or shutil.which("iscc"), *map(str, ISCC_DEFAULTS)]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("Inno Setup's ISCC.exe was not found: install Inno Setup 6 or pass --iscc PATH")


def bundle_problems(lib_folder: Path, gpu_backend: str | None) -> list[str]:
    """What the frozen bundle's llama_cpp/lib lacks: the CPU variants, and the GPU back-end asked for."""
    problems = []
    if not any(lib_folder.glob("ggml-cpu-*.dll")):
        problems.append(f"no CPU back-end variants (ggml-cpu-*.dll) in {lib_folder}")
    if gpu_backend and not (lib_folder / f"ggml-{gpu_backend}.dll").is_file():
        problems.append(f"no ggml-{gpu_backend}.dll in {lib_folder}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iscc", help="path of ISCC.exe")
    parser.add_argument("--no-freeze", action="store_true", help="reuse build/pyinstaller/dist/llama-desk")
    args = parser.parse_args(argv)
    version = project_version()
    python = sys.executable
    subprocess.run([python, str(ROOT / "packaging" / "render_icons.py"), str(ROOT / "build" / "icons"), "--ico"], check=True)
    if not args.no_freeze:
        subprocess.run(
            [python, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
             "--distpath", str(ROOT / "build" / "pyinstaller" / "dist"),
             "--workpath", str(ROOT / "build" / "pyinstaller" / "work"),
             str(ROOT / "packaging" / "llama-desk.spec")],
            check=True,
        )
    gpu_backend = os.environ.get("LLAMA_DESK_REQUIRE_GPU_BACKEND")
    if gpu_backend:
        lib_folder = ROOT / "build" / "pyinstaller" / "dist" / "llama-desk" / "_internal" / "llama_cpp" / "lib"
        problems = bundle_problems(lib_folder, gpu_backend)
        if problems:
            print("error: " + "; ".join(problems), file=sys.stderr)
            print(f'rebuild llama-cpp-python with CMAKE_ARGS="$(sh packaging/llama-cmake-args --installer --gpu {gpu_backend})"',
                  file=sys.stderr)
            return 1
    iscc = find_iscc(args.iscc)
    subprocess.run(
        [iscc, f"/DAppVersion={version}", str(ROOT / "packaging" / "windows" / "llama-desk.iss")], check=True
    )
    print(f"built dist/llama-desk-{version}-setup.exe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
