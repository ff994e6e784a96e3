"""Start-up time of the installed app versus a bare PySide6 hello window, one run, interleaved.

    python bench/startup.py [--app /usr/bin/llama-desk] [--rounds 5 | --quick] [--json OUT]

Starts Xvfb, watches the root window for MapNotify events (`xev -root -event
substructure`), and alternates: start the app as a new process with a clean
environment (env -i style: PATH, HOME in a temp dir, DISPLAY, LANG), time until its
first top-level window is mapped, end it; the same for a minimal PySide6 hello
window started the same way: frozen by PyInstaller into a one-folder bundle like the
app (built once into build/startup-hello/, about a minute), and, for information, run
by this Python. One unmeasured warm-up of each first, so all read from the page cache
("cold process, warm disk"). Target: median(app) / median(frozen hello) <= 2.0
(with a non-frozen app, e.g. --app "python -m assistant", the Python hello is the reference).

Also lists the heavy modules imported on the way to the first window (`assistant.cli`
building its parser as a plain GUI start does, then `assistant.ui.app` and its engine): llama_cpp, faster_whisper, ctranslate2,
av, onnxruntime, sounddevice, huggingface_hub must load lazily; numpy, caldav and
lxml are reported too because they cost start-up time.

Needs Xvfb and xev (Debian: xvfb, x11-utils). The app defaults to /usr/bin/llama-desk,
else the PyInstaller bundle in build/pyinstaller/dist, else `python -m assistant`.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIO_GOAL = 2.0
MUST_BE_LAZY = ("llama_cpp", "faster_whisper", "ctranslate2", "av", "onnxruntime", "sounddevice", "huggingface_hub")
COSTLY = ("numpy", "caldav", "lxml", "keyring", "icalendar", "httpx", "jinja2", "psutil")
# What `llama-desk` with no arguments runs before the window: the parser without the
# subcommand modules (cli.main skips them for a plain GUI start), then the app module.
STARTUP_PATH = (
    "import assistant.cli as cli; cli.build_parser(with_commands=cli.wants_subcommand([])); "
    "import assistant.ui.app as app; app.default_engine()"
)
HELLO_DIR = ROOT / "build" / "startup-hello"
HELLO = (
    "import sys\n"
    "from PySide6.QtWidgets import QApplication, QLabel\n"
    "app = QApplication(sys.argv)\n"
    "label = QLabel('Hello')\n"
    "label.setWindowTitle('Hello')\n"
    "label.resize(400, 200)\n"
    "label.show()\n"
    "sys.exit(app.exec())\n"
)


def default_app() -> list[str]:
    for candidate in (Path("/usr/bin/llama-desk"), ROOT / "build/pyinstaller/dist/llama-desk/llama-desk"):
        if candidate.exists():
            return [str(candidate)]
    return [sys.executable, "-m", "assistant"]


class XServer:
    """An Xvfb display plus an `xev` watcher that timestamps every top-level MapNotify."""

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        self.xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            self.display = ":" + pipe.readline().strip()
        self.maps: queue.Queue[float] = queue.Queue()
        self.xev = subprocess.Popen(
            ["xev", "-display", self.display, "-root", "-event", "substructure"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._ready = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()
        self._ready.wait(10)

    def _watch(self) -> None:
        assert self.xev.stdout is not None
        pending = False
        for line in self.xev.stdout:
            self._ready.set()
            stamp = time.monotonic()
            if line.startswith("MapNotify event"):
                pending = True
            elif pending and "override" in line:
                pending = False
                if "override NO" in line:  # a real top-level window, not a menu or tooltip
                    self.maps.put(stamp)

    def close(self) -> None:
        for process in (self.xev, self.xvfb):
            process.terminate()
            process.wait(10)


def time_to_window(server: XServer, command: list[str], home: Path, timeout: float = 120.0) -> float:
    """Seconds from spawning ``command`` to its first top-level window being mapped."""
    while not server.maps.empty():
        server.maps.get_nowait()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "DISPLAY": server.display, "LANG": "C.UTF-8"}
    start = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        mapped = server.maps.get(timeout=timeout)
    except queue.Empty as exc:
        raise RuntimeError(f"{command[0]} showed no window within {timeout:.0f} s") from exc
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return mapped - start


def frozen_hello() -> list[str]:
    """The hello window frozen by PyInstaller (one-folder, like the app); built once."""
    exe = HELLO_DIR / "dist" / "hello" / "hello"
    if not exe.exists():
        HELLO_DIR.mkdir(parents=True, exist_ok=True)
        script = HELLO_DIR / "hello.py"
        script.write_text(HELLO, encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--onedir", "--name", "hello",
             "--distpath", str(HELLO_DIR / "dist"), "--workpath", str(HELLO_DIR / "work"),
             "--specpath", str(HELLO_DIR), str(script)],
            check=True,
        )
    return [str(exe)]


def heavy_imports_at_startup() -> list[str]:
    """Heavy top-level modules imported on the way to the first window (should be none)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", STARTUP_PATH],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    return sorted(name for name in imported if name in MUST_BE_LAZY + COSTLY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", help="command that starts the app (default: the installed one)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the results here (bench contract)")
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of --rounds")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 3
    for tool in ("Xvfb", "xev"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install -y xvfb x11-utils", file=sys.stderr)
            return 2
    app = args.app.split() if args.app else default_app()
    if Path(app[0]).exists():  # the processes start in a temp dir
        app[0] = str(Path(app[0]).resolve())
    app_is_frozen = not Path(app[0]).name.startswith("python")
    commands = {"app": app, "hello (python)": [sys.executable, "-c", HELLO]}
    if app_is_frozen:
        commands["hello (frozen)"] = frozen_hello()
    reference = "hello (frozen)" if app_is_frozen else "hello (python)"
    times: dict[str, list[float]] = {name: [] for name in commands}
    server = XServer()
    try:
        with tempfile.TemporaryDirectory(prefix="llama-desk-startup-") as tmp:
            home = Path(tmp)
            for command in commands.values():  # warm-up: page cache, first-run data dir
                time_to_window(server, command, home)
            for _ in range(args.rounds):
                for name, command in commands.items():
                    times[name].append(time_to_window(server, command, home))
    finally:
        server.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratio = medians["app"] / medians[reference]
    heavy = heavy_imports_at_startup()
    lazy_broken = [name for name in heavy if name in MUST_BE_LAZY]
    print(f"app: {' '.join(app)}")
    for name, values in times.items():
        print(f"{name:15} to first window: median {medians[name]:.3f} s  ({', '.join(f'{t:.3f}' for t in values)})")
    print(f"ratio app / {reference}: {ratio:.2f} (goal <= {RATIO_GOAL})")
    if app_is_frozen:
        print(f"ratio app / hello (python): {medians['app'] / medians['hello (python)']:.2f} (information)")
    print(f"heavy modules imported before the first window: {', '.join(heavy) if heavy else 'none'}")
    rows = [
        {"metric": "app to first window (s, median)", "value": round(medians["app"], 3), "goal": None, "ok": None},
        {"metric": f"{reference} to first window (s, median)", "value": round(medians[reference], 3),
         "goal": None, "ok": None},
        {"metric": f"start-up ratio app / {reference}", "value": round(ratio, 2), "goal": f"<= {RATIO_GOAL}",
         "ok": ratio <= RATIO_GOAL},
        {"metric": "llama_cpp / faster_whisper / ... imported at start-up", "value": ", ".join(lazy_broken) or "none",
         "goal": "none", "ok": not lazy_broken},
        {"metric": "other costly imports at start-up (info)", "value": ", ".join(sorted(set(heavy) - set(lazy_broken)))
         or "none", "goal": None, "ok": None},
    ]
    markdown = (
        f"App: `{' '.join(app)}`; {args.rounds} interleaved rounds after a warm-up, clean environment, "
        "Xvfb, time from spawn to the first top-level MapNotify.\n"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"name": "Start-up time (installed app)", "rows": rows, "markdown": markdown}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
