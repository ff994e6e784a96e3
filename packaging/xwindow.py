"""Find a top-level window on an X display by title and save a screenshot of it.

    python packaging/xwindow.py --display :57 --title "Llama Desk" --out shot.png [--timeout 60]

Waits until the window is mapped (polling `xwininfo`), then grabs it with Qt (xcb
platform, so the display must be an X server such as Xvfb) until two grabs 0.5 s
apart are identical and not a single colour, i.e. the window has finished painting.
Exit 0 and the PNG written, or exit 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time


def find_window(display: str, title: str) -> int | None:
    """The id of the mapped window called ``title`` on ``display``, or None."""
    result = subprocess.run(
        ["xwininfo", "-display", display, "-name", title], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return None
    match = re.search(r"Window id: (0x[0-9a-fA-F]+)", result.stdout)
    if not match or "IsViewable" not in result.stdout:
        return None
    return int(match.group(1), 16)


def wait_for_window(display: str, title: str, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        window = find_window(display, title)
        if window is not None:
            return window
        time.sleep(0.1)
    return None


def grab_when_painted(display: str, window: int, out: str, timeout: float) -> bool:
    """Save the window to ``out`` once its content is stable; False on timeout."""
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    screen = app.primaryScreen()
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        image = screen.grabWindow(window).toImage()
        painted = not image.isNull() and image.width() > 1 and len({image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}) > 1
        if painted and previous is not None and image == previous:
            return image.save(out, "PNG")
        previous = image if painted else None
        time.sleep(0.5)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--display", required=True)
    parser.add_argument("--title", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    window = wait_for_window(args.display, args.title, args.timeout)
    if window is None:
        print(f"no window titled {args.title!r} appeared on {args.display} within {args.timeout:.0f} s", file=sys.stderr)
        return 1
    if not grab_when_painted(args.display, window, args.out, args.timeout):
        print(f"window {window:#x} never finished painting; no screenshot saved", file=sys.stderr)
        return 1
    print(f"screenshot of window {window:#x} saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
