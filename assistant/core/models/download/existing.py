"""Finding a copy already on disk (our models folder, the huggingface_hub cache, folders the user added) and linking it into the models folder."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from assistant.core.models.catalog import Source
from assistant.core.models.download.verify import GIT_OID, SHA256, file_sha256, git_blob_oid, remember


def hf_cache_dir() -> Path:
    """The huggingface_hub cache folder, honouring HF_HUB_CACHE and HF_HOME."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "huggingface")
    return Path(home) / "hub"


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
        for candidate in candidates(folder):
            try:
                matches = candidate.stat().st_size == size if size is not None else candidate.name == name
            except OSError:
                continue
            if matches and file_sha256(candidate, cancel) == sha256:
                return candidate, str(folder)
    return None


def link_into(found: Path, target: Path, sha256: str) -> Path:
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
    remember(target, sha256)
    return target


def candidates(folder: Path, max_depth: int = 4) -> Iterable[Path]:
    base_depth = len(folder.parts)
    for root, dirs, files in os.walk(folder):
        if len(Path(root).parts) - base_depth >= max_depth:
            dirs[:] = []
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for file_name in files:
            if not file_name.endswith((".part", ".json", ".incomplete", ".lock")):
                yield Path(root) / file_name


def cached_by_revision(source: Source, path_in_repo: str) -> tuple[Path, str] | None:
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
    if SHA256.match(blob.name):
        return blob, blob.name
    if GIT_OID.match(blob.name) and git_blob_oid(blob) == blob.name:  # a small file kept in git
        return blob, file_sha256(blob)
    return None
