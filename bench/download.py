"""Download throughput versus curl on the same local server and file; probe + selection time.

    python bench/download.py [--file PATH] [--rounds 3]

Starts the test hub server (tests/hub_server.py) on 127.0.0.1 in its own process
(so it does not share a GIL with the downloader under test), serves the file
(default: the SmolLM2 GGUF the tests use), and alternates curl and our
downloader (fresh target each round, HF cache isolated). Reports the best round
of each and the ratio ours/curl (target >= 0.9). Then times probe() + select_build()
(target < 200 ms), without and with the llama-cpp-python GPU-offload check.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


SERVE = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from hub_server import HubServer
with HubServer() as hub:
    hub.add(sys.argv[2], Path(sys.argv[3]).name, Path(sys.argv[3]), sys.argv[4])
    print(hub.endpoint, flush=True)
    while True:
        time.sleep(3600)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="file to serve (default: the tests' SmolLM2 GGUF)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from hub_server import COMMIT, sha256_of

    if args.file is None:
        from conftest import smollm_gguf

        args.file = smollm_gguf()
    work = Path(tempfile.mkdtemp(prefix="llama-desk-bench-"))
    os.environ["LLAMA_DESK_DATA_DIR"] = str(work / "data")
    os.environ["HF_HOME"] = str(work / "hf")
    from assistant.core import download as dl
    from assistant.core.catalog import parse_catalog

    sha, size = sha256_of(args.file), args.file.stat().st_size
    repo = "bench/file"
    catalog = parse_catalog({"format": 1, "models": [{
        "id": "bench", "name": "bench", "parameters": 1, "layers": 1, "kv_heads": 1, "head_dim": 1,
        "context_length": 1, "vocab_size": 1, "source": {"repo": repo, "revision": COMMIT},
        "builds": [{"quant": "Q4_0", "file": args.file.name, "size": size, "sha256": sha}]}]})
    build = catalog.builds[0]
    ours_times, curl_times, curl_verified_times = [], [], []
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(ROOT / "tests"), repo, str(args.file), sha],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        endpoint = server.stdout.readline().strip()
        os.environ["HF_ENDPOINT"] = endpoint
        url = f"{endpoint}/{repo}/resolve/{COMMIT}/{args.file.name}"
        for round_no in range(args.rounds):
            out = work / "curl.out"
            start = time.perf_counter()
            subprocess.run(["curl", "-sSfL", "-o", str(out), url], check=True)
            curl_times.append(time.perf_counter() - start)
            out.unlink()
            start = time.perf_counter()  # curl, then the same SHA-256 check ours does
            subprocess.run(["curl", "-sSfL", "-o", str(out), url], check=True)
            subprocess.run(["sha256sum", str(out)], check=True, capture_output=True)
            curl_verified_times.append(time.perf_counter() - start)
            out.unlink()
            target_dir = work / f"models{round_no}"
            start = time.perf_counter()
            result = dl.download_build(build, dest_dir=target_dir)
            ours_times.append(time.perf_counter() - start)
            assert result.reused is None and result.sha256 == sha
            shutil.rmtree(target_dir)
            (work / "data" / "verified-files.json").unlink(missing_ok=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    mb = size / 1e6
    curl_rate, ours_rate = mb / min(curl_times), mb / min(ours_times)
    print(f"file: {args.file.name} ({mb:.1f} MB), {args.rounds} rounds, best of each")
    print(f"curl        : {curl_rate:8.1f} MB/s  (rounds: {', '.join(f'{t:.3f}s' for t in curl_times)})")
    print(f"llama-desk  : {ours_rate:8.1f} MB/s  (rounds: {', '.join(f'{t:.3f}s' for t in ours_times)}; includes SHA-256 and fsync)")
    curl_verified_rate = mb / min(curl_verified_times)
    print(f"curl+sha256sum: {curl_verified_rate:6.1f} MB/s  (rounds: {', '.join(f'{t:.3f}s' for t in curl_verified_times)})")
    print(f"ratio ours/curl: {ours_rate / curl_rate:.2f}  (target >= 0.9); ours/(curl+sha256sum): {ours_rate / curl_verified_rate:.2f}")

    from assistant.core.hardware import probe
    from assistant.core.selector import select_build
    from assistant.core.catalog import load_catalog

    real_catalog = load_catalog()
    for label, offload in (("probe(check_offload=False) + select_build", False), ("probe(check_offload=True) + select_build", True)):
        samples = []
        for _ in range(10):
            start = time.perf_counter()
            select_build(probe(check_offload=offload), catalog=real_catalog)
            samples.append((time.perf_counter() - start) * 1000)
        print(f"{label}: first {samples[0]:.1f} ms, median {statistics.median(samples):.1f} ms, max {max(samples):.1f} ms  (target < 200 ms)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
