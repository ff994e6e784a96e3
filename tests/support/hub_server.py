"""A small local stand-in for the Hugging Face Hub, for download tests and the bench.

It speaks what huggingface_hub and our downloader use:

- ``HEAD/GET /{repo}/resolve/{revision}/{path}``: for an LFS file, 302 to
  ``/cdn/{sha256}`` with ``X-Repo-Commit``, ``ETag``, ``X-Linked-Etag`` (the sha256)
  and ``X-Linked-Size``; for a small file kept in git (``add(..., lfs=False)``), the
  bytes themselves with ``ETag`` = the git blob id, as the hub does;
- ``HEAD/GET /cdn/{sha256}``: the bytes, honouring ``Range: bytes=N-``;
- ``GET /api/models/{repo}/revision/{revision}`` and
  ``POST /api/models/{repo}/paths-info/{revision}``: LFS sha256 and size.

Test knobs: ``drop_after`` (close the connection after N body bytes, once),
``ignore_range`` (answer with the whole file, 200, whatever the Range header),
``wrong_bytes`` (serve altered content), ``status`` (answer every request with
401/403/404/500), ``hold_at`` (send N body bytes, set ``holding``, then wait for
``release``), ``stall_after`` (every GET of bytes sends N body bytes, then waits for
``release``), ``extra_bytes`` (N bytes of junk after the file, no Content-Length),
``range_shift`` (once: a Range request is answered from N bytes earlier, with an honest
Content-Range), ``cdn_answers`` (statuses with headers that the next byte GETs get
instead of the bytes), ``redirect_loop`` (the CDN redirects to itself), ``gated`` (401 with ``X-Error-Code: GatedRepo`` unless the
request carries ``required_token``). Counters:
``bytes_sent``, ``served`` (Range, bytes per finished GET) and ``requests``
(method, path, Range header).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"
#: Longest a held response waits for the test to release it (seconds; the machine may be busy).
PATIENCE = 120.0


@dataclass
class HostedFile:
    repo: str
    path: str
    source: Path
    sha256: str
    size: int
    lfs: bool = True

    @property
    def git_oid(self) -> str:
        """The git blob id (SHA-1 of ``blob <size>\\0`` and the bytes): the hub's ETag for a file kept in git."""
        digest = hashlib.sha1(b"blob %d\0" % self.size)
        digest.update(self.source.read_bytes())
        return digest.hexdigest()


