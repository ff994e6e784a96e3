"""assistant.core must stay plain Python: no Qt import, directly or indirectly."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import assistant.core

QT_PACKAGES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "shiboken2")
CORE_DIR = Path(assistant.core.__file__).parent


def _imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_core_module_imports_qt_in_its_source():
    offenders = {
        str(path.relative_to(CORE_DIR)): sorted(_imported_names(path) & set(QT_PACKAGES))
        for path in CORE_DIR.rglob("*.py")
        if _imported_names(path) & set(QT_PACKAGES)
    }
    assert offenders == {}


def test_importing_every_core_module_loads_no_qt():
    modules = [info.name for info in pkgutil.walk_packages([str(CORE_DIR)], "assistant.core.")]
    assert "assistant.core.engines.base" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {QT_PACKAGES!r})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
