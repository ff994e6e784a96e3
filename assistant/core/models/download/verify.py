"""Knowing a file is the right one: SHA-256, the git blob id of small files kept in git, and a small index of files already verified (so a found copy is not hashed twice)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from pathlib import Path

from assistant.core.models.download.errors import DownloadCancelled
from assistant.core.paths import data_dir

HASH_READ = 4 << 20  # bytes per read when hashing a file on disk
SHA256 = re.compile(r"^[0-9a-f]{64}$")
GIT_OID = re.compile(r"^[0-9a-f]{40}$")


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
    value = hash_file(hashlib.sha256(), path, cancel).hexdigest()
    remember(path, value)
    return value


def hash_file(digest, path: Path, cancel: threading.Event | None = None):
    """Feed the whole file at ``path`` to ``digest`` and return it (cancellable between reads)."""
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_READ):
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
    return hash_file(digest, path).hexdigest()


def matches(path: Path, sha256: str | None, git_oid: str | None, cancel: threading.Event | None) -> bool:
    """Whether ``path`` holds the expected bytes (by SHA-256, or by git id when there is no SHA-256)."""
    if sha256:
        return file_sha256(path, cancel) == sha256
    return git_blob_oid(path) == git_oid


def remembered(path: Path) -> bool:
    """Whether this exact file (same size and modification time) was hashed before."""
    stat = path.stat()
    entry = _load_index().get(str(path.resolve()))
    return bool(entry) and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns


def remember(path: Path, sha: str) -> None:
    stat = path.stat()
    with _index_lock:
        index = _load_index()
        index[str(path.resolve())] = {"sha256": sha, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        tmp = _index_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(index, indent=1))
        os.replace(tmp, _index_path())
