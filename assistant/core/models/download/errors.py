"""Download errors: one family under :class:`DownloadError`, each message meant for the user."""

from __future__ import annotations

# ---- errors --------------------------------------------------------------------------


class DownloadError(Exception):
    """A download failed; ``str(error)`` is a message for the user."""


class AccessDeniedError(DownloadError):
    """401/403: the repository is gated or needs a sign-in."""


class NotFoundError(DownloadError):
    """The repository, revision or file does not exist (any more)."""


class NetworkError(DownloadError):
    """The server could not be reached or the connection kept failing."""


class DiskFullError(DownloadError):
    """Not enough free disk space."""


class ChecksumError(DownloadError):
    """The bytes are not the expected file; the bad file has been removed."""


class OfflineError(DownloadError):
    """Offline mode is on and no verified copy is on this computer."""


class DownloadBusyError(DownloadError):
    """Another Llama Desk (window or command line) is downloading the same file right now."""


class DownloadCancelled(DownloadError):
    """The user cancelled; the part already downloaded is kept for a later resume."""
