"""Downloading a catalog build safely: pinned revision, resume, SHA-256, clear errors.

huggingface_hub resolves the pinned file (HF_ENDPOINT, token headers, the
X-Linked-Etag/X-Linked-Size metadata, its error classes). The bytes are then
streamed here into ``models_dir()/<file>.part`` with Range requests (standard
library HTTP client, TLS verification on), because huggingface_hub 2.x deletes
its temporary file on any failure: it cannot resume after a cancel or an app
restart, and offers no cancel hook. The part file keeps its expected hash in a
``.part.json`` sidecar, so a restart resumes only when it is the same file.

Nothing is handed back before its SHA-256 matches (the catalog's value, or the
hub's LFS sha256 for the pinned revision when the catalog has none). A file with
the right hash already on disk (our models folder, the huggingface_hub cache,
folders the user added) is used instead of downloading.

Credentials: only the ``token`` passed in is sent (the app reads it from the OS
keyring); huggingface_hub's plaintext token file and HF_TOKEN are not consulted.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import os
import queue
import re
import shutil
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from assistant.core.catalog import Build, Source, SpeechModel
from assistant.core.paths import data_dir, models_dir

CHUNK = 1 << 20
#: Receive buffers of CHUNK bytes shared by the reader, writer and hasher threads (few
#: enough to stay in the CPU cache between the three).
BUFFERS = 4
#: Bytes per write call. Large writes make Linux fill the page cache with large folios,
#: which in a VM with free-page reporting come from memory the host has taken back and
#: cost several times more to fill (800 MB: 0.14-1.9 s with 1 MiB writes, 0.2-0.3 s
#: with 16 KiB ones, on the machine in BENCHMARKS.md); curl writes 16 KiB too.
WRITE_PIECE = 16 * 1024
#: Bytes written between two syncs to disk while a download runs.
FLUSH_EVERY = 64 * 1024 * 1024
DISK_SAFETY_MARGIN = 64 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GIT_OID = re.compile(r"^[0-9a-f]{40}$")
_TRUE = {"1", "on", "yes", "true"}


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


class DownloadCancelled(DownloadError):
    """The user cancelled; the part already downloaded is kept for a later resume."""


# ---- progress --------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    done_bytes: int
    total_bytes: int | None
    bytes_per_second: float
    eta_seconds: float | None
    file: str


ProgressCallback = Callable[[Progress], None]


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


@dataclass
class DownloadResult:
    path: Path
    sha256: str
    reused: str | None  # None: downloaded now; else where the existing copy was found
    downloaded_bytes: int
    source: str = ""


@dataclass(frozen=True)
class FileRequest:
    """One file to fetch: where from, what it must hash to, where it goes."""

    sources: tuple[Source, ...]
    path_in_repo: str
    sha256: str | None
    size: int | None
    target: Path


# ---- environment --------------------------------------------------------------------------


def offline_mode() -> bool:
    """HF_HUB_OFFLINE (read now, not at import, so the setting can change at run time)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def hub_endpoint(source: Source | None = None) -> str:
    if source and source.endpoint:
        return source.endpoint.rstrip("/")
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def hf_cache_dir() -> Path:
    """The huggingface_hub cache folder, honouring HF_HUB_CACHE and HF_HOME."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "huggingface")
    return Path(home) / "hub"


def free_bytes(folder: Path) -> int:
    """Free disk space in ``folder`` (a seam: tests simulate a full disk here)."""
    return shutil.disk_usage(folder).free


def _write_chunk(fd: int, data: memoryview) -> None:
    """Write one chunk, :data:`WRITE_PIECE` bytes per call (a seam: tests simulate the disk filling up)."""
    while data:
        data = data[os.write(fd, data[:WRITE_PIECE]) :]


# ---- hashing with a small memo ---------------------------------------------------------------


def _index_path() -> Path:
    return data_dir() / "verified-files.json"


def _load_index() -> dict[str, dict]:
    try:
        return json.loads(_index_path().read_text())
    except (OSError, ValueError):
        return {}


_index_lock = threading.Lock()


def file_sha256(path: Path, cancel: threading.Event | None = None) -> str:
    """SHA-256 of a file, remembered by (size, mtime) so a 2 GB file is hashed once."""
    stat = path.stat()
    key = str(path.resolve())
    with _index_lock:
        entry = _load_index().get(key)
    if entry and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
        return str(entry["sha256"])
    value = _hash_file(hashlib.sha256(), path, cancel).hexdigest()
    _remember(path, value)
    return value


def _hash_file(digest, path: Path, cancel: threading.Event | None = None):
    """Feed the whole file at ``path`` to ``digest`` and return it (cancellable between reads)."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK * 4):
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("Cancelled while checking an existing file.")
            digest.update(chunk)
    return digest