@dataclass
class HubState:
    files: dict[tuple[str, str], HostedFile] = field(default_factory=dict)  # (repo, path) -> file
    commit: str = COMMIT
    drop_after: int | None = None
    ignore_range: bool = False  # answer every GET with the whole file (200), as some mirrors do
    wrong_bytes: bool = False
    status: int | None = None
    hold_at: int | None = None  # pause the body after this many bytes until ``release`` is set
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    stall_after: int | None = None
    extra_bytes: int = 0
    range_shift: int = 0
    cdn_answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    redirect_loop: bool = False
    gated: bool = False
    required_token: str | None = None  # when set, requests need "Authorization: Bearer <token>"
    bytes_sent: int = 0
    served: list[tuple[str | None, int]] = field(default_factory=list)  # (Range header, body bytes) per GET
    requests: list[tuple[str, str, str | None, bool]] = field(default_factory=list)  # method, path, Range, had Authorization
    cdn_base: str = ""  # where resolve redirects to (another port = another origin, like the real CDN)
    lock: threading.Lock = field(default_factory=threading.Lock)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HubHTTPServer

    def log_message(self, *args) -> None:
        return

    @property
    def state(self) -> HubState:
        return self.server.state

    def _record(self) -> None:
        with self.state.lock:
            self.state.requests.append((self.command, self.path, self.headers.get("Range"), "Authorization" in self.headers))

    def do_HEAD(self) -> None:
        self._dispatch(body=False)

    def do_GET(self) -> None:
        self._dispatch(body=True)

    def do_POST(self) -> None:
        self._record()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlparse(self.path).path.strip("/").split("/")
        # api/models/{owner}/{name}/paths-info/{revision}
        if len(parts) >= 6 and parts[:2] == ["api", "models"] and parts[4] == "paths-info":
            repo = f"{parts[2]}/{parts[3]}"
            try:
                wanted = json.loads(raw or b"{}").get("paths", [])
            except ValueError:
                from urllib.parse import parse_qs

                wanted = parse_qs(raw.decode()).get("paths", [])
            entries = [self._path_info(f) for (r, p), f in self.state.files.items() if r == repo and p in wanted]
            self._json(entries)
            return
        self._error(404, "EntryNotFound")

    def _dispatch(self, body: bool) -> None:
        self._record()
        if self.state.status:
            self._error(self.state.status, None)
            return
        path = unquote(urlparse(self.path).path)
        parts = path.strip("/").split("/")
        authorized = self.state.required_token is not None and self.headers.get("Authorization") == f"Bearer {self.state.required_token}"
        if self.state.gated and not authorized and parts[0] != "cdn":  # like the real CDN, bytes need no token
            self._error(401, "GatedRepo", "Access to this model is restricted. You must be authenticated.")
            return
        if len(parts) >= 2 and parts[0] == "cdn" and self._cdn_misbehaves():
            return
        if len(parts) >= 2 and parts[0] == "cdn":
            hosted = next((f for f in self.state.files.values() if f.sha256 == parts[1] and f.lfs), None)
            self._serve_bytes(hosted, body)
        elif len(parts) >= 5 and parts[2] == "resolve":
            self._resolve(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]), body)
        elif len(parts) >= 6 and parts[:2] == ["api", "models"] and parts[4] == "revision":
            repo = f"{parts[2]}/{parts[3]}"
            siblings = [self._sibling(f) for (r, _), f in self.state.files.items() if r == repo]
            if not siblings:
                self._error(404, "RepoNotFound")
                return
            self._json({"id": repo, "sha": self.state.commit, "siblings": siblings})
        else:
            self._error(404, "RepoNotFound")

    def _cdn_misbehaves(self) -> bool:
        """Answer a byte request with a queued status or a redirect to itself; whether it did."""
        with self.state.lock:
            answer = self.state.cdn_answers.pop(0) if self.state.cdn_answers else None
        if self.state.redirect_loop:
            answer = (302, {"Location": self.path})
        if answer is None:
            return False
        self.send_response(answer[0])
        for key, value in answer[1].items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def _resolve(self, repo: str, revision: str, file_path: str, body: bool) -> None:
        if not any(r == repo for r, _ in self.state.files):
            self._error(404, "RepoNotFound")
            return
        if revision not in (self.state.commit, "main"):
            self._error(404, "RevisionNotFound")
            return
        hosted = self.state.files.get((repo, file_path))
        if hosted is None:
            self._error(404, "EntryNotFound")
            return
        if not hosted.lfs:
            self._serve_bytes(hosted, body)
            return
        self.send_response(302)
        self._file_headers(hosted)
        self.send_header("Location", f"{self.state.cdn_base}/cdn/{hosted.sha256}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _file_headers(self, hosted: HostedFile) -> None:
        self.send_header("X-Repo-Commit", self.state.commit)
        if not hosted.lfs:
            self.send_header("ETag", f'"{hosted.git_oid}"')
            return
        self.send_header("ETag", f'"{hosted.sha256}"')
        self.send_header("X-Linked-Etag", f'"{hosted.sha256}"')
        self.send_header("X-Linked-Size", str(hosted.size))
        self.send_header("Accept-Ranges", "bytes")

    def _serve_bytes(self, hosted: HostedFile | None, body: bool) -> None:
        if hosted is None:
            self._error(404, None)
            return
        start = 0
        range_header = self.headers.get("Range")
        if range_header and range_header.startswith("bytes=") and not self.state.ignore_range:
            start = int(range_header[6:].split("-")[0] or 0)
            with self.state.lock:
                start, self.state.range_shift = max(0, start - self.state.range_shift), 0
        if start >= hosted.size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{hosted.size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = hosted.size - start
        self.send_response(206 if start else 200)
        self._file_headers(hosted)
        self.send_header("Content-Type", "application/octet-stream")
        if self.state.extra_bytes:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(length))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{hosted.size - 1}/{hosted.size}")
        self.end_headers()
        if not body:
            return
        drop_at = None
        with self.state.lock:
            if self.state.drop_after is not None:
                drop_at, self.state.drop_after = self.state.drop_after, None
        self._sent = 0
        try:
            self._send_body(hosted, start, length, drop_at)
        finally:
            with self.state.lock:
                self.state.served.append((range_header, self._sent))

    def _send_body(self, hosted: HostedFile, start: int, length: int, drop_at: int | None) -> None:
        sent = self._sent = 0
        with hosted.source.open("rb") as handle:
            hold_at, self.state.hold_at = self.state.hold_at, None
            hold_at = self.state.stall_after if hold_at is None else hold_at
            if drop_at is None and hold_at is None and not self.state.wrong_bytes and not self.state.extra_bytes:
                # the whole range, zero-copy (sendfile), as a real file server or CDN sends it
                try:
                    sent = self.connection.sendfile(handle, start, length)
                except (BrokenPipeError, ConnectionResetError):
                    return
                self._sent = sent
                with self.state.lock:
                    self.state.bytes_sent += sent
                return
            handle.seek(start)
            while sent < length:
                chunk = handle.read(min(1 << 20, length - sent, (hold_at - sent) if hold_at is not None else length))
                if not chunk:
                    break
                if drop_at is not None and sent + len(chunk) > drop_at:
                    chunk = chunk[: drop_at - sent]
                if self.state.wrong_bytes and start + sent == 0:
                    chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(chunk)
                self._sent = sent
                with self.state.lock:
                    self.state.bytes_sent += len(chunk)
                if hold_at is not None and sent >= hold_at:
                    hold_at = None
                    self.wfile.flush()
                    self.state.holding.set()
                    self.state.release.wait(PATIENCE)
                    if self.state.stall_after is not None:
                        self.close_connection = True
                        return
                if drop_at is not None and sent >= drop_at:
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
            if self.state.extra_bytes:
                try:
                    self.wfile.write(b"\xff" * self.state.extra_bytes)
                except (BrokenPipeError, ConnectionResetError):
                    pass

    def _sibling(self, hosted: HostedFile) -> dict:
        if not hosted.lfs:
            return {"rfilename": hosted.path, "size": hosted.size}
        return {"rfilename": hosted.path, "size": hosted.size, "lfs": {"sha256": hosted.sha256, "size": hosted.size, "pointerSize": 134}}

    def _path_info(self, hosted: HostedFile) -> dict:
        if not hosted.lfs:
            return {"type": "file", "path": hosted.path, "size": hosted.size, "oid": hosted.git_oid}
        return {"type": "file", "path": hosted.path, "size": hosted.size, "oid": hosted.sha256[:40],
                "lfs": {"oid": hosted.sha256, "size": hosted.size, "pointerSize": 134}}

    def _json(self, data: object) -> None:
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, status: int, code: str | None, message: str = "error") -> None:
        raw = json.dumps({"error": message}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)


