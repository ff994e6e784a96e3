"""The on-device benchmark (core, CLI, dialog) and the synthetic GGUF writer of bench/."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from assistant.core.engines.base import EngineError
from assistant.core.engines.fake import FakeEngine
from assistant.core.engines.gguf import check_model_file
from assistant.core.engines.llama import LlamaCppEngine
from assistant.core.models.benchmark import BenchmarkResult, run_benchmark
from bench import synthetic

TINY = synthetic.ModelShape("tiny", layers=2, hidden=64, ffn=128, heads=4, kv_heads=2, vocab=49408, context=2048)


@pytest.fixture(scope="module")
def smollm_engine(smollm_path):
    engine = LlamaCppEngine()
    engine.load(smollm_path, n_ctx=1024)
    yield engine
    engine.unload()


def test_benchmark_measures_prefill_decode_and_memory(smollm_engine):
    seen: list[float] = []
    result = run_benchmark(smollm_engine, threading.Event(), seen.append, prompt_tokens=64, decode_tokens=6)
    assert isinstance(result, BenchmarkResult)
    assert 32 <= result.prompt_tokens <= 64
    assert 1 <= result.decode_tokens <= 7
    assert result.prefill_tokens_per_second > 0
    assert result.decode_tokens_per_second > 0
    assert result.peak_rss_bytes >= 50 * 2**20  # the model itself is ~100 MB
    assert not result.cancelled
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)
    assert any("tokens/s" in line for line in result.summary_lines())


def test_every_run_evaluates_the_whole_prompt(smollm_engine):
    first = run_benchmark(smollm_engine, prompt_tokens=64, decode_tokens=2)
    second = run_benchmark(smollm_engine, prompt_tokens=64, decode_tokens=2)
    # A fresh tag at the start of each prompt defeats the KV-cache prefix reuse.
    assert second.prompt_tokens >= first.prompt_tokens - 8


def test_a_stopped_benchmark_says_so(smollm_engine):
    stop = threading.Event()
    stop.set()
    result = run_benchmark(smollm_engine, stop, prompt_tokens=48, decode_tokens=8)
    assert result.cancelled
    assert result.decode_tokens == 0
    assert "partial" in result.summary_lines()[-1]


def test_benchmark_needs_a_loaded_model():
    with pytest.raises(EngineError, match="Load a model"):
        run_benchmark(FakeEngine(["hello"]))


def test_cli_bench_json(smollm_path, capsys):
    from assistant.cli import main

    code = main(["bench", "--model", str(smollm_path), "--json", "--prompt-tokens", "48", "--decode-tokens", "4"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("prefill_tokens_per_second", "decode_tokens_per_second", "peak_rss_bytes", "load_seconds", "n_threads"):
        assert key in data
    assert data["decode_tokens"] >= 1
    assert data["file_size"] == Path(smollm_path).stat().st_size


def test_cli_bench_without_a_model_explains(capsys):
    from assistant.cli import main

    assert main(["bench"]) == 1
    assert "No model given" in capsys.readouterr().err


def test_dialog_runs_the_benchmark_on_the_worker(qtbot, smollm_path):
    from assistant.ui.benchmark_dialog import BenchmarkDialog
    from assistant.ui.worker import ModelBridge

    engine = LlamaCppEngine()
    engine.load(smollm_path, n_ctx=1024)
    bridge = ModelBridge(engine)
    try:
        dialog = BenchmarkDialog(bridge, prompt_tokens=48, decode_tokens=4)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.completed, timeout=120_000) as blocker:
            dialog.start_button.click()
            assert not dialog.start_button.isEnabled()
        assert isinstance(blocker.args[0], BenchmarkResult)
        assert dialog.progress.value() == 100
        assert "tokens/s" in dialog.status.text()
        assert dialog.start_button.isEnabled() and not dialog.stop_button.isEnabled()
    finally:
        bridge.shutdown()


def test_dialog_without_a_model_asks_for_one(qtbot):
    from assistant.ui.benchmark_dialog import BenchmarkDialog
    from assistant.ui.worker import ModelBridge

    bridge = ModelBridge(FakeEngine(["x"]))
    try:
        dialog = BenchmarkDialog(bridge)
        qtbot.addWidget(dialog)
        dialog.start_button.click()
        assert "No model is loaded" in dialog.status.text()
        assert not dialog.running
    finally:
        bridge.shutdown()


def test_llama_32_1b_shape_makes_a_published_size_f16_file():
    plan = synthetic.tensor_plan(synthetic.LLAMA_32_1B)
    data = sum((2 if kind == "matrix" else 4) * _count(dims) for _name, dims, kind in plan)
    # The published F16 file is 2.48 GB including ~4 MB of tokenizer metadata.
    assert 2.46e9 < data < 2.48e9
    assert synthetic.LLAMA_32_1B.head_dim == 64 and synthetic.LLAMA_32_3B.head_dim == 128


def _count(dims: tuple[int, ...]) -> int:
    total = 1
    for dim in dims:
        total *= dim
    return total


def test_synthetic_writer_makes_a_file_the_app_accepts(tmp_path, smollm_path):
    f16 = synthetic.write_f16(TINY, tmp_path / "tiny-F16.gguf", tokenizer_source=smollm_path)
    summary = check_model_file(f16)
    assert summary.architecture == "llama"
    assert summary.context_length == 2048
    assert summary.tensor_count == 3 + 9 * TINY.layers
    assert summary.get("{arch}.attention.head_count_kv") == 2
    assert "<|start_header_id|>" in summary.chat_template

    q8 = synthetic.quantize(f16, tmp_path / "tiny-Q8_0.gguf", "Q8_0", threads=1)
    assert q8.stat().st_size < f16.stat().st_size
    engine = LlamaCppEngine(n_threads=1)
    engine.load(q8, n_ctx=256)
    try:
        tokens = engine.prompt_tokens([{"role": "user", "content": "hi"}])
        assert tokens[0] == 49152  # <|begin_of_text|>, right after the borrowed vocabulary
        assert engine.count_tokens("<|eot_id|>") > 1  # plain text is not parsed as a special token
        from assistant.core.engines.base import GenerationParams

        reply = engine.chat([{"role": "user", "content": "hi"}], GenerationParams(max_tokens=4, temperature=0.0))
        assert engine.last_stats.completion_tokens >= 1
        assert isinstance(reply, str)
    finally:
        engine.unload()


def test_the_bench_runner_keeps_results_it_did_not_rerun(tmp_path, monkeypatch):
    from bench import run as bench_run

    measured = {"name": "Model download", "rows": [{"metric": "ours / curl", "value": "0.95", "goal": ">= 0.9", "ok": True}],
                "markdown": "a table"}
    results = tmp_path / "results.json"
    bench_run.save_results([bench_run.BenchRun("download", result=measured, seconds=21.0, measured="2026-11-27 14:00"),
                            bench_run.BenchRun("startup", problem="failed")], results)
    monkeypatch.setattr(bench_run, "RESULTS", results)
    monkeypatch.setattr(bench_run, "plan", lambda *_args: [bench_run.BenchRun("download"), bench_run.BenchRun("startup")])
    ran: list[str] = []
    monkeypatch.setattr(bench_run, "run_bench", lambda run, *_args: ran.append(run.script))
    output = tmp_path / "BENCHMARKS.md"

    bench_run.main(["--only", "startup", "--output", str(output)])

    text = output.read_text()
    assert ran == ["startup"]
    assert "| Model download | ours / curl | 0.95 | >= 0.9 | yes |" in text
    assert "`bench/download.py` — 21 s, measured 2026-11-27 14:00" in text
    assert "a table" in text