def git_blob_oid(path: Path) -> str:
    """Git's id for the file's bytes: the hub's ETag for a small file kept in git rather than LFS.

    (SHA-1 over ``blob <size>\\0`` and the bytes. The hub publishes no SHA-256 for such
    files, so this id at the pinned revision, fetched over verified TLS, is what they
    are checked against.)
    """
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    return _hash_file(digest, path).hexdigest()


def _matches(path: Path, sha256: str | None, git_oid: str | None, cancel: threading.Event | None) -> bool:
    """Whether ``path`` holds the expected bytes (by SHA-256, or by git id when there is no SHA-256)."""
    if sha256:
        return file_sha256(path, cancel) == sha256
    return git_blob_oid(path) == git_oid


def _remembered(path: Path) -> bool:
    """Whether this exact file (same size and modification time) was hashed before."""
    stat = path.stat()
    entry = _load_index().get(str(path.resolve()))
    return bool(entry) and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns


def _remember(path: Path, sha: str) -> None:
    stat = path.stat()
    with _index_lock:
        index = _load_index()
        index[str(path.resolve())] = {"sha256": sha, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        tmp = _index_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(index, indent=1))
        os.replace(tmp, _index_path())


# ---- finding a copy already on disk ------------------------------------------------------------


def find_existing(
    sha256: str,
    size: int | None,
    folders: Iterable[Path] = (),
    name: str | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Path, str] | None:
    """A file with this hash in the HF cache or the given folders: (path, where) or None.

    HF cache blobs of LFS files are named by their sha256, so that lookup is direct;
    other folders are scanned for files of the same size (or same name when the size is unknown).
    """
    cache = hf_cache_dir()
    if cache.is_dir():
        for blob in cache.glob(f"models--*/blobs/{sha256}"):
            if blob.is_file() and (size is None or blob.stat().st_size == size) and file_sha256(blob, cancel) == sha256:
                return blob, "Hugging Face cache"
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for candidate in _candidates(folder):
            try:
                matches = candidate.stat().st_size == size if size is not None else candidate.name == name
            except OSError:
                continue
            if matches and file_sha256(candidate, cancel) == sha256:
                return candidate, str(folder)
    return None


def _link_into(found: Path, target: Path, sha256: str) -> Path:
    """A hard link to ``found`` at ``target``, or ``found`` itself when the disk cannot link.

    The link takes no extra space, keeps working if the other app deletes or renames its
    copy, and lets the Models page list and delete the build without touching that copy.
    """
    if target.exists():
        return found
    try:
        os.link(found, target)
    except OSError:  # another disk, a file system without hard links, no permission
        return found
    _remember(target, sha256)
    return target


def _candidates(folder: Path, max_depth: int = 4) -> Iterable[Path]:
    base_depth = len(folder.parts)
    for root, dirs, files in os.walk(folder):
        if len(Path(root).parts) - base_depth >= max_depth:
            dirs[:] = []
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for file_name in files:
            if not file_name.endswith((".part", ".json", ".incomplete", ".lock")):
                yield Path(root) / file_name


def _cached_by_revision(source: Source, path_in_repo: str) -> tuple[Path, str] | None:
    """The HF-cache copy of a file at a revision, with the sha256 its blob name carries."""
    repo_dir = hf_cache_dir() / ("models--" + source.repo.replace("/", "--"))
    revision = source.revision
    ref = repo_dir / "refs" / revision
    if ref.is_file():
        revision = ref.read_text().strip()
    snapshot = repo_dir / "snapshots" / revision / path_in_repo
    if not snapshot.exists():
        return None
    blob = snapshot.resolve()
    if _SHA256.match(blob.name):
        return blob, blob.name
    if _GIT_OID.match(blob.name) and git_blob_oid(blob) == blob.name:  # a small file kept in git
        return blob, file_sha256(blob)
    return None


# ---- the download ------------------------------------------------------------------------------


def download_build(
    build: Build,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    dest_dir: Path | None = None,
    search_folders: Sequence[Path] = (),
    token: str | None = None,
    max_retries: int = 3,
) -> DownloadResult:
    """Make ``build`` available on disk, verified; return where it is."""
    target = Path(dest_dir or models_dir()) / build.file
    request = FileRequest(build.sources, build.file, build.sha256, build.size, target)
    return fetch_file(request, progress=progress, cancel=cancel, search_folders=search_folders, token=token, max_retries=max_retries)


