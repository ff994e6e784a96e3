"""Transcript loading (.txt, .md, .vtt, .srt) and token-aware chunking."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.core.engines.fake import fake_tokens
from assistant.core.meetings.transcript import (
    TranscriptError,
    chunk_text,
    load_transcript,
    parse_transcript,
    sniff_format,
    split_speaker,
)
from tests.support import TEST_DATA

DATA = TEST_DATA / "transcripts"


def test_vtt_keeps_voices_timestamps_and_skips_notes_and_ids():
    text = (
        "WEBVTT\n\nNOTE written for this test\n\n"
        "intro\n00:00:01.000 --> 00:00:04.000 align:start\n<v Anna Schmidt>Hello <b>everyone</b>.</v>\n\n"
        "00:00:04.000 --> 00:00:06.500\n<v Anna Schmidt>Let's start.\n\n"
        "00:01:02.250 --> 00:01:05.000\n<v.loud Ben>Hi Anna.</v>\n\n"
        "00:01:06.000 --> 00:01:07.000\nNo voice here\n"
    )
    transcript = parse_transcript(text)
    assert transcript.source_format == "vtt"
    assert [(s.speaker, s.text, s.start, s.end) for s in transcript.segments] == [
        ("Anna Schmidt", "Hello everyone. Let's start.", 1.0, 6.5),
        ("Ben", "Hi Anna.", 62.25, 65.0),
        (None, "No voice here", 66.0, 67.0),
    ]
    assert transcript.render().splitlines()[1] == "[00:01:02] Ben: Hi Anna."
    assert transcript.speakers == ["Anna Schmidt", "Ben"]


def test_srt_file_with_speaker_prefixes():
    transcript = load_transcript(DATA / "small.srt")
    assert transcript.source_format == "srt"
    assert [s.speaker for s in transcript.segments] == ["Lena", "Omar", "Lena", "Omar", "Lena"]
    assert transcript.segments[0].text.startswith("Hi both") and "400 euros" in transcript.segments[0].text
    assert transcript.segments[2].start == pytest.approx(15.0)
    assert transcript.duration == pytest.approx(27.9)


def test_plain_text_speakers_continuations_and_headings():
    transcript = load_transcript(DATA / "standup.txt")
    first, second = transcript.segments[:2]
    assert first.speaker is None and first.text == "Daily stand-up, platform team"
    assert second.speaker == "Maya" and second.text.startswith("Morning everyone")
    assert transcript.speakers == ["Maya", "Jonas", "Aisha"]
    assert all(s.start is None for s in transcript.segments)
    assert "[" not in transcript.render()  # no invented timestamps

    wrapped = parse_transcript("Anna: first line\nstill Anna talking\n\nNote: not a speaker line\n[00:02:03] Ben: late")
    assert [(s.speaker, s.text, s.start) for s in wrapped.segments] == [
        ("Anna", "first line still Anna talking", None),
        (None, "Note: not a speaker line", None),
        ("Ben", "late", 123.0),
    ]


def test_markdown_bold_speakers_and_bullets():
    transcript = parse_transcript("# Sync\n\n**Anna:** we ship Friday\n\n- Ben: fine\n", "md")
    assert [(s.speaker, s.text) for s in transcript.segments] == [(None, "Sync"), ("Anna", "we ship Friday"), ("Ben", "fine")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Dr. Anna Schmidt: hello", ("Dr. Anna Schmidt", "hello")),
        ("[Ben] okay then", ("Ben", "okay then")),
        ("http://example.org: a link", (None, "http://example.org: a link")),
        ("10:30 is fine", (None, "10:30 is fine")),
        ("This sentence is far too long to be a speaker name at all: x", (None, "This sentence is far too long to be a speaker name at all: x")),
    ],
)
def test_split_speaker(line, expected):
    assert split_speaker(line) == expected


def test_load_errors_are_plain(tmp_path):
    with pytest.raises(TranscriptError, match="does not exist"):
        load_transcript(tmp_path / "missing.txt")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    with pytest.raises(TranscriptError, match=r"\.txt, \.md, \.vtt or \.srt"):
        load_transcript(tmp_path / "notes.docx")
    (tmp_path / "empty.vtt").write_text("WEBVTT\n\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match="no text"):
        load_transcript(tmp_path / "empty.vtt")


def test_encodings(tmp_path):
    (tmp_path / "latin.txt").write_bytes("Jürgen: Grüße aus Köln".encode("cp1252"))
    assert load_transcript(tmp_path / "latin.txt").segments[0].text == "Grüße aus Köln"
    (tmp_path / "utf16.txt").write_bytes("Zoë: ça va".encode("utf-16"))
    assert load_transcript(tmp_path / "utf16.txt").segments[0].speaker == "Zoë"
    (tmp_path / "bom.vtt").write_bytes("\ufeffWEBVTT\n\n00:00.000 --> 00:02.000\nhi\n".encode())
    assert load_transcript(tmp_path / "bom.vtt").segments[0].text == "hi"


def test_sniffing():
    assert sniff_format("WEBVTT\n\n") == "vtt"
    assert sniff_format("1\n00:00:01,000 --> 00:00:02,000\nhi") == "srt"
    assert sniff_format("Anna: hi") == "txt"


def test_planning_meeting_is_an_hour_of_about_9000_words():
    transcript = load_transcript(DATA / "planning_60min.vtt")
    assert transcript.duration == pytest.approx(3600, abs=1)
    assert 8500 <= transcript.word_count <= 9500
    assert len(transcript.speakers) == 6
    assert transcript.render().count("Action item:") == 12


def test_shipped_transcripts_all_load():
    for path in sorted(DATA.iterdir()):
        if path.suffix in (".txt", ".md", ".vtt", ".srt"):
            assert load_transcript(path).word_count > 50, path.name


# --- chunking -----------------------------------------------------------------------------


def _word_tokens(text: str) -> int:
    return len(fake_tokens(text))


def _subword_tokens(text: str) -> int:
    """A BPE-like counter: long words cost several tokens, a lone character one."""
    return sum(max(1, math.ceil(len(word.strip()) / 4)) for word in fake_tokens(text))


def _check_chunks(text: str, chunks, count, budget: int) -> None:
    if not text:
        assert chunks == []
        return
    assert chunks[0].start == 0
    assert chunks[-1].end == len(text)
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.tokens == count(chunk.text)
        assert chunk.tokens <= budget or len(chunk.text) == 1
    for before, after in itertools.pairwise(chunks):
        assert after.start <= before.end  # touching or overlapping: nothing between them is skipped
        assert after.start > before.start and after.end > before.end  # always moving forward
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert covered == set(range(len(text)))


_texts = st.lists(
    st.sampled_from(list("abcdefghij klmnop\n\n\t.,:äß") + ["Anna: ", "word ", "x" * 30, "\n\n", "   "]),
    max_size=200,
).map("".join) | st.text(max_size=300)


@settings(max_examples=150, deadline=None)
@given(text=_texts, budget=st.integers(1, 60), overlap=st.integers(0, 30))
def test_chunks_cover_all_text_within_budget_words(text, budget, overlap):
    chunks = chunk_text(text, _word_tokens, budget, overlap)
    _check_chunks(text, chunks, _word_tokens, budget)


@settings(max_examples=150, deadline=None)
@given(text=_texts, budget=st.integers(1, 40), overlap=st.integers(0, 20))
def test_chunks_cover_all_text_within_budget_subwords(text, budget, overlap):
    chunks = chunk_text(text, _subword_tokens, budget, overlap)
    _check_chunks(text, chunks, _subword_tokens, budget)


def test_chunks_prefer_line_breaks_and_overlap():
    text = "".join(f"Speaker{i % 3}: sentence number {i} of the meeting.\n" for i in range(200))
    chunks = chunk_text(text, _word_tokens, 100, 20)
    assert len(chunks) > 5
    for chunk in chunks[:-1]:
        assert chunk.text.endswith("\n")
    for before, after in itertools.pairwise(chunks):
        shared = text[after.start : before.end]
        assert 0 < _word_tokens(shared) <= 20


def test_chunk_budget_must_be_positive():
    with pytest.raises(ValueError):
        chunk_text("abc", _word_tokens, 0)


# --- one segment type, one timestamp format -------------------------------------------------


def test_a_recorded_segment_renders_like_an_imported_one() -> None:
    from assistant.core.audio import live_stt, stt
    from assistant.core.meetings.transcript import Segment, parse_transcript

    assert stt.Segment is Segment and live_stt.Segment is Segment  # speech to text makes the meetings' segments
    imported = parse_transcript("[00:01:05] We ship on Friday.").segments[0]
    recorded = Segment("We ship on Friday.", start=65.4, end=67.0, latency=0.8)  # as LiveTranscriber makes it
    assert recorded.render() == imported.render() == "[00:01:05] We ship on Friday."
    assert recorded.to_dict() == {"start": 65.4, "end": 67.0, "text": "We ship on Friday.", "latency": 0.8}


def test_clock_is_the_timestamp_without_empty_hours() -> None:
    from assistant.core.meetings.transcript import clock, format_timestamp

    assert (clock(83.9), format_timestamp(83.9)) == ("01:23", "00:01:23")
    assert clock(3723) == format_timestamp(3723) == "01:02:03"
    assert clock(-5) == "00:00"
