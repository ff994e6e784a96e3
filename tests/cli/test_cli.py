"""The command line: --version, --self-test, ask, and errors with exit codes."""

from __future__ import annotations

import os
import subprocess
import sys

from assistant import __version__
from assistant.cli import main


def _run(*args: str, env_extra: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert capsys.readouterr().out.strip() == f"llama-desk {__version__}"


def test_self_test_passes_on_the_real_model(smollm_path):
    result = _run("--self-test", "--model", str(smollm_path))
    assert result.returncode == 0, result.stderr
    assert "tokens/s" in result.stdout and "self-test passed" in result.stdout


def test_self_test_fails_clearly_on_a_truncated_model(smollm_path, tmp_path):
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(smollm_path.read_bytes()[:1_000_000])
    result = _run("--self-test", "--model", str(truncated))
    assert result.returncode != 0
    assert "incomplete" in result.stderr


def test_self_test_without_any_model_says_what_to_do():
    result = _run("--self-test")
    assert result.returncode != 0 and "--model" in result.stderr


def test_ask_streams_an_answer_to_stdout(smollm_path):
    result = _run("ask", "Say hi.", "--model", str(smollm_path), "--max-tokens", "12", "--stats")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "tokens/s" in result.stderr


def test_every_subcommand_has_help():
    result = _run("--help")
    assert result.returncode == 0 and "ask" in result.stdout
    assert _run("ask", "--help").returncode == 0


def test_only_subcommands_and_help_load_the_subcommand_modules():
    from assistant.cli import wants_subcommand

    assert not wants_subcommand([]) and not wants_subcommand(["--model", "x.gguf"])
    assert wants_subcommand(["ask", "hi"]) and wants_subcommand(["--help"]) and wants_subcommand(["--model", "m", "summarize", "f"])
