"""Streaming one file into ``<target>.part`` with the download rules (README, "Download rules").

Separate from ``fetch`` (which picks sources and resolves the pinned file) so the rules
for one byte stream sit together: resume from the part file, never past the expected
size, only the part that was asked for, retries for busy servers, the slowness limit,
and verification of the file on disk before it is moved into place.
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import re
import shutil
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from assistant.core.models.download.errors import (
    AccessDeniedError,
    ChecksumError,
    DiskFullError,
    DownloadCancelled,
    DownloadError,
    NetworkError,
    TooSlowPaused,
    http_status_error,
)
from assistant.core.models.download.http import open_stream
from assistant.core.models.download.sink import Sink, WriteFailed
from assistant.core.models.download.verify import git_blob_oid, remember

#: Free space left on the disk beyond the file itself.
DISK_SAFETY_MARGIN = 64 * 1024 * 1024
#: A file whose size neither the catalog, the hub nor the response gives is cut off here.
UNSIZED_LIMIT = 100 * 1024 * 1024
#: Statuses retried (up to ``max_retries`` times): busy or briefly unavailable servers.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: An attempt that brought at least this much clears the count of failed attempts; one that
#: brought less counts against ``max_retries`` (the slowness limit bounds the rest).
PROGRESS_CLEARS_FAILURES = 1 << 20
#: Longest Retry-After waited for; a server asking for more is reported instead.
MAX_RETRY_AFTER = 60.0
#: The slowness limit: under this many bytes per second over SLOW_WINDOW seconds, the user is
#: asked "keep going or pause" (a 3.4 GB build would take more than 18 hours).
SLOW_BYTES_PER_SECOND = 50_000
SLOW_WINDOW = 120.0
#: After "keep going", the next question comes after this many seconds of slowness.
SLOW_ASK_AGAIN = 600.0

clock = time.monotonic  # a seam: tests run the slowness limit on a clock of their own


@dataclass(frozen=True)
class Progress:
    done_bytes: int
    total_bytes: int | None
    bytes_per_second: float
    eta_seconds: float | None
    file: str


ProgressCallback = Callable[[Progress], None]
#: Asked when the download is too slow; True keeps going, False pauses it.
TooSlowCallback = Callable[[Progress], bool]


class _RateMeter:
    """Transfer rate over the last few seconds (so ETA follows the current speed)."""

    def __init__(self, window: float = 3.0) -> None:
        self.window = window
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, done: int) -> float:
        now = time.monotonic()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window:
            self.samples.popleft()
        first_time, first_done = self.samples[0]
        elapsed = now - first_time
        return (done - first_done) / elapsed if elapsed > 0 else 0.0


class _SlowWatch:
    """The overall slowness limit: bytes per second over whole windows, waits and retries included.

    (A per-read timeout alone lets a link that trickles a few bytes at a time run forever.)
    """

    def __init__(self, done: int) -> None:
        self.start, self.start_done, self.window = clock(), done, SLOW_WINDOW

    def slow_rate(self, done: int) -> float | None:
        """The rate over the window just ended when it was too slow, else None."""
        now = clock()
        elapsed = now - self.start
        if elapsed < self.window:
            return None
        rate = (done - self.start_done) / elapsed
        self.start, self.start_done, self.window = now, done, SLOW_WINDOW
        return rate if rate < SLOW_BYTES_PER_SECOND else None


def free_bytes(folder: Path) -> int:
    """Free disk space in ``folder`` (a seam: tests simulate a full disk here)."""
    return shutil.disk_usage(folder).free


def human_size(count: float) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e9 else f"{count / 1e6:.0f} MB"


def pause(seconds: float, cancel: threading.Event | None) -> None:
    """Wait between attempts; Pause ends the wait at once (a seam: tests record instead)."""
    if cancel is None:
        time.sleep(seconds)
    elif cancel.wait(seconds):
        raise DownloadCancelled("Download paused; what was downloaded is kept and it will resume where it stopped.")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def retry_delay(status: int, header: str | None, attempt: int, name: str) -> float:
    """How long to wait before retrying a 429/5xx answer; raises when the server asks for too long."""
    wanted = retry_after(header)
    if wanted is not None and wanted > MAX_RETRY_AFTER:
        reason = "too many requests" if status == 429 else "temporarily unavailable"
        raise NetworkError(
            f"The download server is busy (HTTP {status}, {reason}) and asks to wait about "
            f"{max(1, round(wanted / 60))} minutes before sending {name}. Try again then; what was already "
            "downloaded is kept."
        )
    return wanted if wanted is not None else min(0.2 * 2**attempt, 5.0)


def busy_error(status: int, name: str) -> NetworkError:
    return NetworkError(
        f"The download server stayed busy (HTTP {status}) while sending {name}, after several tries. "
        "Try again in a few minutes; what was already downloaded is kept."
    )


class LinkRefused(AccessDeniedError):
    """401/403 from the file host after the hub resolved the file: its signed link expired."""


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-\d+/(\d+|\*)")


@dataclass
class Stream:
    """One file's byte stream: where from, where to, and what it must be."""

    url: str
    headers: dict[str, str]
    target: Path
    sha256: str | None
    size: int | None
    git_oid: str | None = None

    @property
    def part(self) -> Path:
        return self.target.with_name(self.target.name + ".part")

    @property
    def state_path(self) -> Path:
        return self.target.with_name(self.target.name + ".part.json")


