"""The GGUF header check rejects bad files with plain messages before llama.cpp sees them."""

from __future__ import annotations

import pytest

from assistant.core.engines.base import ModelFileError
from assistant.core.engines.gguf import check_model_file


def test_reads_the_real_smollm_header(smollm_path):
    summary = check_model_file(smollm_path)
    assert summary.architecture == "llama"
    assert summary.version == 3
    assert summary.tensor_count == 272
    assert summary.context_length == 8192
    assert "<|im_start|>" in summary.chat_template


def test_truncated_download_is_reported_as_incomplete(smollm_path, tmp_path):
    partial = tmp_path / "partial.gguf"
    partial.write_bytes(smollm_path.read_bytes()[: smollm_path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="incomplete"):
        check_model_file(partial)


def test_file_cut_inside_header_is_incomplete(smollm_path, tmp_path):
    stub = tmp_path / "stub.gguf"
    stub.write_bytes(smollm_path.read_bytes()[:5000])
    with pytest.raises(ModelFileError, match="incomplete"):
        check_model_file(stub)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"PK\x03\x04 this is a zip file" * 10, "not a GGUF"), (b"GGUF\x09\x00\x00\x00" + b"\x00" * 64, "version 9")],
)
def test_bad_files_get_clear_messages(tmp_path, content, message):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        check_model_file(bad)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        check_model_file(tmp_path / "nope.gguf")
    with pytest.raises(ModelFileError, match="folder"):
        check_model_file(tmp_path)
