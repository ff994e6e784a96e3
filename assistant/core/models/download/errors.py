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


class TooSlowPaused(DownloadCancelled):
    """Paused because the download stayed under the slowness limit (the user chose so, or nobody could be asked)."""


# ---- plain messages for what the server or the network said --------------------------------


def http_status_error(status: int, name: str) -> DownloadError:
    """The error for an HTTP status from the file host that is not retried."""
    if status == 404:
        return NotFoundError(
            f"{name} was not found on the server. It may have been moved or deleted; "
            "update Llama Desk or use a catalog that points to where the file is now."
        )
    if status >= 500:
        return NetworkError(f"The download server had a problem (HTTP {status}) sending {name}. Try again later.")
    return NetworkError(f"The download server refused to send {name} (HTTP {status}). Try again later.")


def describe_failure(exc: BaseException) -> str:
    """What went wrong with the connection, in words (never an internal class name)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError) or "timeout" in type(current).__name__.lower():
            return "the server stopped answering"
        if isinstance(current, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        current = current.__cause__ or current.__context__
    return "the connection failed"