def download_speech_model(model: SpeechModel, **kwargs) -> Path:
    """Fetch every file of a faster-whisper model into ``models_dir()/<id>/``; return the folder."""
    folder = models_dir() / model.id
    source = Source(model.repo, model.revision or "main")
    for item in model.files:
        fetch_file(FileRequest((source,), item.path, item.sha256, item.size, folder / item.path), **kwargs)
    return folder


def fetch_file(
    request: FileRequest,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    search_folders: Sequence[Path] = (),
    token: str | None = None,
    max_retries: int = 3,
) -> DownloadResult:
    """Reuse a verified copy, or download from the first source that works."""
    target = request.target
    target.parent.mkdir(parents=True, exist_ok=True)
    if request.sha256:
        if target.is_file() and file_sha256(target, cancel) == request.sha256:
            return DownloadResult(target, request.sha256, "models folder", 0)
        found = find_existing(request.sha256, request.size, search_folders, name=target.name, cancel=cancel)
        if found:
            return DownloadResult(_link_into(found[0], target, request.sha256), request.sha256, found[1], 0)
    if offline_mode():
        return _offline_copy(request, cancel)
    failures: list[DownloadError] = []
    for source in request.sources:
        try:
            return _fetch_from(source, request, progress, cancel, search_folders, token, max_retries)
        except (AccessDeniedError, NotFoundError, NetworkError) as exc:
            failures.append(exc)
        except ChecksumError as exc:
            if source == request.sources[0] and len(request.sources) == 1:
                raise
            failures.append(exc)
    raise failures[0]


def _offline_copy(request: FileRequest, cancel: threading.Event | None) -> DownloadResult:
    for source in request.sources:
        cached = _cached_by_revision(source, request.path_in_repo)
        if cached and (request.sha256 is None or cached[1] == request.sha256) and file_sha256(cached[0], cancel) == cached[1]:
            return DownloadResult(cached[0], cached[1], "Hugging Face cache", 0)
    if request.sha256 is None and request.target.is_file() and _remembered(request.target):
        # a file we verified against the hub when we downloaded it
        return DownloadResult(request.target, file_sha256(request.target), "models folder", 0)
    raise OfflineError(
        f"Offline mode is on (HF_HUB_OFFLINE) and {request.target.name} is not on this computer. "
        "Connect to the internet and turn offline mode off to download it, or add a folder that already holds it."
    )


def _metadata(source: Source, path_in_repo: str, token: str | None):
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    endpoint = hub_endpoint(source)
    url = hf_hub_url(source.repo, path_in_repo, revision=source.revision, endpoint=endpoint)
    try:
        return url, get_hf_file_metadata(url, token=token or False, endpoint=endpoint)
    except Exception as exc:
        raise _translate(exc, source, path_in_repo) from exc


def _translate(exc: BaseException, source: Source, path_in_repo: str) -> DownloadError:
    """Our error class, with a plain message, for a hub or transport error."""
    from huggingface_hub import errors as hub_errors

    name = f"{path_in_repo} from {source.repo}"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, hub_errors.GatedRepoError) or status in (401, 403):
        return AccessDeniedError(
            f"Access to {source.repo} was refused (HTTP {status or 401}): the repository is gated or needs a sign-in. "
            "Open it on Hugging Face, accept its licence, and sign in with an access token in Settings; "
            "or pick another build."
        )
    if isinstance(exc, (hub_errors.RepositoryNotFoundError, hub_errors.RevisionNotFoundError, hub_errors.EntryNotFoundError)) or status == 404:
        return NotFoundError(
            f"{name} (revision {source.revision[:12]}) was not found on the server. It may have been moved or deleted; "
            "update Llama Desk or use a catalog that points to where the file is now."
        )
    if isinstance(exc, DownloadError):
        return exc
    if status and status >= 500:
        return NetworkError(f"The download server had a problem (HTTP {status}) sending {name}. Try again later.")
    return NetworkError(
        f"Could not reach the download server for {name} ({type(exc).__name__}). "
        "Check your internet connection and try again; what was already downloaded is kept."
    )


