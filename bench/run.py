"""Run the benchmark suite and write BENCHMARKS.md at the repository root.

    python bench/run.py --quick     # 1B shape only, SmolLM2 for the overheads (minutes on 2 cores)
    python bench/run.py             # 1B and 3B shapes; overheads also on the synthetic 1B Q4_K_M

THE CONTRACT FOR EVERY BENCH SCRIPT IN bench/ (follow it to be included):

* ``bench/NAME.py`` exposes ``main(argv: list[str] | None = None) -> int`` and runs
  as ``python bench/NAME.py --json OUT [--quick]``; its ``--help`` must list
  ``--json`` (and ``--quick`` if it has a shorter mode), which is how this runner
  knows the script follows the contract.
* With ``--json OUT`` it writes one JSON object to OUT::

      {"name": "Download throughput",                 # section title
       "rows": [{"metric": "ours / curl", "value": "0.98",  # value: a short string or number
                 "goal": ">= 0.9", "ok": true}],      # ok: bool, or null when there is no goal
       "markdown": "optional section body (tables, notes) copied verbatim"}

* Exit code 0 when it measured (even if a goal is missed); non-zero when it could not.

Each script runs in its own process (peak-memory figures do not mix, a crash does
not end the suite), one after another (never in parallel: the machine is small).
Scripts that are missing, or that do not accept ``--json`` yet, are listed as
"not measured yet".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUTPUT = ROOT / "BENCHMARKS.md"
#: Every result of the last report, so ``--only`` can re-run a few benches and keep the rest.
RESULTS = BENCH / "results.json"

#: Benches written by other parts of the project, run when they follow the contract.
OTHER_BENCHES = {
    "download": "model download throughput (download issue)",
    "summarize": "meeting notes summarization (meeting-notes issue)",
    "transcribe": "live recording transcription (recording issue)",
    "remote": "remote engine (remote issue)",
    "startup": "installer / start-up time (installer issue)",
    "quality": "notes and calendar actions on labelled data (quality issue)",
    "scheduler": "chat first token while live notes run on the same model (issue 17)",
}


@dataclass
class BenchRun:
    """One bench script to run and what it produced."""

    script: str
    args: list[str] = field(default_factory=list)
    label: str = ""
    result: dict | None = None
    problem: str = ""
    seconds: float = 0.0
    measured: str = ""  # when the result was measured (kept from an earlier run with --only)

    @property
    def key(self) -> str:
        return " ".join([self.script, *self.args])


def accepts(script: Path, flag: str) -> bool:
    """Whether a script's --help mentions ``flag``."""
    try:
        done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and flag in done.stdout


