"""Downloading a catalog build or speech model safely: pinned revision, resume, SHA-256, clear errors.

``fetch`` the download itself (:func:`download_build`, :func:`download_speech_model`,
:func:`fetch_file`, :class:`Progress`); ``errors`` the :class:`DownloadError` family;
``verify`` hashing (:func:`file_sha256`, :func:`git_blob_oid`) and the index of files already
verified; ``existing`` copies already on disk (:func:`find_existing`, the Hugging Face cache);
``transfer`` one byte stream with the download rules (size bound, offsets, retries,
slowness limit, verification on disk); ``sink`` the part-file writer threads; ``http`` the standard-library GET with resume and redirects.
"""

from assistant.core.models.download.errors import (
    AccessDeniedError,
    ChecksumError,
    DiskFullError,
    DownloadBusyError,
    DownloadCancelled,
    DownloadError,
    NetworkError,
    NotFoundError,
    OfflineError,
    TooSlowPaused,
)
from assistant.core.models.download.existing import find_existing, hf_cache_dir
from assistant.core.models.download.fetch import (
    DownloadResult,
    FileRequest,
    Progress,
    ProgressCallback,
    download_build,
    download_speech_model,
    fetch_file,
    local_builds,
    offline_mode,
)
from assistant.core.models.download.verify import file_sha256, git_blob_oid

__all__ = [
    "AccessDeniedError",
    "ChecksumError",
    "DiskFullError",
    "DownloadBusyError",
    "DownloadCancelled",
    "DownloadError",
    "DownloadResult",
    "FileRequest",
    "NetworkError",
    "NotFoundError",
    "OfflineError",
    "Progress",
    "ProgressCallback",
    "TooSlowPaused",
    "download_build",
    "download_speech_model",
    "fetch_file",
    "file_sha256",
    "find_existing",
    "git_blob_oid",
    "hf_cache_dir",
    "local_builds",
    "offline_mode",
]
