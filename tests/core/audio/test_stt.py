"""Transcription with faster-whisper tiny.en on espeak-ng speech: files, formats, cancel, CLI, live.

Word error rate bound: tiny.en (int8, greedy and beam 5) scored 0.033 on the meeting script
here (2 errors in 61 words: "by" -> "high", "spend" -> "send"), after spelling out numbers
("$4,000" -> "four thousand dollars"). The bound is 0.15 (9 words): room for the run-to-run
and CPU-to-CPU variation of int8 decoding of a robotic voice, while a real fault (wrong sample
rate, lost or repeated audio, a broken decoder) scores far above it (0.4 to 1.0).
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from assistant.cli import main as cli_main
from assistant.core.audio.capture import Resampler
from assistant.core.audio.live_stt import LiveTranscriber
from assistant.core.audio.stt import SpeechRecognizer, TranscribeError, resolve_speech_model
from assistant.core.audio.vad import EnergyVad
from assistant.core.audio.wav import read_wav
from assistant.core.engines.base import GenerationParams
from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings import (
    FENCE_BEGIN,
    FENCE_END,
    MeetingContext,
    RollingSummarizer,
)
from assistant.core.meetings.transcript import Segment
from tests.support import stt_fixtures
from tests.support.notes import extraction_json
from tests.support.stt_fixtures import KEY_WORDS, MEETING_SCRIPT, word_error_rate, words

meeting_wav = stt_fixtures.meeting_wav
stt_model_path = stt_fixtures.stt_model_path

WER_BOUND = 0.15
#: Live pieces start at pauses, without the sentence before: tiny.en then hears espeak-ng's
#: "Bob" at the start of a piece as "Mom" or "My" (tried here with 0 to 1 s of lead-in and a
#: text prompt), so the live check leaves that one name out; the whole-file checks keep it.
LIVE_KEY_WORDS = tuple(word for word in KEY_WORDS if word != "bob")


@pytest.fixture(scope="module")
def recognizer(stt_model_path) -> SpeechRecognizer:
    return SpeechRecognizer(stt_model_path, threads=2)


@pytest.fixture(scope="module")
def meeting_16k(meeting_wav) -> np.ndarray:
    samples, rate = read_wav(meeting_wav)
    resampler = Resampler(rate)
    return np.concatenate([resampler.process(samples), resampler.flush()])


def assert_key_words(text: str, keys=KEY_WORDS) -> None:
    heard = set(words(text))
    missing = [k for k in keys if k not in heard]
    assert not missing, f"missing {missing} in: {text}"


def test_file_transcript_is_accurate_with_timestamps_and_progress(recognizer, meeting_wav):
    progress = []
    result = recognizer.transcribe_file(meeting_wav, progress=lambda done, total: progress.append((done, total)))
    assert word_error_rate(MEETING_SCRIPT, result.text) <= WER_BOUND, result.text
    assert_key_words(result.text)
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts) and all(s.end > s.start for s in result.segments)
    assert result.segments[-1].end == pytest.approx(result.duration, abs=2.0)
    assert 20 < result.duration < 30 and result.language == "en"
    done = [d for d, _ in progress]
    assert done == sorted(done) and progress[-1] == (result.duration, result.duration)


def encode(source, target, codec: str, rate: int = 48000):
    """Re-encode a WAV with PyAV (as a user's mp3/m4a/webm would arrive)."""
    import av

    samples, src_rate = read_wav(source)
    with av.open(str(target), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = src_rate
        for converted in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(converted):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return target


@pytest.mark.parametrize(("name", "codec"), [("meeting.webm", "libopus"), ("meeting.m4a", "aac")])
def test_compressed_and_video_container_files_are_transcribed(recognizer, meeting_wav, tmp_path, name, codec):
    path = encode(meeting_wav, tmp_path / name, codec)
    result = recognizer.transcribe_file(path)
    assert word_error_rate(MEETING_SCRIPT, result.text) <= WER_BOUND, result.text
    assert_key_words(result.text)


def test_cancel_stops_between_segments(recognizer, meeting_wav):
    cancel = threading.Event()
    result = recognizer.transcribe_file(meeting_wav, cancel=cancel, on_segment=lambda segment: cancel.set())
    assert result.cancelled and len(result.segments) == 1


def test_unreadable_file_and_missing_model_give_plain_errors(recognizer, tmp_path):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"\x00not audio" * 100)
    with pytest.raises(TranscribeError, match="could not be read as audio"):
        recognizer.transcribe_file(broken)
    with pytest.raises(TranscribeError, match="No speech model is downloaded"):
        resolve_speech_model(None)
    with pytest.raises(TranscribeError, match="is not downloaded"):
        resolve_speech_model("whisper-base.en")


def test_model_id_resolves_to_the_models_folder(stt_model_path, isolated_data_dir):
    folder = isolated_data_dir / "models" / "whisper-tiny.en"
    folder.mkdir(parents=True)
    for item in stt_model_path.iterdir():
        (folder / item.name).symlink_to(item)
    assert resolve_speech_model("whisper-tiny.en") == folder
    assert resolve_speech_model(None) == folder


def test_cli_prints_timestamped_lines_and_json(stt_model_path, meeting_wav, capsys):
    assert cli_main(["transcribe", str(meeting_wav), "--stt-model", str(stt_model_path), "--threads", "2"]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines[0].startswith("[00:00:00] ") and all(line.startswith("[00:") for line in lines)
    assert "100%" in err and "real-time factor" in err
    assert cli_main(["transcribe", str(meeting_wav), "--stt-model", str(stt_model_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["language"] == "en" and len(data["segments"]) == len(lines)
    assert {"start", "end", "text"} <= set(data["segments"][0])
    assert_key_words(" ".join(s["text"] for s in data["segments"]))


def test_cli_without_a_model_explains_what_to_do(meeting_wav, capsys):
    assert cli_main(["transcribe", str(meeting_wav)]) == 1
    assert "No speech model is downloaded" in capsys.readouterr().err


# --- live -----------------------------------------------------------------------------------------


def test_vad_cuts_at_pauses_and_drops_clicks():
    rate = 16000
    tone = (0.3 * np.sin(2 * np.pi * 200 * np.arange(rate) / rate)).astype(np.float32)
    silence = np.zeros(rate // 2, np.float32)
    click = np.full(160, 0.5, np.float32)
    stream = np.concatenate([silence, tone, silence, click, silence, tone[: rate // 2], silence])
    vad = EnergyVad()
    pieces = [p for i in range(0, len(stream), 1600) for p in vad.push(stream[i : i + 1600])] + vad.flush()
    assert [round(start, 1) for start, _ in pieces] == [0.2, 2.3]  # pre-roll: 0.3 s, or the quiet since the click
    assert 1.55 <= len(pieces[0][1]) / rate <= 1.7  # pre-roll + 1 s of tone + the 0.3 s pause that closed it


def test_vad_splits_long_speech_at_its_quietest_moment():
    rate = 16000
    loud = (0.3 * np.sin(2 * np.pi * 200 * np.arange(rate * 20) / rate)).astype(np.float32)
    loud[rate * 8 : rate * 8 + 3200] *= 0.05  # a short dip, too short to count as a pause
    vad = EnergyVad(max_seconds=10.0)
    pieces = vad.push(loud) + vad.flush()
    assert len(pieces[0][1]) / rate == pytest.approx(8.1, abs=0.15)
    assert sum(len(p) for _, p in pieces) == len(loud)


def notes_reader(seen: list[str]):
    """A fake model that notes every capitalized word of the fenced transcript it is shown."""

    def script(messages, params: GenerationParams) -> str:
        body = messages[-1]["content"].split(FENCE_BEGIN, 1)[1].split(FENCE_END, 1)[0]
        seen.append(body)
        if "decisions" not in params.json_schema["properties"]:
            return json.dumps({"title": "Planning", "summary": ["Condensed."]})
        # one bullet naming every capitalized word shown: what the notes hold does not depend on
        # where the live steps cut the talk (the last three sentences of a part missed "Wednesday"
        # when the spans arrived in fewer, larger steps)
        named = dict.fromkeys(w.strip(".,?!") for w in body.split() if w[:1].isupper())
        return extraction_json(title="Planning", summary=["Mentioned: " + " ".join(named)])

    return script


def test_live_spans_reach_the_rolling_summarizer_in_order_and_stop_gives_notes(recognizer, meeting_16k):
    seen: list[str] = []
    engine = FakeEngine(notes_reader(seen), n_ctx=2048)
    engine.load("fake.gguf")
    notes = RollingSummarizer(engine, MeetingContext.create(None, "UTC"), min_update_tokens=20)
    spans: list[Segment] = []

    def on_text(span: Segment) -> None:
        spans.append(span)
        notes.feed(span.text + "\n")
        notes.step()  # the live notes worker's job; here in line for a deterministic test

    live = LiveTranscriber(recognizer, on_text)
    live.start()
    for i in range(0, len(meeting_16k), 1600):  # 0.1 s blocks, as the recorder delivers them
        live.feed(meeting_16k[i : i + 1600])
    assert live.finish(timeout=60) == spans
    starts = [s.start for s in spans]
    assert len(spans) >= 4 and starts == sorted(starts)
    text = " ".join(s.text for s in spans)
    assert word_error_rate(MEETING_SCRIPT, text) <= WER_BOUND, text
    assert_key_words(text, LIVE_KEY_WORDS)
    assert notes.transcript_text == "".join(s.text + "\n" for s in spans)  # every span, in order
    result = notes.finish()
    assert "".join(seen).find(spans[0].text) < "".join(seen).find(spans[-1].text)
    assert result.structured and any("Wednesday" in bullet for bullet in result.notes.summary)


class SlowRecognizer:
    """Stands in for a model slower than real time: each call waits until the test lets it go."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[float] = []
        self.release = threading.Event()
        self.entered = threading.Event()

    def transcribe_array(self, samples: np.ndarray) -> list[Segment]:
        self.calls.append(len(samples) / 16000)
        self.entered.set()
        self.release.wait(60)
        vad = EnergyVad()  # one segment per tone burst heard, as a model gives one per sentence
        bursts = vad.push(samples) + vad.flush()
        return [Segment(f"{self.name} {len(self.calls)}", start=start, end=start + len(a) / 16000) for start, a in bursts]


def speech_bursts(count: int, rate: int = 16000) -> np.ndarray:
    tone = (0.3 * np.sin(2 * np.pi * 200 * np.arange(rate) / rate)).astype(np.float32)
    gap = np.zeros(rate // 2, np.float32)
    return np.concatenate([np.concatenate([tone, gap]) for _ in range(count)])


def test_falling_behind_is_reported_and_handled_by_batching_then_a_smaller_model(tmp_path):
    main, small = SlowRecognizer("main"), SlowRecognizer("small")
    small.release.set()
    statuses, spans = [], []
    live = LiveTranscriber(
        main, spans.append, on_status=statuses.append, fallback=small, behind_seconds=4.0, max_batch_seconds=5.0
    )
    live.start()
    audio = speech_bursts(12)
    live.feed(audio[:24000])  # first burst: the model starts on it and is stuck there
    assert main.entered.wait(60)
    live.feed(audio[24000:])  # eleven more arrive meanwhile
    main.release.set()
    live.finish(timeout=60)
    assert statuses[0].behind and "behind real time" in statuses[0].message
    assert any("smaller" in s.message for s in statuses) and live.stats.switched_model
    assert not statuses[-1].behind
    assert live.stats.batched_calls >= 1 and live.stats.calls < live.stats.pieces == 12
    assert max(main.calls + small.calls) <= live.max_batch_seconds
    assert [s.text for s in spans][:2] == ["main 1", "main 2"] and spans[-1].text.startswith("small")
    starts = [s.start for s in spans]
    assert len(spans) == 12 and starts == sorted(starts)  # every burst once, in order
    assert all(1.5 * i - 0.35 <= start <= 1.5 * i + 0.05 for i, start in enumerate(starts))  # burst i, with pre-roll


def test_backlog_is_bounded_and_skipped_audio_is_transcribed_from_the_file(tmp_path):
    from assistant.core.audio.wav import CrashSafeWavWriter

    audio = speech_bursts(10)
    wav = tmp_path / "audio.wav"
    with CrashSafeWavWriter(wav) as writer:
        writer.write(audio)
    slow = SlowRecognizer("m")
    statuses, spans = [], []
    live = LiveTranscriber(slow, spans.append, on_status=statuses.append, max_backlog_seconds=4.0, audio_file=wav)
    live.start()
    live.feed(audio[:24000])
    assert slow.entered.wait(60)
    live.feed(audio[24000:])  # nine more pieces, far past the backlog limit
    assert len(live._queue) <= 4  # bounded while the model is stuck
    assert live.stats.skipped and "transcribed from the recording" in statuses[-1].message
    slow.release.set()
    live.finish(timeout=60)
    assert len(spans) == 10  # every burst once: live, or from the file after the stop
    assert all(1.5 * i - 0.35 <= s.start <= 1.5 * i + 0.05 for i, s in enumerate(live.spans))
