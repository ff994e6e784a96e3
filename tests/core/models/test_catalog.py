"""The built-in catalog, the --catalog / LLAMA_DESK_CATALOG override, validation, and the refresh script."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.core.models.catalog import CatalogError, load_catalog, parse_catalog
from assistant.core.paths import resource_path
from tests.support import ROOT
from tests.support.hub_server import COMMIT, HubServer, sha256_of

BUILT_IN = json.loads(resource_path("catalog.json").read_text())


def test_built_in_catalog_has_every_llama_build_pinned() -> None:
    catalog = load_catalog()
    quants = {(b.model.id, b.quant) for b in catalog.builds}
    for model in ("llama-3.2-1b-instruct", "llama-3.2-3b-instruct"):
        for quant in ("Q4_K_M", "Q4_0", "Q6_K", "Q8_0"):
            assert (model, quant) in quants
    for build in catalog.builds:
        assert re.fullmatch(r"[0-9a-f]{40}", build.model.source.revision)
        assert build.model.mirrors, "every model has a mirror"
        assert build.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", build.sha256)
        assert build.download_size > 0.7e9
    one_b = catalog.build("llama-3.2-1b-instruct-q4_k_m")
    three_b = catalog.build("llama-3.2-3b-instruct-q4_k_m")
    assert one_b.model.kv_bytes_per_token() == 32 * 1024  # 8k context = 256 MiB
    assert three_b.model.kv_bytes_per_token() == 112 * 1024  # 8k context = 896 MiB
    assert one_b.size == 807694464 and three_b.size == 2019377696


def test_speech_models_are_listed() -> None:
    ids = {m.id for m in load_catalog().speech}
    assert ids == {f"whisper-{s}{e}" for s in ("tiny", "base", "small") for e in ("", ".en")}


def test_catalog_override_by_option_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    custom = copy.deepcopy(BUILT_IN)
    custom["models"] = custom["models"][:1]
    custom["models"][0]["builds"] = custom["models"][0]["builds"][:1]
    path = tmp_path / "company.json"
    path.write_text(json.dumps(custom))
    assert [b.id for b in load_catalog(path).builds] == ["llama-3.2-1b-instruct-q4_k_m"]
    monkeypatch.setenv("LLAMA_DESK_CATALOG", str(path))
    assert len(load_catalog().builds) == 1
    monkeypatch.delenv("LLAMA_DESK_CATALOG")
    assert main(["models", "list", "--json", "--catalog", str(path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["build"] for r in rows] == ["llama-3.2-1b-instruct-q4_k_m"] and rows[0]["fit"] in ("fits", "tight", "won't fit")


def _broken(mutate) -> dict:
    data = copy.deepcopy(BUILT_IN)
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format=9), "format must be 1"),
        (lambda d: d.update(models=[]), "models must be a non-empty list"),
        (lambda d: d["models"][0]["source"].update(revision="main"), r"models\[0\].source.revision must be a 40-character commit"),
        (lambda d: d["models"][1]["builds"][0].update(sha256="XYZ"), r"models\[1\].builds\[0\].sha256 must be 64"),
        (lambda d: d["models"][0]["builds"][0].update(size=-5), r"size must be a positive"),
        (lambda d: d["models"][0]["builds"][2].update(approx_size=None), r"approx_size is needed"),
        (lambda d: d["models"][0].pop("layers"), r"models\[0\].layers must be a positive"),
        (lambda d: d["models"][0]["builds"][1].update(file="../evil.gguf"), "must be a plain file name"),
        (lambda d: d["models"][0]["builds"].append(dict(d["models"][0]["builds"][0])), "duplicate ids"),
        (lambda d: d["models"][0]["mirrors"][0].update(endpoint="http://example.com"), "https://"),
    ],
)
def test_invalid_catalogs_are_refused_with_the_field_named(mutate, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(_broken(mutate), "test.json")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # 7: names the file system cannot hold
        (lambda d: d["models"][0]["builds"][0].update(file="model\x00.gguf"), r"builds\[0\].file must be a plain file name"),
        (lambda d: d["models"][0]["builds"][0].update(file="m" * 300 + ".gguf"), r"builds\[0\].file .*at most 200 bytes"),
        (lambda d: d["models"][0]["builds"][0].update(file="a\tb.gguf"), r"builds\[0\].file must be a plain file name"),
        # 8: speech ids and file paths that would leave the models folder
        (lambda d: d["speech"][0].update(id="../../../../x"), r"speech\[0\].id must be a plain file name"),
        (lambda d: d["speech"][0].update(id="x" * 201), r"speech\[0\].id .*at most 200 bytes"),
        (lambda d: d["speech"][0]["files"][0].update(path="/etc/x"), r"speech\[0\].files\[0\].path must be a relative path"),
        (lambda d: d["speech"][0]["files"][0].update(path="a/../../x"), r"speech\[0\].files\[0\].path must be a relative path"),
        (lambda d: d["speech"][0]["files"][0].update(path="C:\\x\\model.bin"), r"files\[0\].path must be a relative path"),
        (lambda d: d["speech"][0]["files"][0].update(path="model\x00.bin"), r"files\[0\].path must be a relative path"),
        # 9: plain http only to this computer, judged on the parsed address
        (lambda d: d["models"][0]["mirrors"][0].update(endpoint="http://127.0.0.1.example.invalid"), "https://"),
        (lambda d: d["models"][0]["mirrors"][0].update(endpoint="http://127.0.0.1@example.invalid:8080"), "https://"),
        (lambda d: d["models"][0]["mirrors"][0].update(endpoint="http://127.0.0.1:notaport"), "https://"),
        (lambda d: d["models"][0]["mirrors"][0].update(endpoint="https://"), "https://"),
        (lambda d: d["models"][0]["mirrors"][0].update(endpoint="ftp://127.0.0.1"), "https://"),
    ],
)
def test_unsafe_names_paths_and_endpoints_are_refused(mutate, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(_broken(mutate), "test.json")


@pytest.mark.parametrize("endpoint", ["https://hub.example.com", "http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:8080/", "http://127.5.0.1"])
def test_https_and_loopback_endpoints_are_accepted(endpoint: str) -> None:
    catalog = parse_catalog(_broken(lambda d: d["models"][0]["mirrors"][0].update(endpoint=endpoint)), "test.json")
    assert catalog.builds[0].model.mirrors[0].endpoint == endpoint


def test_speech_files_in_subfolders_are_accepted() -> None:
    catalog = parse_catalog(_broken(lambda d: d["speech"][0]["files"][0].update(path="sub/config.json")), "test.json")
    assert catalog.speech[0].files[0].path == "sub/config.json"


def test_unreadable_catalog_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(bad)
    assert main(["models", "list", "--catalog", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_refresh_script_reads_sizes_and_hashes_from_the_hub(smollm_path: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("refresh_catalog", ROOT / "packaging" / "refresh_catalog.py")
    refresh_catalog = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refresh_catalog)
    data = copy.deepcopy(BUILT_IN)
    speech = data["speech"][0]
    speech.update(repo="Systran/faster-whisper-test", revision=COMMIT)
    speech["files"] = [{"path": "model.bin", "sha256": None, "size": None},
                       {"path": "vocabulary.txt", "sha256": None, "size": None},  # kept in git: the hub has no sha256
                       {"path": "config.json", "sha256": "c" * 64, "size": None}]  # one we know stays
    data["speech"] = [speech]
    for name, text in (("model.bin", "weights"), ("vocabulary.txt", "a\nb\n"), ("config.json", "{}")):
        (tmp_path / name).write_text(text)
    model = data["models"][0]
    model["source"] = {"repo": "test-org/SmolLM2-GGUF", "revision": COMMIT}
    model["builds"] = [{"quant": "Q4_0", "file": smollm_path.name, "size": None, "sha256": None, "approx_size": 1}]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    with HubServer() as hub:
        hub.add("test-org/SmolLM2-GGUF", smollm_path.name, smollm_path)
        hub.add("Systran/faster-whisper-test", "model.bin", tmp_path / "model.bin")
        hub.add("Systran/faster-whisper-test", "vocabulary.txt", tmp_path / "vocabulary.txt", lfs=False)
        hub.add("Systran/faster-whisper-test", "config.json", tmp_path / "config.json", lfs=False)
        assert refresh_catalog.main(["--catalog", str(path), "--endpoint", hub.endpoint, "--check"]) == 1
        assert refresh_catalog.main(["--catalog", str(path), "--endpoint", hub.endpoint]) == 0
    refreshed = load_catalog(path)
    build = refreshed.builds[0]
    assert build.size == smollm_path.stat().st_size and build.sha256 == sha256_of(smollm_path)
    files = {f.path: (f.sha256, f.size) for f in refreshed.speech[0].files}
    assert files == {"model.bin": (sha256_of(tmp_path / "model.bin"), 7), "vocabulary.txt": (None, 4), "config.json": ("c" * 64, 2)}
