"""`llama-desk probe` and `llama-desk models recommend|list|download`.

    llama-desk probe                               this machine's profile as JSON
    llama-desk models recommend [--json] [--profile FILE.json]
    llama-desk models list [--json]
    llama-desk models check [--again]               measure this machine (about 3 s), kept for the predictions
    llama-desk models download [BUILD-ID] [--search-folder DIR]
    llama-desk models --catalog FILE ...           use another catalog (or LLAMA_DESK_CATALOG)
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

from assistant.core.models import download as dl
from assistant.core.models import machine_check
from assistant.core.models.catalog import Catalog, CatalogError, load_catalog
from assistant.core.models.hardware import HardwareProfile, ProfileError, describe, probe
from assistant.core.models.machine_check import MachineCheck
from assistant.core.models.selector import PRIORITIES, Preferences, fit_table, select_build

EXIT_CODES: dict[type[Exception], int] = {
    dl.AccessDeniedError: 3,
    dl.NotFoundError: 4,
    dl.NetworkError: 5,
    dl.DiskFullError: 6,
    dl.ChecksumError: 7,
    dl.OfflineError: 8,
    dl.DownloadBusyError: 9,
    dl.DownloadCancelled: 130,
}


def register(subparsers: argparse._SubParsersAction) -> None:
    probe_parser = subparsers.add_parser("probe", help="print this machine's hardware profile as JSON")
    probe_parser.add_argument("--no-gpu-check", action="store_true", help="do not load llama-cpp-python to ask about GPU offload")
    probe_parser.set_defaults(func=run_probe)

    models = subparsers.add_parser("models", help="recommend, list and download Llama 3.2 builds")
    models.add_argument("--catalog", metavar="FILE", default=None, help="catalog JSON to use instead of the built-in one")
    models.set_defaults(func=lambda args: (models.print_help(), 0)[1])
    actions = models.add_subparsers(dest="models_command", metavar="ACTION")

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--catalog", metavar="FILE", default=argparse.SUPPRESS, help="catalog JSON to use")
        parser.add_argument("--profile", metavar="FILE.json", help="evaluate a profile saved by `llama-desk probe` instead of this machine")
        parser.add_argument("--context", type=int, default=8192, help="context length in tokens (default 8192)")
        parser.add_argument("--priority", choices=PRIORITIES, default="balanced", help="speed, balanced or quality")

    recommend = actions.add_parser("recommend", help="the build to use here, with its memory estimate and reasons")
    common(recommend)
    recommend.add_argument("--json", action="store_true", help="print JSON")
    recommend.set_defaults(func=run_recommend)

    listing = actions.add_parser("list", help="every build with its fit on this machine and what is on disk")
    common(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)

    check = actions.add_parser("check", help="measure memory bandwidth and matrix speed here (about 3 s); predictions use it")
    check.add_argument("--again", action="store_true", help="measure again even if this machine was measured before")
    check.set_defaults(func=run_check)

    fetch = actions.add_parser("download", help="download a build (the recommended one by default), verified")
    common(fetch)
    fetch.add_argument("build_id", nargs="?", metavar="BUILD-ID", help="a build id from `models list`")
    fetch.add_argument("--search-folder", action="append", default=[], metavar="DIR", help="folder that may already hold the file (repeatable); the folders added in the app and those of LM Studio, GPT4All, Jan and Ollama are searched too")
    fetch.set_defaults(func=run_download)


def _fail(message: str, code: int = 2) -> int:
    print(f"llama-desk: {message}", file=sys.stderr)
    return code


def _profile(args: argparse.Namespace) -> HardwareProfile:
    if getattr(args, "profile", None):
        try:
            text = Path(args.profile).read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError(f"Cannot read the profile {args.profile}: {exc.strerror or exc}.") from None
        return HardwareProfile.from_json(text)
    return probe()


def _setup(args: argparse.Namespace) -> tuple[Catalog, HardwareProfile, Preferences]:
    catalog = load_catalog(getattr(args, "catalog", None))
    prefs = Preferences(context_length=args.context, priority=args.priority)
    return catalog, _profile(args), prefs


def _check(args: argparse.Namespace, profile: HardwareProfile) -> MachineCheck | None:
    """This machine's saved check (never for a saved profile of another machine)."""
    return None if getattr(args, "profile", None) else machine_check.cached(profile)


def run_check(args: argparse.Namespace) -> int:
    profile = probe(check_offload=False)
    check = machine_check.cached_or_measure(profile, again=args.again)
    print(f"Memory: {check.bandwidth / 1e9:.1f} GB/s copied on {check.threads} threads; "
          f"matrix-vector: {check.matmul_flops / 1e9:.1f} GFLOP/s; calibration x{check.calibration:.2f} "
          f"(measured {check.measured_at}, {check.seconds:.1f} s)")
    return 0


def run_probe(args: argparse.Namespace) -> int:
    print(probe(check_offload=not args.no_gpu_check).to_json())
    return 0