def run_bench(run: BenchRun, quick: bool, timeout: float) -> None:
    script = BENCH / f"{run.script}.py"
    if not script.exists():
        run.problem = "not measured yet (no script)"
        return
    if not accepts(script, "--json"):
        run.problem = "not measured yet (the script does not write --json output)"
        return
    args = list(run.args)
    if quick and "--quick" not in args and accepts(script, "--quick"):
        args.append("--quick")
    with tempfile.TemporaryDirectory(prefix="llama-desk-bench-") as tmp:
        out = Path(tmp) / "result.json"
        print(f"== {run.script} {' '.join(args)}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, str(script), *args, "--json", str(out)], cwd=ROOT, timeout=timeout,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        except subprocess.TimeoutExpired:
            run.problem = f"did not finish within {timeout:.0f} s"
            return
        finally:
            run.seconds = time.perf_counter() - started
        if done.returncode != 0 or not out.exists():
            tail = done.stderr.strip().splitlines()[-3:]
            run.problem = f"failed (exit {done.returncode}): " + " / ".join(tail)
            return
        run.result = json.loads(out.read_text())
        run.measured = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        print(f"   done in {run.seconds:.0f} s", file=sys.stderr, flush=True)


def load_kept(path: Path) -> dict[str, dict]:
    """Results saved by an earlier run, by bench key."""
    try:
        return {item["key"]: item for item in json.loads(path.read_text(encoding="utf-8"))}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def save_results(runs: list[BenchRun], path: Path) -> None:
    items = [{"key": run.key, "result": run.result, "seconds": round(run.seconds, 1), "measured": run.measured}
             for run in runs if run.result is not None]
    path.write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# -- machine and versions ---------------------------------------------------------
def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_lines() -> list[str]:
    import psutil

    sys.path.insert(0, str(ROOT))
    from assistant.core.models.hardware import physical_cores

    return [
        f"- CPU: {cpu_model()} — {physical_cores()} physical cores, {os.cpu_count()} logical",
        f"- RAM: {psutil.virtual_memory().total / 2**30:.1f} GiB",
        f"- OS: {platform.platform()}",
    ]


def version_lines() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    lines = [f"- Python {platform.python_version()}"]
    for package in ("llama-cpp-python", "PySide6-Essentials", "gguf", "numpy", "psutil"):
        try:
            lines.append(f"- {package} {version(package)}")
        except PackageNotFoundError:
            lines.append(f"- {package}: not installed")
    try:
        import llama_cpp

        info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
        lines.append(f"- llama.cpp system info: `{info}`")
    except Exception as exc:  # the report must still be written
        lines.append(f"- llama.cpp system info unavailable: {exc}")
    return lines


def _cell(value: object) -> str:
    return "–" if value is None else str(value).replace("|", "\\|")


def render(runs: list[BenchRun], command: str, load_start: tuple[float, ...], load_end: tuple[float, ...], total: float) -> str:
    lines = [
        "# Llama Desk benchmarks",
        "",
        f"Written by `{command}` on {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} in {total / 60:.1f} min. "
        f"Load average (1/5/15 min) at start {load_start[0]:.1f}/{load_start[1]:.1f}/{load_start[2]:.1f}, "
        f"at end {load_end[0]:.1f}/{load_end[1]:.1f}/{load_end[2]:.1f}: "
        "other work on the machine slows the speed figures (not the sizes and memory).",
        "",
        "## Machine",
        "",
        *machine_lines(),
        "",
        "## Versions",
        "",
        *version_lines(),
        "",
        "## Goals",
        "",
        "| bench | metric | measured | goal | met |",
        "|---|---|---:|---|---|",
    ]
    for run in runs:
        if run.result is None:
            continue
        for row in run.result.get("rows", []):
            ok = row.get("ok")
            met = "–" if ok is None else ("yes" if ok else "**no**")
            lines.append(f"| {_cell(run.result.get('name', run.script))} | {_cell(row.get('metric', ''))} | "
                         f"{_cell(row.get('value', ''))} | {_cell(row.get('goal', ''))} | {met} |")
    for run in runs:
        if run.result is None:
            continue
        lines += ["", f"## {run.result.get('name', run.script)}", "",
                  f"`{' '.join([f'bench/{run.script}.py', *run.args])}` — {run.seconds:.0f} s, measured {run.measured}", ""]
        if run.result.get("markdown"):
            lines.append(run.result["markdown"])
    missing = [run for run in runs if run.result is None]
    if missing:
        lines += ["", "## Not measured yet", ""]
        for run in missing:
            lines.append(f"- `bench/{run.script}.py` — {run.label + ': ' if run.label else ''}{run.problem}")
    return "\n".join(lines) + "\n"


def plan(quick: bool, decode_tokens: int | None, prompt_tokens: int | None) -> list[BenchRun]:
    sizes: list[str] = []
    if prompt_tokens:
        sizes += ["--prompt-tokens", str(prompt_tokens)]
    if decode_tokens:
        sizes += ["--decode-tokens", str(decode_tokens)]
    # Each measurement as the engine runs today, then F16/Q4_K_M again with OpenMP
    # threads that sleep instead of spinning while they wait (OMP_WAIT_POLICY=PASSIVE):
    # on a busy 2-core machine spinning threads collapse decode speed.
    runs = [
        BenchRun("quant", ["--shape", "1b", *sizes]),
        BenchRun("quant", ["--shape", "1b", "--types", "F16,Q4_K_M", "--omp-passive", *sizes]),
    ]
    if not quick:
        runs.append(BenchRun("quant", ["--shape", "3b", "--no-mmap-check", *sizes]))
    repeats = "3" if quick else "5"
    # Overheads with the engine's default threads (physical cores), then with one thread
    # fewer: on 2 cores the GUI thread otherwise competes with llama.cpp's busy-waiting team.
    runs += [BenchRun("overhead", ["--repeats", repeats]), BenchRun("overhead", ["--repeats", repeats, "--threads", "1"])]
    if not quick:
        sys.path.insert(0, str(BENCH))
        from synthetic import LLAMA_32_1B, model_path

        runs.append(BenchRun("overhead", ["--model", str(model_path(LLAMA_32_1B, "Q4_K_M")), "--repeats", "3", "--tokens", "64"]))
    runs.append(BenchRun("predict"))  # the machine check's predicted / measured decode speed
    runs += [BenchRun(name, label=label) for name, label in OTHER_BENCHES.items()]
    return runs


#: A section of BENCHMARKS.md holding this line was measured by hand: a new report keeps it.
HAND_MARK = "<!-- measured by hand: kept when bench/run.py rewrites this file -->"


def keep_hand_sections(text: str, previous: str) -> str:
    """``text`` with the hand-measured sections of ``previous`` (those holding :data:`HAND_MARK`) added at the end."""
    sections = re.split(r"(?m)^(?=## )", previous)
    kept = [section.rstrip() for section in sections if HAND_MARK in section and section.split("\n", 1)[0] not in text]
    return text.rstrip() + "\n\n" + "\n\n".join(kept) + "\n" if kept else text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks and write BENCHMARKS.md.")
    parser.add_argument("--quick", action="store_true", help="1B shape only; overheads on SmolLM2 only")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--only", help="comma-separated bench names to run; the others keep their results from "
                        "the last report (bench/results.json), with the date they were measured")
    parser.add_argument("--prompt-tokens", type=int, help="prompt length for the quantization table (default 512)")
    parser.add_argument("--decode-tokens", type=int, help="decode length for the quantization table (default 128)")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds allowed per bench script")
    args = parser.parse_args(argv)
    command = "python bench/run.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    only = set(args.only.split(",")) if args.only else None
    started = time.perf_counter()
    load_start = os.getloadavg()
    runs = plan(args.quick, args.decode_tokens, args.prompt_tokens)
    kept = load_kept(RESULTS) if only is not None else {}
    for run in runs:
        if only is not None and run.script not in only:
            earlier = kept.get(run.key)
            if earlier:
                run.result, run.seconds, run.measured = earlier["result"], earlier["seconds"], earlier["measured"]
            else:
                run.problem = "skipped in this run (--only) and not in the last report"
            continue
        run_bench(run, args.quick, args.timeout)
    text = render(runs, command.strip(), load_start, os.getloadavg(), time.perf_counter() - started)
    if args.output.exists():
        text = keep_hand_sections(text, args.output.read_text(encoding="utf-8"))
    args.output.write_text(text)
    if args.output == OUTPUT:
        save_results(runs, RESULTS)
    print(text)
    return 0 if all(run.result is not None or "not measured" in run.problem or "skipped" in run.problem for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