def _fetch_from(
    source: Source,
    request: FileRequest,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    search_folders: Sequence[Path],
    token: str | None,
    max_retries: int,
) -> DownloadResult:
    resolve_url, meta = _metadata(source, request.path_in_repo, token)
    etag = meta.etag or ""
    hub_sha = etag if _SHA256.match(etag) else None
    expected = request.sha256 or hub_sha
    git_oid = etag if expected is None and _GIT_OID.match(etag) else None  # a small file kept in git, not LFS
    if expected is None and git_oid is None:
        raise ChecksumError(
            f"{request.target.name} has no published SHA-256, so it cannot be verified; it was not downloaded."
        )
    if request.sha256 and hub_sha and hub_sha != request.sha256:
        raise ChecksumError(
            f"{source.repo} now offers a different {request.path_in_repo} than the one Llama Desk checked; "
            "it was not downloaded. Update Llama Desk or choose another build."
        )
    size = request.size or meta.size
    if not request.sha256:
        if request.target.is_file() and _matches(request.target, expected, git_oid, cancel):
            return DownloadResult(request.target, file_sha256(request.target, cancel), "models folder", 0)
        found = find_existing(expected, size, search_folders, name=request.target.name, cancel=cancel) if expected else None
        if found:
            return DownloadResult(_link_into(found[0], request.target, expected), expected, found[1], 0)
    from huggingface_hub.utils import build_hf_headers

    headers = dict(build_hf_headers(token=token or False))
    headers["Accept-Encoding"] = "identity"
    if urlsplit(meta.location)[:2] != urlsplit(resolve_url)[:2]:  # the CDN of another origin gets no token
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    sent, actual = _transfer(meta.location, headers, request.target, expected, size, source, progress, cancel, max_retries, git_oid)
    return DownloadResult(request.target, actual, None, sent, source.repo)


def _transfer(
    url: str,
    headers: dict[str, str],
    target: Path,
    sha256: str | None,
    size: int | None,
    source: Source,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    max_retries: int,
    git_oid: str | None = None,
) -> tuple[int, str]:
    """Stream ``url`` into ``<target>.part`` (resuming it), verify, then move into place.

    The bytes must hash to ``sha256``, or when there is none, to ``git_oid``. Returns the
    bytes received and the file's SHA-256.
    """
    part = target.with_name(target.name + ".part")
    state_path = target.with_name(target.name + ".part.json")
    state = {"sha256": sha256 or git_oid, "size": size}
    if part.exists():
        try:
            same = json.loads(state_path.read_text()) == state
        except (OSError, ValueError):
            same = False
        if not same or (size is not None and part.stat().st_size > size):
            part.unlink()
    state_path.write_text(json.dumps(state))
    done = part.stat().st_size if part.exists() else 0
    if size is not None:
        need = size - done
        free = free_bytes(target.parent)
        if free < need + DISK_SAFETY_MARGIN:
            raise DiskFullError(
                f"Not enough disk space for {target.name}: it needs {need / 1e9:.1f} GB more and only "
                f"{free / 1e9:.1f} GB is free in {target.parent}. Free some space (empty the trash, remove old "
                "downloads) and try again."
            )
    meter, received, failures, last_report = _RateMeter(), 0, 0, 0.0

    def report(force: bool = False) -> None:
        nonlocal last_report
        now = time.monotonic()
        if progress and (force or now - last_report >= 0.1):
            last_report = now
            rate = meter.add(done)
            eta = (size - done) / rate if size and rate > 0 else None
            progress(Progress(done, size, rate, eta, target.name))

    sink = _Sink(part)
    try:
        while size is None or done < size:
            try:
                with _open_stream(url, headers, done) as response:
                    if response.status == 416 and size is not None and done >= size:
                        break
                    if response.status >= 400:
                        raise _translate(_HTTPStatus(response.status), source, target.name)
                    if done and response.status == 200:  # the server ignored Range: start over
                        sink.restart()
                        done = 0
                    while True:
                        if cancel is not None and cancel.is_set():
                            raise DownloadCancelled(
                                f"Download of {target.name} paused; {done / 1e6:.0f} MB are kept and it will resume where it stopped."
                            )
                        sink.check()
                        count = sink.receive(response)
                        if not count:
                            break
                        done += count
                        received += count
                        failures = 0
                        report()
                if size is None:
                    break
                if done < size:
                    raise http.client.IncompleteRead(b"", size - done)
            except ssl.SSLError as exc:
                raise NetworkError(
                    f"The secure connection to the download server could not be verified ({exc.reason or exc}); "
                    "nothing was downloaded from it. Check the computer's date and any network filter, then try again."
                ) from exc
            except (OSError, http.client.HTTPException) as exc:  # the network; disk errors arrive as _WriteFailed
                failures += 1
                if failures > max_retries:
                    raise NetworkError(
                        f"The connection kept dropping while downloading {target.name} ({done / 1e6:.0f} MB of "
                        f"{(size or 0) / 1e6:.0f} MB kept). Check your internet connection and try again; "
                        "it will resume where it stopped."
                    ) from exc
                time.sleep(min(0.2 * 2**failures, 5.0))
        actual = sink.finish()
    except _WriteFailed as failed:
        sink.abandon()
        _discard(part, state_path)
        if failed.error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            raise DiskFullError(
                f"The disk filled up while downloading {target.name}; the incomplete file was removed. "
                "Free some space and try again."
            ) from None
        raise DownloadError(f"Could not write {target.name}: {failed.error.strerror or failed.error}.") from None
    except BaseException:
        sink.abandon()  # keeps what was written: a later call resumes from it
        raise
    report(force=True)
    intact = (size is None or done == size) and (actual == sha256 if sha256 else git_blob_oid(part) == git_oid)
    if not intact:
        _discard(part, state_path)
        raise ChecksumError(
            f"The downloaded {target.name} is damaged or not the expected file (its SHA-256 does not match); "
            "it was deleted and will not be used. Try the download again; if it keeps failing, the server may be "
            "sending a wrong file."
        )
    os.replace(part, target)
    state_path.unlink(missing_ok=True)
    _remember(target, actual)
    return received, actual


