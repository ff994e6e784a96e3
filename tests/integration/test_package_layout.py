"""Every Python package under assistant/ is listed in pyproject, so wheels and bundles ship it."""

from __future__ import annotations

import tomllib

from tests.support import ROOT


def test_all_packages_are_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "assistant").rglob("__init__.py")
    }
    assert found <= declared, f"add to [tool.setuptools] packages: {sorted(found - declared)}"
    assert "assistant.resources" in declared
    assert config["tool"]["setuptools"]["package-dir"]["assistant.resources"] == "resources"
