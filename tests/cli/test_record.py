"""`llama-desk record OUT.wav`: bad input gets a plain message and writes nothing; file names per source.

Recording real devices (and the JSON transcript with speakers) is in
tests/core/audio/test_call_recording.py, which needs PulseAudio.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant import cli
from assistant.commands.record import output_paths
from tests.support import stt_fixtures

stt_model_path = stt_fixtures.stt_model_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["record", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_file_names_per_source(tmp_path):
    out = tmp_path / "call.wav"
    assert output_paths(out, "mic") == {"mic": out}
    assert output_paths(out, "system") == {"system": out}
    assert output_paths(out, "both") == {"mic": out, "system": tmp_path / "call.system.wav"}


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [
        ("call.mp3", [], "must end in .wav"),
        ("missing/call.wav", [], "does not exist"),
        ("call.wav", ["--seconds", "0"], "--seconds must be more than 0"),
    ],
)
def test_bad_arguments_say_what_is_wrong(capsys, tmp_path, name, extra, message):
    code, out, err = run(capsys, str(tmp_path / name), *extra)
    assert code == 1 and message in err and out == ""
    assert list(tmp_path.iterdir()) == []


def test_unknown_source_is_refused_by_the_parser(capsys, tmp_path):
    with pytest.raises(SystemExit) as exited:
        cli.main(["record", str(tmp_path / "a.wav"), "--source", "speakers"])
    assert exited.value.code == 2 and "mic" in capsys.readouterr().err


def test_transcribe_without_a_speech_model_stops_before_recording(capsys, tmp_path, isolated_data_dir):
    code, _, err = run(capsys, str(tmp_path / "a.wav"), "--transcribe", "--seconds", "1")
    assert code == 1 and "No speech model is downloaded" in err
    assert not (tmp_path / "a.wav").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PulseAudio is the Linux route")
def test_computer_sound_without_a_sound_server_explains_and_writes_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'no-server'}")  # a server that is not there
    code, _, err = run(capsys, str(tmp_path / "a.wav"), "--source", "system", "--seconds", "1")
    assert code == 1 and "You can still record your microphone" in err
    assert not Path(tmp_path / "a.wav").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PulseAudio is the Linux route")
def test_a_language_an_english_model_cannot_do_is_said_before_recording(capsys, tmp_path, monkeypatch, stt_model_path):
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'no-server'}")
    code, _, err = run(capsys, str(tmp_path / "a.wav"), "--source", "system", "--seconds", "1", "--transcribe",
                       "--language", "de", "--stt-model", str(stt_model_path))
    assert "only knows English" in err  # told before anything is recorded
    assert code == 1 and "You can still record your microphone" in err
