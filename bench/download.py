"""Download throughput versus curl on the same local server and file; probe + selection time.

    python bench/download.py [--file PATH] [--rounds 7] [--small] [--json OUT]

Starts the test hub server (tests/support/hub_server.py) on 127.0.0.1 in its own process
(so it does not share a GIL with the downloader under test), serves the file
(default: the synthetic Llama-3.2-1B Q4_K_M from bench/synthetic.py, 804 MB, the
size of the real build; ``--small``: the tests' 98 MB SmolLM2 GGUF), and alternates curl and our
downloader (fresh target each round, HF cache isolated). Before each timed download
the bench runs sync, untimed: curl leaves its 800 MB unwritten when it exits, and the
kernel writing it out during the next round would be charged to whoever runs then. Reports the best round
of each and the ratio ours/curl (target >= 0.9). Then times probe() + select_build()
(target < 200 ms), without and with the llama-cpp-python GPU-offload check.
"""

from __future__ import annotations

import argparse
import json
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
from tests.support.hub_server import HubServer
with HubServer() as hub:
    hub.add(sys.argv[2], Path(sys.argv[3]).name, Path(sys.argv[3]), sys.argv[4])
    print(hub.endpoint, flush=True)
    while True:
        time.sleep(3600)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="file to serve (default: the synthetic 1B Q4_K_M)")
    parser.add_argument("--small", action="store_true", help="serve the tests' SmolLM2 GGUF (98 MB) instead")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the result for bench/run.py")
    args = parser.parse_args(argv)

    from tests.support.hub_server import COMMIT, sha256_of

    if args.file is None and args.small:
        from conftest import smollm_gguf

        args.file = smollm_gguf()
    elif args.file is None:
        sys.path.insert(0, str(ROOT / "bench"))
        from synthetic import LLAMA_32_1B, ensure_models

        args.file = ensure_models(LLAMA_32_1B, ["Q4_K_M"], log=lambda m: print(m, file=sys.stderr))["Q4_K_M"]
    work = Path(tempfile.mkdtemp(prefix="llama-desk-bench-"))
    os.environ["LLAMA_DESK_DATA_DIR"] = str(work / "data")
    os.environ["HF_HOME"] = str(work / "hf")
    from assistant.core.models import download as dl
    from assistant.core.models.catalog import parse_catalog

    sha, size = sha256_of(args.file), args.file.stat().st_size
    repo = "bench/file"
    catalog = parse_catalog({"format": 1, "models": [{
        "id": "bench", "name": "bench", "parameters": 1, "layers": 1, "kv_heads": 1, "head_dim": 1,
        "context_length": 1, "vocab_size": 1, "source": {"repo": repo, "revision": COMMIT},
        "builds": [{"quant": "Q4_0", "file": args.file.name, "size": size, "sha256": sha}]}]})
    build = catalog.builds[0]
    ours_times, curl_times, curl_verified_times = [], [], []
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(ROOT), repo, str(args.file), sha],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        endpoint = server.stdout.readline().strip()
        os.environ["HF_ENDPOINT"] = endpoint
        url = f"{endpoint}/{repo}/resolve/{COMMIT}/{args.file.name}"
        for round_no in range(args.rounds):
            out = work / "curl.out"
            os.sync()  # each timed round starts with no dirty pages left by the previous one
            start = time.perf_counter()
            subprocess.run(["curl", "-sSfL", "-o", str(out), url], check=True)
            curl_times.append(time.perf_counter() - start)
            out.unlink()
            os.sync()
            start = time.perf_counter()  # curl, then the same SHA-256 check ours does
            subprocess.run(["curl", "-sSfL", "-o", str(out), url], check=True)
            subprocess.run(["sha256sum", str(out)], check=True, capture_output=True)
            curl_verified_times.append(time.perf_counter() - start)
            out.unlink()
            target_dir = work / f"models{round_no}"
            os.sync()
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
    median_ratio = statistics.median(curl_times) / statistics.median(ours_times)
    print(f"ratio ours/curl: {ours_rate / curl_rate:.2f}  (target >= 0.9); of the medians: {median_ratio:.2f}; "
          f"ours/(curl+sha256sum): {ours_rate / curl_verified_rate:.2f}")

    from assistant.core.models.catalog import load_catalog
    from assistant.core.models.hardware import probe
    from assistant.core.models.selector import select_build

    real_catalog = load_catalog()
    selection: dict[bool, list[float]] = {}
    for label, offload in (("probe(check_offload=False) + select_build", False), ("probe(check_offload=True) + select_build", True)):
        samples = selection[offload] = []
        for _ in range(10):
            start = time.perf_counter()
            select_build(probe(check_offload=offload), catalog=real_catalog)
            samples.append((time.perf_counter() - start) * 1000)
        print(f"{label}: first {samples[0]:.1f} ms, median {statistics.median(samples):.1f} ms, max {max(samples):.1f} ms  (target < 200 ms)")
    shutil.rmtree(work, ignore_errors=True)

    ratio = ours_rate / curl_rate
    worst_selection = max(max(samples) for samples in selection.values())
    rows = [
        {"metric": "download throughput, ours ÷ curl (same file, same run)", "value": f"{ratio:.2f}", "goal": ">= 0.9",
         "ok": ratio >= 0.9},
        {"metric": "the same, of the median rounds", "value": f"{median_ratio:.2f}", "goal": None, "ok": None},
        {"metric": "ours ÷ (curl + sha256sum)", "value": f"{ours_rate / curl_verified_rate:.2f}", "goal": None, "ok": None},
        {"metric": "probe + selection, slowest of 20 calls", "value": f"{worst_selection:.1f} ms", "goal": "< 200 ms",
         "ok": worst_selection < 200},
    ]
    markdown = "\n".join([
        f"File `{args.file.name}` ({mb:.0f} MB) served by the tests' hub server on 127.0.0.1 in its own process; "
        f"{args.rounds} alternating rounds, best of each, each after an untimed sync. Ours includes the hub metadata request, SHA-256 of every byte "
        "and fsync before the file is moved into place; curl only writes the bytes.",
        "",
        "| client | MB/s | rounds (s) |",
        "|---|---:|---|",
        f"| curl | {curl_rate:.0f} | {', '.join(f'{t:.3f}' for t in curl_times)} |",
        f"| Llama Desk | {ours_rate:.0f} | {', '.join(f'{t:.3f}' for t in ours_times)} |",
        f"| curl + sha256sum | {curl_verified_rate:.0f} | {', '.join(f'{t:.3f}' for t in curl_verified_times)} |",
        "",
        f"probe + select_build: median {statistics.median(selection[False]):.1f} ms without the GPU-offload check, "
        f"{statistics.median(selection[True]):.1f} ms with it (first call {selection[True][0]:.1f} ms).",
    ])
    if args.json:
        args.json.write_text(json.dumps({"name": "Model download", "rows": rows, "markdown": markdown}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
