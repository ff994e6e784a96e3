"""Render the app icon (resources/icons/llama-desk.svg) into the formats installers need.

    python packaging/render_icons.py OUT_DIR [--ico] [--icns]

Writes OUT_DIR/hicolor/<N>x<N>/apps/llama-desk.png for the usual hicolor sizes, plus
OUT_DIR/hicolor/scalable/apps/llama-desk.svg; with --ico a Windows llama-desk.ico,
with --icns a macOS llama-desk.icns (Qt's image-format plug-ins write both).
Uses Qt offscreen, so it needs no display.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "llama-desk.svg"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(size: int):
    """The icon as a square transparent QImage of ``size`` pixels."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read the icon {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def save(image, path: Path, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), fmt):
        raise SystemExit(f"Qt could not write {path} ({fmt}); is the {fmt} image-format plug-in installed?")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--ico", action="store_true", help="also write llama-desk.ico (Windows)")
    parser.add_argument("--icns", action="store_true", help="also write llama-desk.icns (macOS)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (keeps Qt alive)
    for size in HICOLOR_SIZES:
        save(render(size), args.out / "hicolor" / f"{size}x{size}" / "apps" / "llama-desk.png", "PNG")
    scalable = args.out / "hicolor" / "scalable" / "apps" / "llama-desk.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, scalable)
    if args.ico:
        save(render(256), args.out / "llama-desk.ico", "ICO")
    if args.icns:
        save(render(1024), args.out / "llama-desk.icns", "ICNS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