class _HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState


class HubServer:
    """Start with ``with HubServer() as hub: hub.add(repo, path, file)``; ``hub.endpoint`` is its URL.

    With ``separate_cdn`` (the default) the file bytes come from a second server on
    another port, so the resolve redirect crosses origins as it does on the real hub.
    """

    def __init__(self, separate_cdn: bool = True) -> None:
        self.state = HubState()
        self._servers = [_HubHTTPServer(("127.0.0.1", 0), _Handler)]
        if separate_cdn:
            self._servers.append(_HubHTTPServer(("127.0.0.1", 0), _Handler))
        for server in self._servers:
            server.state = self.state
        self.state.cdn_base = f"http://127.0.0.1:{self._servers[-1].server_address[1]}" if separate_cdn else ""
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True) for s in self._servers]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._servers[0].server_address[1]}"

    def add(self, repo: str, path: str, source: Path, sha256: str | None = None, lfs: bool = True) -> HostedFile:
        """Host ``source`` as ``path`` in ``repo``; ``lfs=False`` for a small file the repository keeps in git."""
        hosted = HostedFile(repo, path, Path(source), sha256 or sha256_of(Path(source)), Path(source).stat().st_size, lfs)
        self.state.files[(repo, path)] = hosted
        return hosted

    def cdn_gets(self) -> list[tuple[str, str, str | None, bool]]:
        return [r for r in self.state.requests if r[0] == "GET" and r[1].startswith("/cdn/")]

    def __enter__(self) -> HubServer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server, thread in zip(self._servers, self._threads, strict=True):
            server.shutdown()
            server.server_close()
            thread.join(timeout=60)
