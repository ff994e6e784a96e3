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

import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from assistant.core.models.catalog import Build, Source, SpeechModel, plain_name_problem, relative_path_problem
from assistant.core.models.download.errors import (
    AccessDeniedError,
    ChecksumError,
    DownloadBusyError,
    DownloadError,
    NetworkError,
    NotFoundError,
    OfflineError,
    describe_failure,
)
from assistant.core.models.download.existing import cached_by_revision, find_existing, link_into
from assistant.core.models.download.transfer import (
    RETRY_STATUSES,
    LinkRefused,
    Progress,
    ProgressCallback,
    Stream,
    TooSlowCallback,
    busy_error,
    discard,
    pause,
    retry_delay,
    transfer,
)
from assistant.core.models.download.verify import GIT_OID, SHA256, file_sha256, matches, remembered
from assistant.core.paths import models_dir

_TRUE = {"1", "on", "yes", "true"}
__all__ = ["DownloadResult", "FileRequest", "Progress", "ProgressCallback", "TooSlowCallback"]


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


@dataclass(frozen=True)
class _Job:
    """One :func:`fetch_file` call's settings, handed down as one value."""

    request: FileRequest
    progress: ProgressCallback | None
    cancel: threading.Event | None
    search_folders: Sequence[Path]
    token: str | None
    max_retries: int
    too_slow: TooSlowCallback | None


# ---- environment --------------------------------------------------------------------------


def offline_mode() -> bool:
    """HF_HUB_OFFLINE (read now, not at import, so the setting can change at run time)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def hub_endpoint(source: Source | None = None) -> str:
    if source and source.endpoint:
        return source.endpoint.rstrip("/")
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


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
    too_slow: TooSlowCallback | None = None,
) -> DownloadResult:
    """Make ``build`` available on disk, verified; return where it is."""
    target = Path(dest_dir or models_dir()) / build.file
    request = FileRequest(build.sources, build.file, build.sha256, build.size, target)
    return fetch_file(
        request, progress=progress, cancel=cancel, search_folders=search_folders, token=token, max_retries=max_retries, too_slow=too_slow
    )


def download_speech_model(model: SpeechModel, **kwargs) -> Path:
    """Fetch every file of a faster-whisper model into ``models_dir()/<id>/``; return the folder.

    The id and paths are checked again here (not only in the catalog), because a
    :class:`SpeechModel` can be built in code and a bad one must not write outside the folder.
    """
    unsafe = [model.id] if plain_name_problem(model.id) else []
    unsafe += [item.path for item in model.files if relative_path_problem(item.path)]
    if unsafe:
        raise DownloadError(f"The speech model {model.name} names a file outside the models folder ({unsafe[0]!r}); nothing was downloaded.")
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
    too_slow: TooSlowCallback | None = None,
) -> DownloadResult:
    """Reuse a verified copy, or download from the first source that works.

    One download of a file at a time: a second one (another window, the command line)
    is refused at once rather than left waiting with no progress to show. ``too_slow``
    is asked "keep going?" when the download falls under the slowness limit; without
    it a too slow download is paused.
    """
    from filelock import FileLock, Timeout

    request.target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(request.target) + ".part.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DownloadBusyError(
            f"{request.target.name} is already being downloaded by another Llama Desk (a window or the command line). "
            "Let that download finish, or pause it, then try again."
        ) from None
    try:
        result = _fetch_locked(_Job(request, progress, cancel, search_folders, token, max_retries, too_slow))
        discard(Path(lock.lock_file))  # done: whoever locks next finds the verified file in place
        return result
    finally:
        lock.release()


def _fetch_locked(job: _Job) -> DownloadResult:
    request, cancel, search_folders = job.request, job.cancel, job.search_folders
    target = request.target
    if request.sha256:
        if target.is_file() and file_sha256(target, cancel) == request.sha256:
            return DownloadResult(target, request.sha256, "models folder", 0)
        found = find_existing(request.sha256, request.size, search_folders, name=target.name, cancel=cancel)
        if found:
            return DownloadResult(link_into(found[0], target, request.sha256), request.sha256, found[1], 0)
    if offline_mode():
        return _offline_copy(request, cancel)
    failures: list[DownloadError] = []
    for source in request.sources:
        try:
            return _fetch_from(source, job)
        except (AccessDeniedError, NotFoundError, NetworkError) as exc:
            failures.append(exc)
        except ChecksumError as exc:
            if source == request.sources[0] and len(request.sources) == 1:
                raise
            failures.append(exc)
    raise failures[0]


def _offline_copy(request: FileRequest, cancel: threading.Event | None) -> DownloadResult:
    for source in request.sources:
        cached = cached_by_revision(source, request.path_in_repo)
        if cached and (request.sha256 is None or cached[1] == request.sha256) and file_sha256(cached[0], cancel) == cached[1]:
            return DownloadResult(cached[0], cached[1], "Hugging Face cache", 0)
    if request.sha256 is None and request.target.is_file() and remembered(request.target):
        # a file we verified against the hub when we downloaded it
        return DownloadResult(request.target, file_sha256(request.target), "models folder", 0)
    raise OfflineError(
        f"Offline mode is on (HF_HUB_OFFLINE) and {request.target.name} is not on this computer. "
        "Connect to the internet and turn offline mode off to download it, or add a folder that already holds it."
    )


def _metadata(source: Source, path_in_repo: str, job: _Job):
    """Resolve the pinned file on the hub; busy answers (429, 503) are retried like the bytes are."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    endpoint = hub_endpoint(source)
    url = hf_hub_url(source.repo, path_in_repo, revision=source.revision, endpoint=endpoint)
    for attempt in range(job.max_retries + 1):
        try:
            return url, get_hf_file_metadata(url, token=job.token or False, endpoint=endpoint)
        except Exception as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            if status not in RETRY_STATUSES:
                raise _translate(exc, source, path_in_repo) from exc
            if attempt == job.max_retries:
                raise busy_error(status, f"{path_in_repo} from {source.repo}") from None
            header = response.headers.get("Retry-After") if getattr(response, "headers", None) is not None else None
            pause(retry_delay(status, header, attempt + 1, path_in_repo), job.cancel)
    raise AssertionError("unreachable")


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
        f"Could not reach the download server for {name}: {describe_failure(exc)}. "
        "Check your internet connection and try again; what was already downloaded is kept."
    )