class _HTTPStatus(Exception):
    """An HTTP error status, shaped like the hub errors ``_translate`` reads."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.response = type("Response", (), {"status_code": status})()


class _WriteFailed(Exception):
    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Buffer:
    """One receive buffer; ``users`` counts the threads (writer, hasher) still reading it."""

    __slots__ = ("data", "size", "users")

    def __init__(self) -> None:
        self.data = bytearray(CHUNK)
        self.size = 0
        self.users = 0

    def view(self) -> memoryview:
        return memoryview(self.data)[: self.size]


class _Sink:
    """Appends the response body to the part file and hashes it, on threads beside the reader.

    The reader receives into a few reused buffers (:data:`BUFFERS`), so every byte is
    copied once from the socket and once to the page cache, with no allocation per
    chunk; a writer and a hasher thread take each buffer in parallel and hand it back
    when both are done. The SHA-256 covers the bytes already in the part file, so a
    resumed file is verified as a whole. A flusher thread syncs every
    :data:`FLUSH_EVERY` bytes while the download goes on, so the final fsync has little
    left to do and dirty pages never pile up and stall the writer.
    """

    _STOP = None

    def __init__(self, part: Path) -> None:
        self.digest = _hash_file(hashlib.sha256(), part) if part.exists() else hashlib.sha256()
        self.error: OSError | None = None
        self.fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o644)
        self._free: queue.Queue[_Buffer] = queue.Queue()
        for _ in range(BUFFERS):
            self._free.put(_Buffer())
        self._users_lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        self.write_queue: queue.Queue = queue.Queue()
        self.hash_queue: queue.Queue = queue.Queue()
        self._unsynced = 0
        self._flush_wanted = threading.Condition()
        self._flush_pending = False
        self._closing = False
        self.writer = threading.Thread(target=self._write_loop, name="download-writer", daemon=True)
        self.hasher = threading.Thread(target=self._hash_loop, name="download-hasher", daemon=True)
        self.flusher = threading.Thread(target=self._flush_loop, name="download-flusher", daemon=True)
        for thread in (self.writer, self.hasher, self.flusher):
            thread.start()

    def receive(self, response: http.client.HTTPResponse) -> int:
        """Read the next piece of ``response`` and queue it; return its size (0 at the end)."""
        buffer = self._free.get()
        try:
            buffer.size = response.readinto(buffer.data)
        except BaseException:
            self._free.put(buffer)
            raise
        if not buffer.size:
            self._free.put(buffer)
            return 0
        buffer.users = 2
        self.write_queue.put(buffer)
        self.hash_queue.put(buffer)
        return buffer.size

    def _release(self, buffer: _Buffer) -> None:
        with self._users_lock:
            buffer.users -= 1
            if buffer.users:
                return
        self._free.put(buffer)

    def _write_loop(self) -> None:
        while (buffer := self.write_queue.get()) is not self._STOP:
            try:
                if self.error is None:
                    _write_chunk(self.fd, buffer.view())
                    self._unsynced += buffer.size
            except Exception as exc:
                self.error = exc if isinstance(exc, OSError) else OSError(errno.EIO, f"{type(exc).__name__}: {exc}")
            finally:
                self._release(buffer)
            if self._unsynced >= FLUSH_EVERY:
                self._unsynced = 0
                with self._flush_wanted:
                    self._flush_pending = True
                    self._flush_wanted.notify()

    def _flush_loop(self) -> None:
        sync = getattr(os, "fdatasync", os.fsync)  # no fdatasync on macOS and Windows
        while True:
            with self._flush_wanted:
                self._flush_wanted.wait_for(lambda: self._flush_pending or self._closing)
                if self._closing:
                    return
                self._flush_pending = False
            try:
                sync(self.fd)
            except OSError as exc:
                if self.error is None:
                    self.error = exc

    def _hash_loop(self) -> None:
        while (buffer := self.hash_queue.get()) is not self._STOP:
            self.digest.update(buffer.view())
            self._release(buffer)

    def check(self) -> None:
        if self.error is not None:
            raise _WriteFailed(self.error)

    def _drain(self) -> None:
        self.write_queue.put(self._STOP)
        self.hash_queue.put(self._STOP)
        self.writer.join()
        self.hasher.join()
        with self._flush_wanted:
            self._closing = True
            self._flush_wanted.notify()
        self.flusher.join()

    def restart(self) -> None:
        """Empty the part file (the server is sending from byte 0)."""
        self._drain()
        self.check()
        os.ftruncate(self.fd, 0)
        self.digest = hashlib.sha256()
        self._start()

    def finish(self) -> str:
        """Wait for every chunk, flush to disk, and return the SHA-256 of the whole part file."""
        self._drain()
        self.check()
        try:
            os.fsync(self.fd)
        except OSError as exc:
            raise _WriteFailed(exc) from None
        finally:
            self._close()
        return self.digest.hexdigest()

    def abandon(self) -> None:
        if self.fd >= 0:
            self._drain()
            self._close()

    def _close(self) -> None:
        fd, self.fd = self.fd, -1
        try:
            os.close(fd)
        except OSError:
            pass


def _tls_context() -> ssl.SSLContext:
    """Certificate verification on, with certifi's roots when available."""
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