def run_recommend(args: argparse.Namespace) -> int:
    try:
        catalog, profile, prefs = _setup(args)
    except (CatalogError, ProfileError, ValueError) as exc:
        return _fail(str(exc))
    choice = select_build(profile, prefs, catalog, _check(args, profile))
    if args.json:
        print(json.dumps({"machine": describe(profile), **choice.to_dict()}, indent=2))
        return 0 if choice.ok else 1
    print(f"This computer: {describe(profile)}")
    if not choice.ok:
        print(choice.reasons[0], file=sys.stderr)
        return 1
    assert choice.build is not None
    print(f"Recommended: {choice.build.label} ({choice.build.id})")
    print(f"  download {choice.build.download_size / 1e9:.2f} GB, needs about {choice.memory_bytes / 1e9:.1f} GB of memory, speed: {choice.speed_class}")
    for reason in choice.reasons:
        print(f"  - {reason}")
    for warning in choice.warnings:
        print(f"  ! {warning}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    try:
        catalog, profile, prefs = _setup(args)
    except (CatalogError, ProfileError, ValueError) as exc:
        return _fail(str(exc))
    on_disk = dl.local_builds(catalog.builds)
    rows = []
    for est in fit_table(profile, catalog, prefs, _check(args, profile)):
        row = est.to_dict()
        row["on_disk"] = str(on_disk[est.build.id]) if est.build.id in on_disk else None
        row["verified_hash"] = est.build.sha256 is not None
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'BUILD':32} {'DOWNLOAD':>9} {'MEMORY':>8}  {'FIT':15} {'SPEED':>10} ON DISK")
    for row in rows:
        print(
            f"{row['build']:32} {row['download_bytes'] / 1e9:>7.2f}GB {row['memory_bytes'] / 1e9:>6.1f}GB  "
            f"{row['fit']:15} {row['tokens_per_second']:>4.0f} tok/s {'yes' if row['on_disk'] else ''}"
        )
    if rows:
        print(f"Speeds: {rows[0]['speed_basis']}" + ("" if _check(args, profile) or args.profile else " (run `llama-desk models check` to measure)"))
    return 0


class _Bar:
    """A one-line progress bar on stderr: percent, MB, speed, ETA."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.last = 0.0
        self.mid_line = False  # the bar is on the current line: a message must start a new one

    def end_line(self) -> None:
        if self.mid_line:
            self.stream.write("\n")
            self.stream.flush()
            self.mid_line = False

    def __call__(self, progress: dl.Progress) -> None:
        now = time.monotonic()
        done = progress.total_bytes is not None and progress.done_bytes >= progress.total_bytes
        if now - self.last < 0.2 and not done:
            return
        self.last = now
        total = progress.total_bytes or 0
        fraction = progress.done_bytes / total if total else 0.0
        filled = int(fraction * 30)
        eta = f"{int(progress.eta_seconds // 60)}:{int(progress.eta_seconds % 60):02d}" if progress.eta_seconds is not None else "--:--"
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction * 100:5.1f}% "
            f"{progress.done_bytes / 1e6:,.0f}/{total / 1e6:,.0f} MB {progress.bytes_per_second / 1e6:6.1f} MB/s ETA {eta} "
        )
        self.mid_line = True
        if done:
            self.end_line()
        self.stream.flush()


def keyring_token() -> str | None:
    """A Hugging Face access token saved in the OS keyring (service llama-desk, user huggingface)."""
    try:
        import keyring

        return keyring.get_password("llama-desk", "huggingface")
    except Exception:
        return None


def _ask_keep_going(bar: _Bar):
    """The command line's answer to "this is too slow": ask on a terminal, else pause (resumable)."""

    def too_slow(progress: dl.Progress) -> bool:
        if not sys.stdin or not sys.stdin.isatty():
            return False
        bar.end_line()
        answer = input(
            f"The download of {progress.file} is very slow ({progress.bytes_per_second / 1000:.0f} kB/s). "
            "Keep going? [y = keep going / n = pause] "
        )
        return answer.strip().lower().startswith("y")

    return too_slow


def run_download(args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog(getattr(args, "catalog", None))
        if args.build_id:
            build = catalog.build(args.build_id)
        else:
            profile = _profile(args)
            choice = select_build(profile, Preferences(args.context, args.priority), catalog, _check(args, profile))
            if choice.build is None:
                return _fail(choice.reasons[0], 1)
            build = choice.build
            print(f"Recommended for this computer: {build.label}", file=sys.stderr)
    except (CatalogError, ProfileError, ValueError) as exc:
        return _fail(str(exc))
    license_name = catalog.license.get("name")
    if license_name:
        print(f"{build.model.name} is provided under the {license_name} ({catalog.license.get('license_url', '')}).", file=sys.stderr)
    from assistant.core.models import folders as model_folders
    from assistant.core.store import Store

    known = model_folders.search_folders(Store())  # the user's folders and other apps' (LM Studio, GPT4All, ...)
    cancel = threading.Event()
    bar = _Bar()
    try:
        result = dl.download_build(
            build, progress=bar, cancel=cancel, search_folders=[Path(p) for p in args.search_folder] + [f.path for f in known],
            token=keyring_token(), too_slow=_ask_keep_going(bar),
        )
    except KeyboardInterrupt:
        cancel.set()
        bar.end_line()
        return _fail(f"Download of {build.file} paused; run the same command again to resume.", 130)
    except dl.DownloadError as exc:
        bar.end_line()
        if isinstance(exc, dl.DownloadCancelled):
            return _fail(f"{exc} Run the same command again to resume.", 130)
        return _fail(str(exc), EXIT_CODES.get(type(exc), 1))
    where = f" (already on this computer, in {model_folders.describe_source(result.reused, known)})" if result.reused else ""
    print(f"Verified {build.label}{where}:", file=sys.stderr)
    print(result.path)
    return 0