def _fetch_from(source: Source, job: _Job, link_renewed: bool = False) -> DownloadResult:
    request, cancel = job.request, job.cancel
    resolve_url, meta = _metadata(source, request.path_in_repo, job)
    etag = meta.etag or ""
    hub_sha = etag if SHA256.match(etag) else None
    expected = request.sha256 or hub_sha
    git_oid = etag if expected is None and GIT_OID.match(etag) else None  # a small file kept in git, not LFS
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
        if request.target.is_file() and matches(request.target, expected, git_oid, cancel):
            return DownloadResult(request.target, file_sha256(request.target, cancel), "models folder", 0)
        found = find_existing(expected, size, job.search_folders, name=request.target.name, cancel=cancel) if expected else None
        if found:
            return DownloadResult(link_into(found[0], request.target, expected), expected, found[1], 0)
    from huggingface_hub.utils import build_hf_headers

    headers = dict(build_hf_headers(token=job.token or False))
    headers["Accept-Encoding"] = "identity"
    if urlsplit(meta.location)[:2] != urlsplit(resolve_url)[:2]:  # the CDN of another origin gets no token
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    stream = Stream(meta.location, headers, request.target, expected, size, git_oid)
    try:
        sent, actual = transfer(stream, job.progress, cancel, job.max_retries, job.too_slow)
    except LinkRefused:
        if link_renewed:
            raise
        return _fetch_from(source, job, link_renewed=True)  # a signed link that expired: ask the hub for a new one
    return DownloadResult(request.target, actual, None, sent, source.repo)


def local_builds(builds: Iterable[Build], folder: Path | None = None) -> dict[str, Path]:
    """Builds whose file is already in the models folder (by name; verified at download time)."""
    base = Path(folder or models_dir())
    return {build.id: base / build.file for build in builds if (base / build.file).is_file()}