@contextlib.contextmanager
def _open_stream(url: str, headers: dict[str, str], offset: int, max_redirects: int = 5) -> Iterator[http.client.HTTPResponse]:
    """GET ``url`` from ``offset`` with the standard library client, following redirects.

    (huggingface_hub's session reads 64 KiB per call and tops out near half of curl's
    speed on a fast link; reading 1 MiB at a time keeps up.) Proxies from the
    environment are honoured; Authorization is dropped when a redirect changes host.
    """
    request_headers = dict(headers)
    if offset:
        request_headers["Range"] = f"bytes={offset}-"
    origin = urlsplit(url)[:2]
    for _ in range(max_redirects + 1):
        parts = urlsplit(url)
        if urlsplit(url)[:2] != origin:
            request_headers.pop("authorization", None)
            request_headers.pop("Authorization", None)
        connection, target = _connection(parts)
        try:
            connection.request("GET", target if target else "/", headers=request_headers)
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                response.read()
                connection.close()
                continue
            yield response
            return
        finally:
            connection.close()
    raise http.client.HTTPException("too many redirects")


def _connection(parts) -> tuple[http.client.HTTPConnection, str]:
    from urllib.request import getproxies, proxy_bypass

    host, port = parts.hostname or "", parts.port
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    https = parts.scheme == "https"
    proxy = getproxies().get(parts.scheme)
    if proxy and not proxy_bypass(host):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if https:
            connection = http.client.HTTPSConnection(proxy_parts.hostname, proxy_parts.port or 80, timeout=30, context=_tls_context())
            connection.set_tunnel(host, port or 443)
            return connection, path
        return http.client.HTTPConnection(proxy_parts.hostname, proxy_parts.port or 80, timeout=30), parts.geturl()
    if https:
        return http.client.HTTPSConnection(host, port or 443, timeout=30, context=_tls_context()), path
    return http.client.HTTPConnection(host, port or 80, timeout=30), path


def _discard(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def local_builds(builds: Iterable[Build], folder: Path | None = None) -> dict[str, Path]:
    """Builds whose file is already in the models folder (by name; verified at download time)."""
    base = Path(folder or models_dir())
    return {build.id: base / build.file for build in builds if (base / build.file).is_file()}
