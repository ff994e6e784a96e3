"""The catalog of model builds Llama Desk can download (resources/catalog.json).

A build is one GGUF file of one model at one quantization, pinned to a repository
commit, with its exact size and SHA-256 when known. ``--catalog FILE`` or
``LLAMA_DESK_CATALOG`` replaces the built-in file (company mirrors, tests); the
same format is validated with messages that name the bad field.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.core.paths import resource_path

CATALOG_ENV = "LLAMA_DESK_CATALOG"
SUPPORTED_FORMAT = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_QUANT = re.compile(r"^[A-Z0-9_]+$")
#: Longest file name (UTF-8 bytes) a catalog may give: file systems allow 255, and the
#: download adds ".part.json" or ".part.lock" beside it.
MAX_NAME_BYTES = 200
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def plain_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be one file or folder name inside the models folder (None when it can).

    Catalogs come from users and company mirrors too; a name must not climb out of the
    folder, hold bytes the file system refuses (NUL, control characters) or be too long.
    """
    if not name or name.startswith(".") or _UNSAFE_NAME.search(name) or name != name.strip():
        return "must be a plain file name"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"must be a plain file name of at most {MAX_NAME_BYTES} bytes"
    return None


def relative_path_problem(path: str) -> str | None:
    """Why ``path`` is not a relative path of plain names (None when it is)."""
    if not path or any(plain_name_problem(part) for part in path.split("/")):
        return "must be a relative path of plain file names separated by /"
    return None


def endpoint_allowed(endpoint: str) -> bool:
    """https to any host, or plain http only to this computer (a local mirror or test hub).

    The address is parsed, so "http://127.0.0.1.example.com" or
    "http://127.0.0.1@example.com" are seen for the other hosts they are.
    """
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.scheme == "https":
        return bool(host)
    if parts.scheme != "http" or parts.username is not None or parts.password is not None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

# Quality order (higher is better) and rough bits per weight, for ranking and speed estimates.
QUANT_QUALITY = {"Q4_0": 1, "Q4_K_M": 2, "Q5_K_M": 3, "Q6_K": 4, "Q8_0": 5, "F16": 6}


class CatalogError(ValueError):
    """The catalog file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class Source:
    """Where a file lives: a hub repository at a revision, optionally on another endpoint."""

    repo: str
    revision: str
    endpoint: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model's shape: enough to compute its KV-cache memory."""

    id: str
    name: str
    parameters: int
    layers: int
    kv_heads: int
    head_dim: int
    context_length: int
    vocab_size: int
    source: Source
    mirrors: tuple[Source, ...] = ()

    def kv_bytes_per_token(self, bytes_per_value: int = 2) -> int:
        """KV-cache bytes for one token (keys and values, every layer, f16 by default)."""
        return 2 * self.layers * self.kv_heads * self.head_dim * bytes_per_value

    @property
    def size_label(self) -> str:
        return f"{self.parameters / 1e9:.0f}B"


@dataclass(frozen=True)
class Build:
    """One downloadable GGUF file."""

    id: str
    model: ModelSpec
    quant: str
    file: str
    size: int | None
    sha256: str | None
    approx_size: int

    @property
    def download_size(self) -> int:
        """Exact size when known, else the catalog's approximation."""
        return self.size or self.approx_size

    @property
    def quality(self) -> int:
        return QUANT_QUALITY.get(self.quant, 0)

    @property
    def label(self) -> str:
        return f"{self.model.name} {self.quant}"

    @property
    def sources(self) -> tuple[Source, ...]:
        return (self.model.source, *self.model.mirrors)


@dataclass(frozen=True)
class SpeechFile:
    path: str
    sha256: str | None
    size: int | None


@dataclass(frozen=True)
class SpeechModel:
    """A faster-whisper model folder (CTranslate2 files)."""

    id: str
    name: str
    english_only: bool
    repo: str
    revision: str | None
    approx_size: int
    files: tuple[SpeechFile, ...]


@dataclass
class Catalog:
    path: str
    models: list[ModelSpec]
    builds: list[Build]
    speech: list[SpeechModel] = field(default_factory=list)
    license: dict[str, str] = field(default_factory=dict)

    def build(self, build_id: str) -> Build:
        for build in self.builds:
            if build.id == build_id.lower():
                return build
        known = ", ".join(b.id for b in self.builds)
        raise CatalogError(f"There is no build called {build_id!r}. Known builds: {known}.")


