"""Installers: the spec, workflow and .desktop entry are well-formed; one version everywhere.

The full proof (build the .deb, install it, self-test and screenshot the installed app,
uninstall) is `packaging/check-deb`, run by the slow test at the end.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from configparser import ConfigParser
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT

PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "linux" / "llama-desk.desktop"


def pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_spec_is_valid_python_and_collects_the_whole_package() -> None:
    source = (PACKAGING / "llama-desk.spec").read_text(encoding="utf-8")
    ast.parse(source)
    assert 'collect_submodules("assistant")' in source
    assert "NSMicrophoneUsageDescription" in source
    assert 'copy_metadata("llama-desk")' in source


def test_spec_drops_unused_qt_but_keeps_what_the_app_needs() -> None:
    source = (PACKAGING / "llama-desk.spec").read_text(encoding="utf-8")
    block = source.split("UNUSED_QT = ", 1)[1].split("\n\n", 1)[0]
    call = ast.parse(block, mode="eval").body  # re.compile("...", re.IGNORECASE)
    unused = re.compile(ast.literal_eval(call.args[0]), re.IGNORECASE)
    for dropped in ("PySide6/Qt/lib/libQt6Quick.so.6", "PySide6/Qt/lib/libQt6Qml.so.6",
                    "PySide6/Qt/plugins/platformthemes/libqgtk3.so", "libcairo.so.2",
                    "PySide6/Qt/translations/qtdeclarative_de.qm"):
        assert unused.search(dropped), dropped
    for kept in ("PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
                 "PySide6/Qt/plugins/imageformats/libqsvg.so", "PySide6/Qt/lib/libQt6Widgets.so.6",
                 "PySide6/Qt/translations/qtbase_de.qm", "llama_cpp/lib/libllama.so"):
        assert not unused.search(kept), kept


def test_release_workflow_is_valid_yaml_with_three_os_matrix() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers and "workflow_dispatch" in triggers
    matrix = workflow["jobs"]["installers"]["strategy"]["matrix"]["include"]
    runners = {entry["os"].split("-")[0] for entry in matrix}
    assert runners == {"ubuntu", "windows", "macos"}
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["installers"]["steps"])
    for script in ("packaging/check-deb", "packaging/windows/build-windows.py", "packaging/macos/build-macos"):
        assert script in steps
        assert (ROOT / script).exists()


def test_desktop_entry_is_valid() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True, check=False)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    entry = ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "llama-desk"
    assert section["Icon"] == "llama-desk"
    assert section["Terminal"] == "false"
    assert section["Categories"].endswith(";")


def test_inno_setup_script_is_per_user_and_keeps_user_data() -> None:
    iss = (PACKAGING / "windows" / "llama-desk.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in iss
    assert "AppVersion={#AppVersion}" in iss
    assert re.search(r"^Name: \"desktopicon\".*Flags: unchecked", iss, re.MULTILINE)
    assert "{autoprograms}" in iss
    assert "[UninstallDelete]" not in iss.replace("No [UninstallDelete]", "")


def test_version_is_the_same_in_pyproject_package_and_cli() -> None:
    import assistant

    version = pyproject_version()
    assert assistant.__version__ == version
    script = Path(sys.executable).with_name("llama-desk")  # the entry point pip installed beside python
    command = [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]
    result = subprocess.run([*command, "--version"], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == f"llama-desk {version}"


def test_icons_render_at_every_hicolor_size(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(PACKAGING / "render_icons.py"), str(tmp_path), "--ico"],
        capture_output=True, text=True, check=False, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    for size in (16, 48, 256, 512):
        image = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "llama-desk.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 10).alpha() == 255  # the icon is drawn, not blank
        assert image.pixelColor(0, 0).alpha() == 0  # rounded corner stays transparent
    assert (tmp_path / "llama-desk.ico").stat().st_size > 0


def _can_check_deb() -> str | None:
    if os.environ.get("LLAMA_DESK_CHECK_DEB") != "1":
        return "set LLAMA_DESK_CHECK_DEB=1 to build and check the .deb (about 10 minutes on 2 cores)"
    if not sys.platform.startswith("linux"):
        return "the .deb check runs on Linux"
    if os.geteuid() != 0:
        return "the .deb check installs a package: run as root"
    for tool in ("dpkg-deb", "Xvfb", "xwininfo", "ldd"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@pytest.mark.slow
def test_deb_builds_installs_runs_and_uninstalls_cleanly() -> None:
    """packaging/check-deb: build, dpkg -i, self-test + GUI screenshot from /usr/bin, dpkg -P."""
    reason = _can_check_deb()
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        [str(PACKAGING / "check-deb")], cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "PASS:" in result.stdout
    match = re.search(r"llama-desk_[^ ]+\.deb: (\d+) MB", result.stdout)
    assert match and int(match.group(1)) <= 150, output[-2000:]
    assert (ROOT / "test-artifacts" / "llama-desk-installed.png").stat().st_size > 0
    print(result.stdout[-1500:])
