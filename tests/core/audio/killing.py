"""Killing a recorder mid-recording: run a script that reports its progress, SIGKILL it when far enough."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable


def record_then_kill(command: list[str], env: dict[str, str], enough: float,
                     on_started: Callable[[], None] | None = None) -> list[float]:
    """Run ``command`` (it prints ``started``, then ``elapsed S1 S2 …`` per track), SIGKILL it once
    every track has ``enough`` seconds or it stops printing; the last seconds it printed."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    elapsed = [0.0]
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("started") and on_started is not None:
                on_started()
            elif line.startswith("elapsed"):
                elapsed = [float(x) for x in line.split()[1:]]
                if min(elapsed) >= enough:
                    break
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    return elapsed