def transfer(
    stream: Stream,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    max_retries: int,
    too_slow: TooSlowCallback | None = None,
) -> tuple[int, str]:
    """Stream into ``<target>.part`` (resuming it), verify the file on disk, then move it into place.

    The file must hash to ``sha256``, or when there is none, to ``git_oid``. Returns the
    bytes received and the file's SHA-256.
    """
    target, size, part, state_path = stream.target, stream.size, stream.part, stream.state_path
    state = {"sha256": stream.sha256 or stream.git_oid, "size": size}
    if part.exists():
        try:
            same = json.loads(state_path.read_text()) == state
        except (OSError, ValueError):
            same = False
        if not same or (size is not None and part.stat().st_size > size):
            part.unlink()
    done = part.stat().st_size if part.exists() else 0
    if size is not None:
        need, free = size - done, free_bytes(target.parent)
        if free < need + DISK_SAFETY_MARGIN:
            raise DiskFullError(
                f"Not enough disk space for {target.name}: it needs {human_size(need)} more, plus "
                f"{human_size(DISK_SAFETY_MARGIN)} kept free as a safety margin, and only {human_size(free)} is "
                f"free in {target.parent}. Free some space (empty the trash, remove old downloads) and try again."
            )
    state_path.write_text(json.dumps(state))
    meter, received, failures, last_report, watch = _RateMeter(), 0, 0, 0.0, _SlowWatch(done)

    def report(force: bool = False) -> None:
        nonlocal last_report
        now = time.monotonic()
        if progress and (force or now - last_report >= 0.1):
            last_report = now
            rate = meter.add(done)
            eta = (size - done) / rate if size and rate > 0 else None
            progress(Progress(done, size, rate, eta, target.name))

    def check_speed() -> None:
        rate = watch.slow_rate(done)
        if rate is None:
            return
        asked = Progress(done, size, rate, (size - done) / rate if size and rate > 0 else None, target.name)
        if too_slow is not None and too_slow(asked):
            watch.window = SLOW_ASK_AGAIN
            return
        raise TooSlowPaused(
            f"The download of {target.name} is too slow ({rate / 1000:.0f} kB/s over the last "
            f"{SLOW_WINDOW / 60:.0f} minutes), so it was paused; {human_size(done)} are kept and it will resume "
            "where it stopped."
        )

    sink = Sink(part)
    try:
        while size is None or done < size:
            try:
                with open_stream(stream.url, stream.headers, done) as response:
                    if response.status == 416 and size is not None and done >= size:
                        break
                    if response.status in RETRY_STATUSES:
                        if failures >= max_retries:
                            raise busy_error(response.status, target.name)
                        failures += 1
                        pause(retry_delay(response.status, response.getheader("Retry-After"), failures, target.name), cancel)
                        continue
                    if response.status in (401, 403):
                        raise LinkRefused(
                            f"The file server refused the download link for {target.name} (HTTP {response.status}); "
                            "such links expire after a while. Try again: what was already downloaded is kept."
                        )
                    if response.status >= 400:
                        raise http_status_error(response.status, target.name)
                    if done and response.status == 200:  # the server ignored Range: start over
                        sink.restart()
                        done = 0
                    start = _content_range_start(response)
                    if response.status == 206 and start != done:  # not the part asked for: never appended
                        raise http.client.HTTPException(f"answer from byte {start} to a request from byte {done}")
                    limit, attempt = _read_limit(response, size, done, target.name), 0
                    while limit:
                        if cancel is not None and cancel.is_set():
                            raise DownloadCancelled(
                                f"Download of {target.name} paused; {human_size(done)} are kept and it will resume where it stopped."
                            )
                        sink.check()
                        count = sink.receive(response, limit)
                        if not count:
                            break
                        done, received, limit, attempt = done + count, received + count, limit - count, attempt + count
                        if attempt >= PROGRESS_CLEARS_FAILURES:
                            failures = 0
                        report()
                        check_speed()
                    if size is None and not limit and response.read1(1):
                        raise ChecksumError(
                            f"{target.name} is larger than the {human_size(UNSIZED_LIMIT)} allowed for a file of "
                            "unknown size; it was not kept."
                        )
                if size is None:
                    break
                if done < size:
                    raise http.client.IncompleteRead(b"", size - done)
            except ssl.SSLError as exc:
                raise NetworkError(
                    f"The secure connection to the download server could not be verified ({exc.reason or exc}); "
                    "nothing was downloaded from it. Check the computer's date and any network filter, then try again."
                ) from exc
            except (OSError, http.client.HTTPException) as exc:  # the network; disk errors arrive as WriteFailed
                failures += 1
                if failures > max_retries:
                    raise NetworkError(
                        f"The connection kept dropping while downloading {target.name} ({human_size(done)} of "
                        f"{human_size(size or 0)} kept). Check your internet connection and try again; "
                        "it will resume where it stopped."
                    ) from exc
                check_speed()
                pause(min(0.2 * 2**failures, 5.0), cancel)
        actual = sink.finish()
    except WriteFailed as failed:
        sink.abandon()
        discard(part, state_path)
        if failed.error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            raise DiskFullError(
                f"The disk filled up while downloading {target.name}; the incomplete file was removed. "
                "Free some space and try again."
            ) from None
        raise DownloadError(f"Could not write {target.name}: {failed.error.strerror or failed.error}.") from None
    except ChecksumError:
        sink.abandon()
        discard(part, state_path)
        raise
    except BaseException:
        sink.abandon()  # keeps what was written: a later call resumes from it
        raise
    report(force=True)
    # ``actual`` was read back from the part file: the bytes on disk, not those received
    whole = actual is not None and (size is None or done == size)
    if not whole or not (actual == stream.sha256 if stream.sha256 else git_blob_oid(part) == stream.git_oid):
        discard(part, state_path)
        raise ChecksumError(
            f"The downloaded {target.name} is damaged or not the expected file (its SHA-256 does not match); "
            "it was deleted and will not be used. Try the download again; if it keeps failing, the server may be "
            "sending a wrong file."
        )
    assert actual is not None
    os.replace(part, target)
    state_path.unlink(missing_ok=True)
    remember(target, actual)
    return received, actual


def _content_range_start(response: http.client.HTTPResponse) -> int | None:
    match = _CONTENT_RANGE.match(response.getheader("Content-Range") or "")
    return int(match.group(1)) if match else None


def _read_limit(response: http.client.HTTPResponse, size: int | None, done: int, name: str) -> int:
    """Bytes to read from this response: never past the expected size, whatever the server sends."""
    announced = response.getheader("Content-Length")
    length = int(announced) if announced and announced.isdigit() else None
    if size is None:
        return length if length is not None else UNSIZED_LIMIT - done
    if length is not None and length > size - done:
        raise ChecksumError(
            f"The server offers a larger {name} than expected ({human_size(done + length)} instead of "
            f"{human_size(size)}), so it is not the file Llama Desk checked; it was not downloaded."
        )
    return size - done


def discard(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
