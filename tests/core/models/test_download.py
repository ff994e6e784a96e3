"""Downloads against a local hub server: resume, checksums, errors, reuse, offline."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import sys
import threading
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.core.engines.gguf import check_model_file
from assistant.core.models import download as dl
from assistant.core.models.catalog import parse_catalog
from assistant.core.models.download import http, sink, transfer
from assistant.core.paths import models_dir
from tests.support.hub_server import COMMIT, PATIENCE, HostedFile, HubServer, sha256_of
from tests.support.profiles import PROFILES

REPO = "test-org/SmolLM2-GGUF"
MIRROR = "mirror-org/SmolLM2-GGUF"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


from tests.support.memory_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def _no_real_keyring(memory_keyring: MemoryKeyring) -> MemoryKeyring:
    """Every download test runs with the in-memory keyring."""
    return memory_keyring


@pytest.fixture(scope="session")
def smollm_sha(smollm_path: Path) -> str:
    return sha256_of(smollm_path)


def make_build(sha: str | None, size: int | None, *, repo: str = REPO, mirrors: list[str] = ()):
    data = {
        "format": 1,
        "models": [{
            "id": "smollm2-test", "name": "SmolLM2 test", "parameters": 135_000_000, "layers": 30, "kv_heads": 3,
            "head_dim": 64, "context_length": 8192, "vocab_size": 49152,
            "source": {"repo": repo, "revision": COMMIT},
            "mirrors": [{"repo": m, "revision": COMMIT} for m in mirrors],
            "builds": [{"quant": "Q4_0", "file": FILE, "size": size, "sha256": sha, "approx_size": 100_000_000}],
        }],
    }
    return parse_catalog(data, "test").builds[0]


@pytest.fixture
def hub(smollm_path: Path, smollm_sha: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with HubServer() as server:
        server.add(REPO, FILE, smollm_path, smollm_sha)
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        yield server


@pytest.fixture
def build(smollm_path: Path, smollm_sha: str):
    return make_build(smollm_sha, smollm_path.stat().st_size)


def test_full_download_is_verified_and_loadable(hub: HubServer, build, smollm_path: Path) -> None:
    seen: list[dl.Progress] = []
    result = dl.download_build(build, progress=seen.append)
    assert result.reused is None
    assert result.path.read_bytes()[:4] == b"GGUF"
    assert result.path.stat().st_size == smollm_path.stat().st_size
    assert check_model_file(result.path).architecture == "llama"
    assert hub.state.bytes_sent == build.size
    assert seen[-1].done_bytes == build.size and seen[-1].total_bytes == build.size
    assert not list(result.path.parent.glob("*.part*"))
    # the request went through the resolve endpoint, then followed the redirect to the CDN host
    assert any(r[0] == "HEAD" and "/resolve/" + COMMIT in r[1] for r in hub.state.requests)
    assert len(hub.cdn_gets()) == 1


def _leftovers(folder: Path) -> list[Path]:
    """What a failed download left in ``folder``, apart from the empty lock file that stays beside it."""
    return [path for path in folder.iterdir() if not path.name.endswith(".part.lock")]


def _run_in_thread(call) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_a_second_download_of_the_same_file_is_refused_while_the_first_runs(hub: HubServer, build, smollm_sha: str) -> None:
    hub.state.hold_at = build.size // 2
    thread, outcome = _run_in_thread(lambda: dl.download_build(build))
    assert hub.state.holding.wait(PATIENCE)
    with pytest.raises(dl.DownloadBusyError, match="already being downloaded by another Llama Desk"):
        dl.download_build(build)
    hub.state.release.set()
    thread.join(PATIENCE)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].sha256 == smollm_sha == sha256_of(models_dir() / FILE)
    assert len(hub.cdn_gets()) == 1  # the second one fetched nothing


def test_a_second_download_in_another_process_says_so(hub: HubServer, smollm_sha: str, smollm_path: Path, tmp_path: Path) -> None:
    import subprocess

    catalog = _catalog_file(tmp_path, smollm_sha, smollm_path.stat().st_size)
    hub.state.hold_at = smollm_path.stat().st_size // 2
    thread, outcome = _run_in_thread(lambda: dl.download_build(make_build(smollm_sha, smollm_path.stat().st_size)))
    assert hub.state.holding.wait(PATIENCE)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    child = subprocess.run(
        [sys.executable, "-c", "import sys; from assistant.cli import main; sys.exit(main(sys.argv[1:]))",
         "models", "download", "smollm2-test-q4_0", "--catalog", str(catalog)],
        env=env, capture_output=True, text=True, timeout=PATIENCE,
    )
    hub.state.release.set()
    thread.join(PATIENCE)
    assert child.returncode == 9, child.stderr
    assert "already being downloaded by another Llama Desk" in child.stderr and "Traceback" not in child.stderr
    assert outcome["result"].sha256 == sha256_of(models_dir() / FILE) == smollm_sha


def test_verification_hashes_the_file_on_disk_not_the_bytes_received(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = sink._write_chunk
    first = {"done": False}

    def altering(fd: int, data) -> None:  # the disk gets other bytes than the network sent
        if not first["done"]:
            first["done"] = True
            data = bytes([data[0] ^ 0xFF]) + bytes(data[1:])
        real_write(fd, memoryview(data))

    monkeypatch.setattr(sink, "_write_chunk", altering)
    with pytest.raises(dl.ChecksumError):
        dl.download_build(build)
    assert not (models_dir() / FILE).exists()


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    written = {"n": 0}
    real_write = sink._write_chunk

    def counting(fd: int, data) -> None:
        written["n"] += len(data)
        real_write(fd, data)

    monkeypatch.setattr(sink, "_write_chunk", counting)
    return written


def test_a_body_longer_than_the_file_is_read_only_up_to_its_size(hub: HubServer, build, smollm_sha: str, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.state.extra_bytes = 3_000_000  # no Content-Length, junk after the file
    written = _count_writes(monkeypatch)
    result = dl.download_build(build)
    assert result.sha256 == smollm_sha and result.path.stat().st_size == build.size
    assert written["n"] == build.size


def test_a_server_announcing_more_than_the_catalog_size_is_refused_before_writing(hub: HubServer, smollm_sha: str, smollm_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    smaller = make_build(smollm_sha, smollm_path.stat().st_size - 1_000_000)
    written = _count_writes(monkeypatch)
    with pytest.raises(dl.ChecksumError, match="larger .* than expected"):
        dl.download_build(smaller)
    assert written["n"] == 0 and not _leftovers(models_dir())


def test_a_partial_answer_from_the_wrong_offset_is_not_appended(hub: HubServer, build, smollm_sha: str) -> None:
    half = build.size // 2
    hub.state.drop_after = half
    with pytest.raises(dl.NetworkError):
        dl.download_build(build, max_retries=0)
    hub.state.range_shift = 1000  # the next 206 starts 1000 bytes early
    result = dl.download_build(build)
    assert result.sha256 == smollm_sha
    assert hub.cdn_gets()[-1][2] == f"bytes={half}-"  # retried from the same offset: the valid part was kept


def test_bytes_received_before_a_stall_are_kept(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "READ_TIMEOUT", 2.0)  # the server stalls until the test ends; waiting 30 s each time is pointless
    hub.state.stall_after = 250_000
    try:
        with pytest.raises(dl.NetworkError, match="1 MB of"):
            dl.download_build(build, max_retries=3)
    finally:
        hub.state.release.set()
    assert (models_dir() / (FILE + ".part")).stat().st_size == 4 * 250_000
    assert hub.cdn_gets()[-1][2] == f"bytes={3 * 250_000}-"


CLASS_NAME = re.compile(r"\b\w*(Error|Exception|HTTPStatus)\b|\b_\w+")


def _waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the pauses between attempts instead of sleeping through them."""
    waited: list[float] = []
    monkeypatch.setattr(transfer, "pause", lambda seconds, cancel: waited.append(seconds))
    return waited


