"""A real two-sided call on Linux: PulseAudio null sinks for the microphone and the speakers, espeak-ng voices.

The microphone is the ``vmic`` sink's monitor (the default input, recorded through PortAudio as
the app does); "this computer's sound" is the ``speakers`` sink, the default output, recorded
from its monitor. Each side plays its turns of one call; the transcript must give each sentence
to the right speaker, and when the speakers also leak into the microphone, say nothing twice.
A recorder killed with SIGKILL mid-call leaves both files recoverable to within 5 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.core.audio.recordings import find_interrupted_recordings, recover_recording
from assistant.core.audio.sources import BOTH, MIC, SYSTEM, MultiRecorder, open_sources
from assistant.core.audio.speakers import LiveTranscripts
from assistant.core.audio.stt import SpeechRecognizer
from assistant.core.audio.wav import read_wav
from assistant.core.meetings.transcript import Segment
from tests.core.audio import conversation
from tests.core.audio.conversation import CallTracks, attribute, play
from tests.core.audio.killing import record_then_kill
from tests.support import ROOT, stt_fixtures
from tests.support.processes import PROCESS_WAIT

stt_model_path = stt_fixtures.stt_model_path
virtual_mic = stt_fixtures.virtual_mic
call_devices = conversation.call_devices
call = conversation.call

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the virtual devices are PulseAudio (Linux)"),
    pytest.mark.real_model,
    pytest.mark.audio,
]

def record_call_live(devices, mic_track: Path, call: CallTracks, model: Path) -> tuple[list[Segment], LiveTranscripts, dict]:
    """Record both sources as the app does, transcribing each live; the labelled transcript."""
    shown: list[Segment] = []
    live = LiveTranscripts(SpeechRecognizer(model, threads=2), [MIC, SYSTEM], shown.append)
    recorder = MultiRecorder(open_sources(BOTH, devices.DEVICE), listeners=live.listeners)
    recorder.start()
    live.start()
    try:
        players = play(devices, mic_track, call.system)
        assert all(player.wait(PROCESS_WAIT) == 0 for player in players)
    finally:
        result = recorder.stop()
        segments = live.finish(timeout=PROCESS_WAIT)
    assert result.error == "", result.error
    assert [s.text for s in shown] == [s.text for s in live.segments]  # everything was handed on live
    return segments, live, result.paths


def describe(segments: list[Segment]) -> str:
    return "\n".join(s.render() for s in segments)


def test_each_sentence_of_a_call_gets_its_speaker_once_though_the_microphone_hears_the_call(call_devices, call, stt_model_path):
    # The microphone track carries the call's sound too (speakers leaking into the microphone):
    # the harder case, and the one every two-sided call on a laptop without headphones has.
    segments, live, paths = record_call_live(call_devices, call.echo, call, stt_model_path)
    found = attribute(segments, call.turns)
    assert found.repeated == [] and found.wrong == [], (found, describe(segments))
    assert found.share == 1.0, (found, describe(segments))
    assert live.speakers is not None and live.speakers.echoes, "the microphone heard the call, so echoes should have been dropped"
    for path in paths.values():  # both files hold the whole call
        samples, rate = read_wav(path)
        assert len(samples) / rate >= call.seconds - 1.0


def test_record_command_transcribes_both_sources_as_json(call_devices, call, stt_model_path, tmp_path):
    out = tmp_path / "call.wav"
    command = [sys.executable, "-m", "assistant", "record", str(out), "--source", "both", "--device", call_devices.DEVICE,
               "--seconds", f"{call.seconds + 1.5:.1f}", "--transcribe", "--json", "--stt-model", str(stt_model_path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:  # wait until it records before playing
            if line.startswith("Recording"):
                break
        players = play(call_devices, call.echo, call.system)
        assert all(player.wait(PROCESS_WAIT) == 0 for player in players)
        stdout, stderr = process.communicate(timeout=PROCESS_WAIT * 3)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, stderr
    report = json.loads(stdout)
    assert report["files"] == {"mic": str(out), "system": str(tmp_path / "call.system.wav")}
    assert all(set(s) == {"start", "end", "speaker", "text"} for s in report["segments"])
    segments = [Segment(s["text"], s["speaker"], s["start"], s["end"]) for s in report["segments"]]
    found = attribute(segments, call.turns)
    assert found.share == 1.0 and not found.repeated, (found, describe(segments))
    assert report["echoes_dropped"] >= 1
    starts = [s.start for s in segments]
    assert starts == sorted(starts) and all(s.end >= s.start for s in segments)


KILLED_CALL_RECORDER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from assistant.core.audio.recordings import find_interrupted_recordings, recover_recording
from assistant.core.audio.sources import MultiRecorder, open_sources

recorder = MultiRecorder(open_sources("both", sys.argv[2]))
recorder.start()
print("started", flush=True)
while True:
    time.sleep(0.25)
    print("elapsed", *(r.elapsed for r in recorder.recorders.values()), flush=True)
"""


def test_kill_9_while_recording_a_call_recovers_both_sources(call_devices, call, isolated_data_dir, tmp_path):
    script = tmp_path / "record_call.py"
    script.write_text(KILLED_CALL_RECORDER)
    env = {**os.environ, "LLAMA_DESK_DATA_DIR": str(isolated_data_dir)}
    players: list[subprocess.Popen] = []
    try:  # both sides have spoken 12 s in
        elapsed = record_then_kill([sys.executable, str(script), str(ROOT), call_devices.DEVICE], env, enough=12.0,
                                   on_started=lambda: players.extend(play(call_devices, call.mic, call.system)))
    finally:
        for player in players:
            player.kill()
            player.wait()
    assert len(elapsed) == 2 and min(elapsed) >= 12.0, "the recorder did not run"
    found = find_interrupted_recordings()
    assert len(found) == 1
    assert recover_recording(found[0]) is not None
    for path, seconds in zip((found[0].folder / "audio.wav", found[0].folder / "system.wav"), elapsed, strict=True):
        with wave.open(str(path)) as repaired:
            frames, rate = repaired.getnframes(), repaired.getframerate()
        assert frames / rate >= seconds - 5.0, path.name
        samples, _ = read_wav(path)
        assert np.abs(samples).max() > 0.05, f"{path.name} holds no speech"
    assert find_interrupted_recordings() == []
