"""A real CalDAV server for tests: Radicale on 127.0.0.1 with a user, a calendar and a read-only one."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import caldav
import pytest

from tests.support.processes import free_port, stop_process, wait_for_port

RIGHTS = """\
[root]
user: .+
collection:
permissions: R

[principal]
user: .+
collection: {user}
permissions: RW

[readonly]
user: .+
collection: {user}/readonly
permissions: r

[calendars]
user: .+
collection: {user}/[^/]+
permissions: rw
"""

READONLY_EVENT = """\
BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//test//EN\r
BEGIN:VEVENT\r
UID:board-meeting@example.com\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261202T090000Z\r
DTEND:20261202T100000Z\r
SUMMARY:Board meeting\r
END:VEVENT\r
END:VCALENDAR\r
"""


def start_radicale(root, port: int, log, *options: str) -> subprocess.Popen:
    """Radicale on 127.0.0.1:``port`` with its store and plain-text users (alice:secret) in ``root``."""
    (root / "users").write_text("alice:secret\n")
    command = [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}"]
    command += ["--storage-filesystem-folder", str(root / "store"), "--auth-type", "htpasswd"]
    command += ["--auth-htpasswd-filename", str(root / "users"), "--auth-htpasswd-encryption", "plain"]
    command += ["--auth-delay", "0", *options]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("radicale")
    (root / "rights").write_text(RIGHTS)
    readonly = root / "store" / "collection-root" / "alice" / "readonly"
    readonly.mkdir(parents=True)
    (readonly / ".Radicale.props").write_text(
        json.dumps(
            {
                "tag": "VCALENDAR",
                "D:displayname": "Board (read-only)",
                "C:supported-calendar-component-set": "VEVENT,VTODO",
            }
        )
    )
    (readonly / "board-meeting.ics").write_text(READONLY_EVENT, newline="")
    port = free_port()
    log = (root / "radicale.log").open("wb")
    process = start_radicale(root, port, log, "--rights-type", "from_file", "--rights-file", str(root / "rights"))
    try:
        if not wait_for_port(process, port):
            raise RuntimeError("Radicale did not start: " + (root / "radicale.log").read_text())
        url = f"http://127.0.0.1:{port}/"
        client = caldav.DAVClient(url=url, username="alice", password="secret", enable_rfc6764=False)
        client.principal().make_calendar(name="Work", cal_id="work")
        yield url
    finally:
        stop_process(process)
        log.close()