def test_busy_and_unavailable_file_hosts_are_retried_after_retry_after(hub: HubServer, build, smollm_sha: str, monkeypatch: pytest.MonkeyPatch) -> None:
    waited = _waits(monkeypatch)
    hub.state.cdn_answers = [(429, {"Retry-After": "7"}), (503, {})]
    assert dl.download_build(build).sha256 == smollm_sha
    assert waited[0] == 7.0 and len(waited) == 2


def test_a_long_retry_after_is_reported_not_waited_for(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    waited = _waits(monkeypatch)
    hub.state.cdn_answers = [(429, {"Retry-After": "3600"})]
    with pytest.raises(dl.NetworkError, match="busy.*about 60 minutes") as caught:
        dl.download_build(build)
    assert waited == [] and "internet connection" not in str(caught.value)


def test_a_busy_hub_says_so_without_internal_names(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    _waits(monkeypatch)
    hub.state.status = 429
    with pytest.raises(dl.NetworkError, match="busy") as caught:
        dl.download_build(build)
    assert not CLASS_NAME.search(str(caught.value)), str(caught.value)


def test_an_expired_file_link_is_resolved_again_once(hub: HubServer, build, smollm_sha: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _waits(monkeypatch)
    hub.state.cdn_answers = [(403, {})]
    assert dl.download_build(build).sha256 == smollm_sha
    hub.state.cdn_answers = [(403, {})] * 10
    (models_dir() / FILE).unlink()
    with pytest.raises(dl.DownloadError, match="link") as caught:
        dl.download_build(build)
    assert "gated" not in str(caught.value)


def test_a_redirect_loop_is_named_and_not_retried(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    waited = _waits(monkeypatch)
    hub.state.redirect_loop = True
    with pytest.raises(dl.NetworkError, match="redirect") as caught:
        dl.download_build(build)
    assert waited == [] and "kept dropping" not in str(caught.value)


def test_network_errors_name_no_internal_classes(build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(dl.NetworkError) as caught:
        dl.download_build(build)
    assert not CLASS_NAME.search(str(caught.value)), str(caught.value)


def _trickle(monkeypatch: pytest.MonkeyPatch, seconds_per_step: float = 60.0) -> None:
    """A clock on which every step of the download takes a minute: a link far below the slowness limit."""
    now = [0.0]

    def clock() -> float:
        now[0] += seconds_per_step
        return now[0]

    monkeypatch.setattr(transfer, "clock", clock)


def test_a_trickling_download_asks_to_keep_going_or_pause(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    _trickle(monkeypatch)
    asked: list[dl.Progress] = []

    def too_slow(progress: dl.Progress) -> bool:
        asked.append(progress)
        return len(asked) < 2  # keep going the first time, pause the second

    with pytest.raises(dl.DownloadCancelled, match="too slow.*resume"):
        dl.download_build(build, too_slow=too_slow)
    assert len(asked) == 2 and 0 < asked[0].done_bytes < asked[1].done_bytes < build.size
    assert asked[0].bytes_per_second < transfer.SLOW_BYTES_PER_SECOND
    assert 0 < (models_dir() / (FILE + ".part")).stat().st_size < build.size  # kept for a resume


def test_a_trickling_download_pauses_when_nobody_can_be_asked(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, smollm_sha: str, smollm_path: Path, capsys) -> None:
    _trickle(monkeypatch)
    with pytest.raises(dl.DownloadCancelled, match="too slow"):
        dl.download_build(build)
    catalog = _catalog_file(tmp_path, smollm_sha, smollm_path.stat().st_size)
    assert main(["models", "download", "smollm2-test-q4_0", "--catalog", str(catalog)]) == 130  # stdin is no terminal here
    assert "too slow" in capsys.readouterr().err


def test_dropped_connection_resumes_with_only_the_remaining_bytes(hub: HubServer, build) -> None:
    half = build.size // 2
    hub.state.drop_after = half
    result = dl.download_build(build)
    assert result.path.is_file()
    assert hub.state.bytes_sent == build.size  # nothing sent twice
    gets = hub.cdn_gets()
    assert len(gets) == 2 and gets[1][2] == f"bytes={half}-"


def test_resume_after_restart(hub: HubServer, build) -> None:
    half = build.size // 2
    hub.state.drop_after = half
    with pytest.raises(dl.NetworkError, match="resume"):
        dl.download_build(build, max_retries=0)
    target = models_dir() / FILE
    assert not target.exists()
    assert (models_dir() / (FILE + ".part")).stat().st_size == half
    result = dl.download_build(build)  # a new "session": starts from the part file
    assert result.path == target and hub.state.bytes_sent == build.size
    assert hub.cdn_gets()[-1][2] == f"bytes={half}-"


def test_server_ignoring_range_starts_the_file_over(hub: HubServer, build, smollm_sha: str) -> None:
    hub.state.drop_after = build.size // 3
    with pytest.raises(dl.NetworkError):
        dl.download_build(build, max_retries=0)
    hub.state.ignore_range = True
    result = dl.download_build(build)  # asks for the rest, gets the whole file from byte 0
    assert result.sha256 == smollm_sha == dl.file_sha256(result.path)
    assert result.path.stat().st_size == build.size
    assert hub.state.served[-1] == (f"bytes={build.size // 3}-", build.size)


def test_cancel_keeps_the_part_and_resumes_later(hub: HubServer, build) -> None:
    cancel = threading.Event()

    def stop_after_first_chunk(progress: dl.Progress) -> None:
        if progress.done_bytes > 0:
            cancel.set()

    with pytest.raises(dl.DownloadCancelled):
        dl.download_build(build, progress=stop_after_first_chunk, cancel=cancel)
    kept = (models_dir() / (FILE + ".part")).stat().st_size
    assert 0 < kept < build.size
    dl.download_build(build)
    assert (f"bytes={kept}-", build.size - kept) in hub.state.served  # the resumed request sent only the rest


def test_wrong_bytes_raise_checksum_error_and_leave_nothing(hub: HubServer, build) -> None:
    hub.state.wrong_bytes = True
    with pytest.raises(dl.ChecksumError, match="deleted"):
        dl.download_build(build)
    assert not _leftovers(models_dir())


@pytest.mark.parametrize("mode", ["gated", 401, 403])
def test_unauthorized_gives_the_gated_message(hub: HubServer, build, mode) -> None:
    if mode == "gated":
        hub.state.gated = True
    else:
        hub.state.status = mode
    with pytest.raises(dl.AccessDeniedError, match="gated"):
        dl.download_build(build)
    assert hub.state.bytes_sent == 0


def test_missing_file_is_not_found(hub: HubServer, smollm_sha: str) -> None:
    with pytest.raises(dl.NotFoundError, match="not found"):
        dl.download_build(make_build(smollm_sha, 123, repo="test-org/elsewhere"))


def test_network_down(build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(dl.NetworkError, match="internet connection"):
        dl.download_build(build)


def test_disk_full_before_start(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "free_bytes", lambda folder: 10_000_000)
    with pytest.raises(dl.DiskFullError, match="Not enough disk space"):
        dl.download_build(build)
    assert hub.state.bytes_sent == 0
    assert not (models_dir() / FILE).exists()


def test_disk_filling_up_midway_leaves_nothing_partial(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    written = {"n": 0}
    real_write = sink._write_chunk

    def filling(handle, data: bytes) -> None:
        written["n"] += len(data)
        if written["n"] > build.size // 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(handle, data)

    monkeypatch.setattr(sink, "_write_chunk", filling)
    with pytest.raises(dl.DiskFullError, match="disk filled up"):
        dl.download_build(build)
    assert not _leftovers(models_dir())


def test_an_unexpected_write_failure_ends_the_download_instead_of_stalling_it(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int, data) -> None:
        raise ValueError("unexpected")

    monkeypatch.setattr(sink, "_write_chunk", broken)
    with pytest.raises(dl.DownloadError, match="Could not write .*unexpected"):
        dl.download_build(build)
    assert not _leftovers(models_dir())


def test_offline_uses_the_cached_file(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    first = dl.download_build(build)
    requests_before = len(hub.state.requests)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    again = dl.download_build(build)
    assert again.path == first.path and again.reused == "models folder"
    assert len(hub.state.requests) == requests_before


def test_offline_uses_the_hf_cache(hub: HubServer, smollm_path: Path, smollm_sha: str, monkeypatch: pytest.MonkeyPatch) -> None:
    repo_dir = dl.hf_cache_dir() / "models--test-org--SmolLM2-GGUF"
    blob = repo_dir / "blobs" / smollm_sha
    blob.parent.mkdir(parents=True)
    shutil.copyfile(smollm_path, blob)
    snapshot = repo_dir / "snapshots" / COMMIT / FILE
    snapshot.parent.mkdir(parents=True)
    snapshot.symlink_to(os.path.relpath(blob, snapshot.parent))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = dl.download_build(make_build(None, None))  # even without a catalog hash: the blob name carries it
    assert result.path == blob and result.reused == "Hugging Face cache" and result.sha256 == smollm_sha
    assert hub.state.requests == []


@pytest.mark.parametrize("content", [b"hello\nworld\n", b"tampered"])
def test_offline_uses_a_git_kept_file_from_the_hf_cache_only_if_its_git_id_holds(
    content: bytes, hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.core.models.catalog import Source

    original = tmp_path / "vocabulary.txt"
    original.write_bytes(b"hello\nworld\n")
    oid = dl.git_blob_oid(original)
    assert oid == HostedFile("r/x", "vocabulary.txt", original, "", original.stat().st_size).git_oid
    repo_dir = dl.hf_cache_dir() / "models--Systran--faster-whisper-x"
    blob = repo_dir / "blobs" / oid  # the HF cache names a git-kept file's blob by its git id
    blob.parent.mkdir(parents=True)
    blob.write_bytes(content)
    snapshot = repo_dir / "snapshots" / COMMIT / "vocabulary.txt"
    snapshot.parent.mkdir(parents=True)
    snapshot.symlink_to(os.path.relpath(blob, snapshot.parent))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    request = dl.FileRequest((Source("Systran/faster-whisper-x", COMMIT),), "vocabulary.txt", None, None, tmp_path / "out" / "vocabulary.txt")
    if content == original.read_bytes():
        result = dl.fetch_file(request)
        assert result.path == blob and result.reused == "Hugging Face cache" and result.sha256 == sha256_of(original)
    else:
        with pytest.raises(dl.OfflineError):
            dl.fetch_file(request)
    assert hub.state.requests == []


def test_offline_without_a_copy_says_so(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(dl.OfflineError, match="Offline mode"):
        dl.download_build(build)
    assert hub.state.requests == []


def test_file_already_elsewhere_is_reused(hub: HubServer, build, smollm_path: Path, tmp_path: Path) -> None:
    lm_studio = tmp_path / "lmstudio" / "models" / "someone" / "smollm"
    lm_studio.mkdir(parents=True)
    copy = lm_studio / "renamed.gguf"
    shutil.copyfile(smollm_path, copy)
    result = dl.download_build(build, search_folders=[tmp_path / "lmstudio"])
    # linked into the models folder: no second copy on disk, and it outlives the other app's copy
    assert result.path == models_dir() / FILE and result.reused == str(tmp_path / "lmstudio")
    assert os.path.samefile(result.path, copy)
    assert hub.state.requests == []
    copy.unlink()
    assert dl.download_build(build).reused == "models folder" and hub.state.requests == []


def test_pausing_while_a_found_copy_is_checked_stops_at_once(hub: HubServer, build, smollm_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "gpt4all"
    folder.mkdir()
    shutil.copyfile(smollm_path, folder / "same-size.gguf")  # same size: it gets hashed
    cancel = threading.Event()
    cancel.set()  # the user pressed Pause while Llama Desk was checking it
    with pytest.raises(dl.DownloadCancelled):
        dl.download_build(build, search_folders=[folder], cancel=cancel)
    assert hub.state.requests == [] and not (models_dir() / FILE).exists()


def test_a_copy_on_another_disk_is_used_where_it_is(hub: HubServer, build, smollm_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "gpt4all"
    folder.mkdir()
    copy = folder / "model.gguf"
    shutil.copyfile(smollm_path, copy)

    def cross_device(src, dst) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    result = dl.download_build(build, search_folders=[folder])
    assert result.path == copy and result.reused == str(folder) and hub.state.requests == []
    assert not (models_dir() / FILE).exists()


def test_mirror_is_used_when_the_primary_fails(hub: HubServer, smollm_path: Path, smollm_sha: str) -> None:
    hub.add(MIRROR, FILE, smollm_path, smollm_sha)
    b = make_build(smollm_sha, smollm_path.stat().st_size, repo="test-org/gone", mirrors=[MIRROR])
    result = dl.download_build(b)
    assert result.source == MIRROR and result.path.is_file()


def test_unknown_catalog_hash_is_checked_against_the_hub(hub: HubServer, smollm_sha: str) -> None:
    result = dl.download_build(make_build(None, None))
    assert result.sha256 == smollm_sha
    hub.state.wrong_bytes = True
    result.path.unlink()
    with pytest.raises(dl.ChecksumError):
        dl.download_build(make_build(None, None))


def test_hub_offering_other_bytes_than_the_catalog_is_refused(hub: HubServer, build) -> None:
    other = make_build("0" * 64, build.size)
    with pytest.raises(dl.ChecksumError, match="different"):
        dl.download_build(other)
    assert hub.state.bytes_sent == 0


def _catalog_file(tmp_path: Path, sha: str, size: int) -> Path:
    data = {
        "format": 1,
        "license": {"name": "Test License", "license_url": "https://example.invalid/license"},
        "models": [{
            "id": "smollm2-test", "name": "SmolLM2 test", "parameters": 135_000_000, "layers": 30, "kv_heads": 3,
            "head_dim": 64, "context_length": 8192, "vocab_size": 49152,
            "source": {"repo": REPO, "revision": COMMIT}, "mirrors": [],
            "builds": [{"quant": "Q4_0", "file": FILE, "size": size, "sha256": sha, "approx_size": size}],
        }],
    }
    path = tmp_path / "test-catalog.json"
    path.write_text(json.dumps(data))
    return path


def test_cli_download_shows_progress_and_prints_the_path(hub: HubServer, smollm_sha: str, smollm_path: Path, tmp_path: Path, capsys) -> None:
    catalog = _catalog_file(tmp_path, smollm_sha, smollm_path.stat().st_size)
    assert main(["models", "download", "smollm2-test-q4_0", "--catalog", str(catalog)]) == 0
    out, err = capsys.readouterr()
    assert Path(out.strip()) == models_dir() / FILE
    assert "100.0%" in err and "MB/s" in err and "Test License" in err
    # `models list` now shows it on disk
    assert main(["models", "list", "--json", "--catalog", str(catalog)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["on_disk"] == str(models_dir() / FILE)


def test_cli_download_finds_a_copy_in_gpt4alls_folder(hub: HubServer, smollm_sha: str, smollm_path: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    gpt4all = tmp_path / "xdg" / "nomic.ai" / "GPT4All"
    gpt4all.mkdir(parents=True)
    shutil.copyfile(smollm_path, gpt4all / "smollm.gguf")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(sys, "platform", "linux")
    catalog = _catalog_file(tmp_path, smollm_sha, smollm_path.stat().st_size)
    assert main(["models", "download", "smollm2-test-q4_0", "--catalog", str(catalog)]) == 0
    out, err = capsys.readouterr()
    assert "already on this computer, in GPT4All's models folder" in err
    assert Path(out.strip()).samefile(gpt4all / "smollm.gguf") and hub.state.requests == []


def test_cli_download_recommended_build_for_a_saved_profile(hub: HubServer, smollm_sha: str, smollm_path: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LLAMA_DESK_CATALOG", str(_catalog_file(tmp_path, smollm_sha, smollm_path.stat().st_size)))
    profile = tmp_path / "profile.json"
    profile.write_text(PROFILES["8 GB Windows laptop"].to_json())
    assert main(["models", "download", "--profile", str(profile)]) == 0
    assert "Recommended for this computer: SmolLM2 test Q4_0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        (lambda hub: setattr(hub.state, "gated", True), 3, "gated"),
        (lambda hub: setattr(hub.state, "wrong_bytes", True), 7, "SHA-256 does not match"),
        (lambda hub: setattr(hub.state, "status", 500), 5, "HTTP 500"),
    ],
)
def test_cli_download_errors_exit_non_zero_with_the_message(hub: HubServer, smollm_sha: str, smollm_path: Path, tmp_path: Path, capsys, setup, code: int, message: str) -> None:
    setup(hub)
    catalog = _catalog_file(tmp_path, smollm_sha, smollm_path.stat().st_size)
    assert main(["models", "download", "smollm2-test-q4_0", "--catalog", str(catalog)]) == code
    assert message in capsys.readouterr().err


def test_cli_ctrl_c_says_paused_on_a_line_of_its_own(hub: HubServer, smollm_sha: str, smollm_path: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from assistant.commands import models as models_command

    def interrupted(build, *, progress, **kwargs):
        progress(dl.Progress(1_000_000, build.size, 1e6, 90.0, build.file))
        raise KeyboardInterrupt

    monkeypatch.setattr(models_command.dl, "download_build", interrupted)
    catalog = _catalog_file(tmp_path, smollm_sha, smollm_path.stat().st_size)
    assert main(["models", "download", "smollm2-test-q4_0", "--catalog", str(catalog)]) == 130
    err = capsys.readouterr().err
    assert "\nllama-desk: Download of" in err and "MB/s" in err


def test_disk_refusal_leaves_nothing_and_names_the_margin(hub: HubServer, build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "free_bytes", lambda folder: build.size)  # the file fits, the margin does not
    with pytest.raises(dl.DiskFullError, match="safety margin") as caught:
        dl.download_build(build)
    assert "needs 98 MB more" in str(caught.value) and "only 98 MB is free" in str(caught.value)
    assert not _leftovers(models_dir())


def test_cli_download_unknown_build(tmp_path: Path, capsys) -> None:
    assert main(["models", "download", "no-such-build"]) == 2
    assert "no build called 'no-such-build'" in capsys.readouterr().err


def test_speech_model_files_are_fetched_and_verified(hub: HubServer, tmp_path: Path) -> None:
    from assistant.core.models.catalog import SpeechFile, SpeechModel

    source = tmp_path / "whisper-src"
    source.mkdir()
    (source / "config.json").write_text('{"alignment_heads": []}')
    (source / "model.bin").write_bytes(os.urandom(300_000))
    repo = "Systran/faster-whisper-test"
    for name in ("config.json", "model.bin"):
        hub.add(repo, name, source / name)
    model = SpeechModel("whisper-test", "Whisper test", True, repo, COMMIT, 300_000, (
        SpeechFile("config.json", sha256_of(source / "config.json"), None),
        SpeechFile("model.bin", None, None),  # no catalog hash: checked against the hub's X-Linked-Etag
    ))
    folder = dl.download_speech_model(model)
    assert (folder / "model.bin").read_bytes() == (source / "model.bin").read_bytes()
    assert json.loads((folder / "config.json").read_text()) == {"alignment_heads": []}
    sent = hub.state.bytes_sent
    dl.download_speech_model(model)  # second time: everything is already there
    assert hub.state.bytes_sent == sent


@pytest.mark.parametrize(("model_id", "path"), [("../../../../x", "model.bin"), ("whisper-ok", "/tmp/evil.bin"), ("whisper-ok", "a/../../evil.bin")])
def test_a_speech_model_cannot_write_outside_the_models_folder(hub: HubServer, tmp_path: Path, model_id: str, path: str) -> None:
    from assistant.core.models.catalog import SpeechFile, SpeechModel

    model = SpeechModel(model_id, "Bad", True, "Systran/faster-whisper-test", COMMIT, 1, (SpeechFile(path, None, None),))
    with pytest.raises(dl.DownloadError, match="outside the models folder"):
        dl.download_speech_model(model)
    assert hub.state.requests == [] and not (tmp_path / "evil.bin").exists() and not Path("/tmp/evil.bin").exists()


def test_small_files_kept_in_git_are_checked_against_their_git_id(hub: HubServer, tmp_path: Path) -> None:
    """vocabulary.txt and config.json of the whisper repositories are not LFS files: the hub
    gives no sha256 for them, only the git blob id as ETag; that is what they are checked against."""
    from assistant.core.models.catalog import SpeechFile, SpeechModel

    source = tmp_path / "whisper-src"
    source.mkdir()
    (source / "vocabulary.txt").write_text("hello\nworld\n")
    (source / "model.bin").write_bytes(os.urandom(200_000))
    repo = "Systran/faster-whisper-git-files"
    hub.add(repo, "vocabulary.txt", source / "vocabulary.txt", lfs=False)
    hub.add(repo, "model.bin", source / "model.bin")
    model = SpeechModel("whisper-git", "Whisper git files", True, repo, COMMIT, 200_000, (
        SpeechFile("vocabulary.txt", None, None), SpeechFile("model.bin", None, None)))
    folder = dl.download_speech_model(model)
    assert (folder / "vocabulary.txt").read_text() == "hello\nworld\n"
    assert not any(r[1].startswith("/cdn/") and "vocabulary" in r[1] for r in hub.state.requests)
    sent = hub.state.bytes_sent
    dl.download_speech_model(model)  # already there and verified: nothing is fetched again
    assert hub.state.bytes_sent == sent

    shutil.rmtree(folder)
    hub.state.wrong_bytes = True  # the first byte altered: the git id no longer matches
    with pytest.raises(dl.ChecksumError, match="vocabulary.txt"):
        dl.download_speech_model(model)
    assert not (folder / "vocabulary.txt").exists() and not (folder / "vocabulary.txt.part").exists()


def test_a_file_with_neither_hash_is_refused(hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core.models.catalog import SpeechFile, SpeechModel

    (tmp_path / "notes.txt").write_text("x")
    hub.add("Systran/faster-whisper-no-hash", "notes.txt", tmp_path / "notes.txt", lfs=False)
    monkeypatch.setattr(HostedFile, "git_oid", property(lambda self: "not-a-git-id"))
    model = SpeechModel("whisper-nohash", "No hash", True, "Systran/faster-whisper-no-hash", COMMIT, 1, (SpeechFile("notes.txt", None, None),))
    with pytest.raises(dl.ChecksumError, match="cannot be verified"):
        dl.download_speech_model(model)
    assert hub.cdn_gets() == [] and not any(r[0] == "GET" for r in hub.state.requests)


def test_cli_sends_the_keyring_token_to_a_gated_repo(hub: HubServer, smollm_sha: str, smollm_path: Path, tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch, capsys) -> None:
    hub.state.gated, hub.state.required_token = True, "hf_test_secret"
    monkeypatch.setenv("HF_TOKEN", "hf_plaintext_env_token_is_ignored")
    catalog = _catalog_file(tmp_path, smollm_sha, smollm_path.stat().st_size)
    assert main(["models", "download", "smollm2-test-q4_0", "--catalog", str(catalog)]) == 3
    assert "gated" in capsys.readouterr().err
    memory_keyring.set_password("llama-desk", "huggingface", "hf_test_secret")
    assert main(["models", "download", "smollm2-test-q4_0", "--catalog", str(catalog)]) == 0
    resolve_heads = [r for r in hub.state.requests if r[0] == "HEAD" and "/resolve/" in r[1]]
    assert resolve_heads[-1][3]  # the hub got the token
    assert not hub.cdn_gets()[-1][3]  # the other-origin CDN did not
