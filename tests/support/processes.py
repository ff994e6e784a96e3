"""Child processes and ports for tests: readiness checks and generous, bounded waits.

A busy machine (two cores, another job beside the suite) can take many seconds to start
or stop a Python server, so every wait here is long but ends as soon as the thing is ready.
"""

from __future__ import annotations

import socket
import subprocess
import time

#: Longest wait for a child process to start answering or to exit (seconds).
PROCESS_WAIT = 90.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(process: subprocess.Popen, port: int, seconds: float = PROCESS_WAIT) -> bool:
    """Whether the server answers on ``port`` before it exits or the time runs out."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop_process(process: subprocess.Popen, seconds: float = PROCESS_WAIT) -> None:
    """Terminate a child and wait for it to exit; kill it if it will not, then reap it."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)
