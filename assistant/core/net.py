"""Small network helpers shared by the downloader, CalDAV and the remote engine."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this computer (localhost, 127.0.0.0/8, ::1): plain http is allowed only there."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
