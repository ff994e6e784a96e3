"""A two-sided call for tests and bench/two_source.py: espeak-ng turns for "You" and "Others", and scoring.

The microphone track holds your sentences and silence while the others speak; the computer's
track the reverse. The echo track is the microphone track plus the computer's at lower volume,
as when the call plays through speakers into the microphone.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from assistant.core.audio.speakers import OTHERS, YOU, echo_share
from assistant.core.audio.wav import CrashSafeWavWriter, read_wav
from assistant.core.meetings.transcript import Segment
from tests.support import stt_fixtures

#: (speaker, sentence) in the order they are said.
TURNS = [
    (YOU, "Good morning, this is the weekly planning call."),
    (OTHERS, "Thanks, the design team finished the new logo yesterday."),
    (YOU, "I will send the budget report by Friday."),
    (OTHERS, "We still need a decision about the printing company."),
    (YOU, "Let us move the launch to the second week of June."),
    (OTHERS, "Maria will book the meeting room for Thursday afternoon."),
]
#: The tests' call: two sentences a side, about 18 s played in real time (the bench plays all six).
TEST_TURNS = TURNS[:4]
GAP_SECONDS = 0.9
#: Loudness of the call's sound as it leaks into the microphone.
ECHO_VOLUME = 0.3
#: A sentence counts as found in a segment when this share of its words is there.
FOUND_SHARE = 0.5


@dataclass
class CallTracks:
    mic: Path
    system: Path
    echo: Path  # microphone plus the call's sound, quieter
    seconds: float
    turns: list[tuple[str, str]] = field(default_factory=lambda: list(TURNS))


def _write(path: Path, samples: np.ndarray, rate: int) -> Path:
    with CrashSafeWavWriter(path, rate, 1) as writer:
        writer.write(samples)
    return path


def make_call(folder: Path, speak, turns: list[tuple[str, str]] = TURNS) -> CallTracks:
    """Speak each turn with ``speak(text, path)`` (espeak_wav) and lay the turns out on two tracks."""
    gap = None
    tracks: dict[str, list[np.ndarray]] = {YOU: [], OTHERS: []}
    rate = 0
    for index, (speaker, text) in enumerate(turns):
        said, rate = read_wav(speak(text, folder / f"turn{index}.wav"))
        gap = np.zeros(int(GAP_SECONDS * rate), np.float32)
        for who, parts in tracks.items():
            parts += [gap, said if who == speaker else np.zeros_like(said)]
    assert gap is not None
    mic, system = (np.concatenate([*tracks[who], gap, gap]) for who in (YOU, OTHERS))
    return CallTracks(
        _write(folder / "mic.wav", mic, rate),
        _write(folder / "system.wav", system, rate),
        _write(folder / "mic-echo.wav", mic + ECHO_VOLUME * system, rate),
        len(mic) / rate,
        list(turns),
    )


@dataclass
class Attribution:
    right: int  # sentences found, each with the right speaker
    missing: list[str]  # sentences not found at all
    wrong: list[tuple[str, str | None]]  # sentence, the speaker it got
    repeated: list[str]  # sentences found in more than one segment
    total: int = len(TURNS)  # sentences in the call

    @property
    def share(self) -> float:
        return self.right / self.total


def attribute(segments: list[Segment], turns: list[tuple[str, str]] = TURNS) -> Attribution:
    """Match each sentence of the call (``turns``) to the segments that hold it; check speaker and repeats."""
    result = Attribution(0, [], [], [], len(turns))
    for speaker, sentence in turns:
        holding = [s for s in segments if echo_share(sentence, [s.text]) >= FOUND_SHARE]
        if not holding:
            result.missing.append(sentence)
            continue
        best = max(holding, key=lambda s: echo_share(sentence, [s.text]))
        if best.speaker == speaker:
            result.right += 1
        else:
            result.wrong.append((sentence, best.speaker))
        if len(holding) > 1:
            result.repeated.append(sentence)
    return result


# --- PulseAudio devices for a call (import the fixtures into a test module by name) -------------

SPEAKERS = "speakers"


@pytest.fixture(scope="module")
def call_devices(virtual_mic):
    """The virtual microphone plus a ``speakers`` null sink as the default output ("this computer's sound")."""
    for command in (["pactl", "load-module", "module-null-sink", f"sink_name={SPEAKERS}"],
                    ["pactl", "set-default-sink", SPEAKERS]):
        done = subprocess.run(command, env=virtual_mic.env, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed: {done.stderr}")
    return virtual_mic


@pytest.fixture(scope="module")
def call(tmp_path_factory) -> CallTracks:
    return make_call(tmp_path_factory.mktemp("call"), stt_fixtures.espeak_wav, TEST_TURNS)


def play(devices, mic_track: Path, system_track: Path) -> list[subprocess.Popen]:
    """Play the call: the other side into the speakers, your side into the microphone."""
    return [
        subprocess.Popen(["paplay", f"--device={SPEAKERS}", str(system_track)], env=devices.env),
        subprocess.Popen(["paplay", f"--device={devices.SINK}", str(mic_track)], env=devices.env),
    ]