def default_catalog_path(explicit: str | Path | None = None) -> Path:
    """The catalog in use: ``explicit``, else ``$LLAMA_DESK_CATALOG``, else the built-in one."""
    if explicit:
        return Path(explicit)
    override = os.environ.get(CATALOG_ENV)
    if override:
        return Path(override)
    return resource_path("catalog.json")


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and validate a catalog file; raise :class:`CatalogError` with a plain message."""
    catalog_path = default_catalog_path(path)
    try:
        text = catalog_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(f"The model catalog {catalog_path} does not exist. Check the --catalog path or {CATALOG_ENV}.") from None
    except OSError as exc:
        raise CatalogError(f"The model catalog {catalog_path} could not be read: {exc.strerror or exc}.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"The model catalog {catalog_path} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
    return parse_catalog(data, str(catalog_path))


def parse_catalog(data: Any, origin: str = "catalog") -> Catalog:
    """Validate catalog data (already parsed JSON)."""
    check = _Checker(origin)
    check.that(isinstance(data, dict), "", "must be a JSON object")
    check.that(data.get("format") == SUPPORTED_FORMAT, "format", f"must be {SUPPORTED_FORMAT} (this version of Llama Desk reads format {SUPPORTED_FORMAT})")
    raw_models = data.get("models")
    check.that(isinstance(raw_models, list) and raw_models, "models", "must be a non-empty list")
    models: list[ModelSpec] = []
    builds: list[Build] = []
    for m_index, raw in enumerate(raw_models):
        where = f"models[{m_index}]"
        check.that(isinstance(raw, dict), where, "must be an object")
        model_id = check.text(raw, "id", where)
        spec = ModelSpec(
            id=model_id,
            name=check.text(raw, "name", where),
            parameters=check.positive(raw, "parameters", where),
            layers=check.positive(raw, "layers", where),
            kv_heads=check.positive(raw, "kv_heads", where),
            head_dim=check.positive(raw, "head_dim", where),
            context_length=check.positive(raw, "context_length", where),
            vocab_size=check.positive(raw, "vocab_size", where),
            source=check.source(raw.get("source"), f"{where}.source", pinned=True),
            mirrors=tuple(check.source(mirror, f"{where}.mirrors[{i}]", pinned=False) for i, mirror in enumerate(raw.get("mirrors") or [])),
        )
        models.append(spec)
        raw_builds = raw.get("builds")
        check.that(isinstance(raw_builds, list) and raw_builds, f"{where}.builds", "must be a non-empty list")
        for b_index, raw_build in enumerate(raw_builds):
            b_where = f"{where}.builds[{b_index}]"
            check.that(isinstance(raw_build, dict), b_where, "must be an object")
            quant = check.text(raw_build, "quant", b_where)
            check.that(bool(_QUANT.match(quant)), f"{b_where}.quant", f"must look like Q4_K_M (got {quant!r})")
            file_name = check.text(raw_build, "file", b_where)
            check.name(file_name, f"{b_where}.file")
            size = raw_build.get("size")
            check.that(size is None or (isinstance(size, int) and size > 0), f"{b_where}.size", "must be a positive whole number of bytes or null")
            sha = raw_build.get("sha256")
            check.that(sha is None or (isinstance(sha, str) and bool(_SHA256.match(sha))), f"{b_where}.sha256", "must be 64 lowercase hex characters or null")
            approx = raw_build.get("approx_size", size)
            check.that(isinstance(approx, int) and approx > 0, f"{b_where}.approx_size", "is needed (bytes) when size is null")
            build_id = str(raw_build.get("id") or f"{model_id}-{quant}").lower()
            builds.append(Build(build_id, spec, quant, file_name, size, sha, approx))
    ids = [b.id for b in builds]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    check.that(not duplicates, "builds", f"have duplicate ids: {', '.join(duplicates)}")
    speech = [check.speech(raw, f"speech[{i}]") for i, raw in enumerate(data.get("speech") or [])]
    license_info = data.get("license") if isinstance(data.get("license"), dict) else {}
    return Catalog(origin, models, builds, speech, {str(k): str(v) for k, v in license_info.items()})


class _Checker:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def that(self, condition: bool, where: str, problem: str) -> None:
        if not condition:
            place = f" field {where}" if where else ""
            raise CatalogError(f"The model catalog {self.origin} is not valid:{place} {problem}.")

    def text(self, raw: dict[str, Any], key: str, where: str) -> str:
        value = raw.get(key)
        self.that(isinstance(value, str) and bool(value.strip()), f"{where}.{key}", "must be a non-empty text")
        return str(value)

    def name(self, value: str, where: str) -> None:
        problem = plain_name_problem(value)
        self.that(problem is None, where, problem or "")

    def positive(self, raw: dict[str, Any], key: str, where: str) -> int:
        value = raw.get(key)
        self.that(isinstance(value, int) and not isinstance(value, bool) and value > 0, f"{where}.{key}", "must be a positive whole number")
        return int(value)

    def source(self, raw: Any, where: str, *, pinned: bool) -> Source:
        self.that(isinstance(raw, dict), where, "must be an object with repo and revision")
        repo = self.text(raw, "repo", where)
        self.that(bool(_REPO.match(repo)), f"{where}.repo", f"must look like owner/name (got {repo!r})")
        revision = self.text(raw, "revision", where)
        if pinned:
            self.that(bool(_COMMIT.match(revision)), f"{where}.revision", "must be a 40-character commit hash (a pinned revision)")
        endpoint = raw.get("endpoint")
        self.that(
            endpoint is None or (isinstance(endpoint, str) and endpoint_allowed(endpoint)),
            f"{where}.endpoint",
            "must be an https:// address (plain http:// only to this computer) or null",
        )
        return Source(repo, revision, endpoint)

    def speech(self, raw: Any, where: str) -> SpeechModel:
        self.that(isinstance(raw, dict), where, "must be an object")
        revision = raw.get("revision")
        self.that(revision is None or (isinstance(revision, str) and bool(_COMMIT.match(revision))), f"{where}.revision", "must be a commit hash or null")
        files = []
        for i, item in enumerate(raw.get("files") or []):
            self.that(isinstance(item, dict), f"{where}.files[{i}]", "must be an object")
            sha = item.get("sha256")
            self.that(sha is None or bool(_SHA256.match(str(sha))), f"{where}.files[{i}].sha256", "must be 64 hex characters or null")
            path = self.text(item, "path", f"{where}.files[{i}]")
            problem = relative_path_problem(path)
            self.that(problem is None, f"{where}.files[{i}].path", problem or "")
            files.append(SpeechFile(path, sha, item.get("size")))
        self.that(bool(files), f"{where}.files", "must list the model's files")
        model_id = self.text(raw, "id", where)
        self.name(model_id, f"{where}.id")  # the model's folder inside the models folder
        return SpeechModel(
            id=model_id,
            name=self.text(raw, "name", where),
            english_only=bool(raw.get("english_only")),
            repo=self.text(raw, "repo", where),
            revision=revision,
            approx_size=self.positive(raw, "approx_size", where),
            files=tuple(files),
        )
