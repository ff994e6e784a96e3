"""Meeting transcripts: load .txt, .md, .vtt and .srt, and cut them into token-sized chunks.

A :class:`Transcript` is a list of :class:`Segment` (start/end seconds, speaker, text),
keeping timestamps and speaker names when the source has them. :meth:`Transcript.render`
gives the text shown to the model, one segment per line (``[00:01:05] Anna: ...``).

:func:`chunk_text` splits any text into overlapping chunks that each fit a token budget and
together cover every character of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.text_files import NotTextError, decode_text

SUPPORTED_SUFFIXES = (".txt", ".md", ".vtt", ".srt")
#: Above this many words a transcript is "long": the user is told the time it takes and chooses.
LONG_TRANSCRIPT_WORDS = 20_000
#: Summarizing speed used for the estimate (a laptop CPU; the outside test's 5 MB took 16 hours).
WORDS_PER_MINUTE = 1_000


class TranscriptError(Exception):
    """A transcript file could not be read; the message is meant for the user."""


@dataclass
class Segment:
    """One utterance: who said what, and when (seconds from the start) when known.

    Imported transcripts and recorded ones (speech to text) are both made of these, and
    render alike: ``[hh:mm:ss] Speaker: text``.
    """

    text: str
    speaker: str | None = None
    start: float | None = None
    end: float | None = None
    latency: float | None = None  # live recognition only: seconds from the speech being recorded to this text

    def render(self) -> str:
        prefix = f"[{format_timestamp(self.start)}] " if self.start is not None else ""
        who = f"{self.speaker}: " if self.speaker else ""
        return f"{prefix}{who}{self.text}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"start": round(self.start or 0.0, 2), "end": round(self.end or 0.0, 2), "text": self.text}
        if self.speaker:
            data["speaker"] = self.speaker
        if self.latency is not None:
            data["latency"] = round(self.latency, 3)
        return data


@dataclass
class Transcript:
    """A transcript as segments, with the format it was read from."""

    segments: list[Segment] = field(default_factory=list)
    source_format: str = "txt"
    warnings: list[str] = field(default_factory=list)  # what was read with less certainty, for the user

    def render(self) -> str:
        """The text given to the model: one segment per line, timestamps and speakers kept."""
        return "\n".join(segment.render() for segment in self.segments)

    @property
    def text(self) -> str:
        """Only what was said, without timestamps or speakers."""
        return "\n".join(segment.text for segment in self.segments)

    @property
    def speakers(self) -> list[str]:
        """Speaker names in order of first appearance."""
        seen: dict[str, None] = {}
        for segment in self.segments:
            if segment.speaker:
                seen.setdefault(segment.speaker, None)
        return list(seen)

    @property
    def duration(self) -> float | None:
        """Seconds from the first to the last timestamp, when the transcript has timestamps."""
        times = [s.end if s.end is not None else s.start for s in self.segments]
        times = [t for t in times if t is not None]
        return max(times) if times else None

    @property
    def word_count(self) -> int:
        return sum(len(segment.text.split()) for segment in self.segments)


def format_timestamp(seconds: float) -> str:
    """hh:mm:ss for a place in a transcript (the one timestamp format of segments)."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def clock(seconds: float) -> str:
    """A length of audio for display: 01:23, or 01:02:03 from an hour on."""
    stamp = format_timestamp(max(0.0, seconds))
    return stamp[3:] if stamp.startswith("00:") else stamp


# --- parsing -------------------------------------------------------------------------------

_CUE_TIME = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_VOICE_TAG = re.compile(r"<v(?:\.[^\s>]+)*\s+([^>]+)>")
_ANY_TAG = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")
# "Anna:", "Dr. Anna Schmidt:", "[Anna]", "**Anna:**" — a short name, then the words said.
_SPEAKER = re.compile(
    r"^(?:\*\*|__)?(?P<name>[^\W\d_][\w.'’\- ]{0,38}?)(?:\*\*|__)?\s*:(?:\*\*|__)?\s+(?P<text>\S.*)$"
)
_BRACKET_SPEAKER = re.compile(r"^\[(?P<name>[^\W\d_][\w.'’\- ]{0,38})\]\s*:?\s+(?P<text>\S.*)$")
_LINE_TIME = re.compile(r"^\[?(?P<time>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\]?\s*[-–]?\s*(?P<rest>.*)$")
_NOT_SPEAKERS = {"http", "https", "note", "notes", "agenda", "todo", "action", "action items", "re", "fwd"}


def parse_timestamp(value: str) -> float:
    """Seconds in ``HH:MM:SS.mmm``, ``HH:MM:SS,mmm`` or ``MM:SS``."""
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def split_speaker(line: str) -> tuple[str | None, str]:
    """``"Anna: we ship Friday"`` -> ``("Anna", "we ship Friday")``; no speaker -> ``(None, line)``."""
    for pattern in (_BRACKET_SPEAKER, _SPEAKER):
        match = pattern.match(line)
        if match:
            name = match.group("name").strip()
            if name.lower() not in _NOT_SPEAKERS and len(name.split()) <= 4:
                return name, match.group("text").strip()
    return None, line


def _clean_cue_text(lines: list[str]) -> tuple[str | None, str]:
    speaker = None
    pieces = []
    for line in lines:
        voice = _VOICE_TAG.search(line)
        if voice and speaker is None:
            speaker = voice.group(1).strip()
        pieces.append(_ANY_TAG.sub("", line).strip())
    text = " ".join(piece for piece in pieces if piece)
    if speaker is None:
        speaker, text = split_speaker(text)
    return speaker, text


_BROKEN_TIME = re.compile(r"-->|->|\d{1,2}:\d{2}")
_NOT_CUES = ("WEBVTT", "NOTE", "STYLE", "REGION")


def _parse_cues(text: str) -> tuple[list[Segment], int]:
    """Cues of WebVTT or SRT: a timing line, then text lines up to a blank line.

    A cue whose timing line cannot be read keeps its text (without a time): losing what
    was said is worse than losing when. Returns the segments and the number of such cues.
    """
    segments: list[Segment] = []
    untimed = 0
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines or lines[0].lstrip().startswith(_NOT_CUES):
            continue
        if not any(_CUE_TIME.match(line) for line in lines):
            body = lines[1:] if lines[0].strip().isdigit() else lines  # an SRT/VTT cue number
            if body and _BROKEN_TIME.search(body[0]):
                body = body[1:]  # the unreadable timing line itself
            speaker, said = _clean_cue_text(body)
            if said:
                segments.append(Segment(text=said, speaker=speaker))
                untimed += 1
            continue
        for index, line in enumerate(lines):
            match = _CUE_TIME.match(line)
            if match:
                speaker, said = _clean_cue_text(lines[index + 1 :])
                if said:
                    segments.append(
                        Segment(
                            text=said,
                            speaker=speaker,
                            start=parse_timestamp(match.group("start")),
                            end=parse_timestamp(match.group("end")),
                        )
                    )
                break
    return _merge_same_speaker(segments), untimed


def _merge_same_speaker(segments: list[Segment]) -> list[Segment]:
    """Join consecutive cues of one named speaker (subtitles split sentences across cues)."""
    merged: list[Segment] = []
    for segment in segments:
        last = merged[-1] if merged else None
        if last is not None and segment.speaker and last.speaker == segment.speaker and len(last.text) < 600:
            last.text = f"{last.text} {segment.text}"
            last.end = segment.end
        else:
            merged.append(Segment(segment.text, segment.speaker, segment.start, segment.end))
    return merged


def _parse_plain(text: str, markdown: bool = False) -> list[Segment]:
    """Plain text: each ``Speaker: text`` line starts a segment, a blank line ends one."""
    segments: list[Segment] = []
    current: Segment | None = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if markdown:
            line = re.sub(r"^(?:#{1,6}\s+|[-*+]\s+|>\s*)", "", line).strip()
        if not line:
            current = None
            continue
        start = None
        timed = _LINE_TIME.match(line)
        if timed and timed.group("rest"):
            start = parse_timestamp(timed.group("time"))
            line = timed.group("rest").strip()
        speaker, said = split_speaker(line)
        if current is not None and speaker is None and start is None:
            current.text = f"{current.text} {said}"
            continue
        current = Segment(text=said, speaker=speaker, start=start)
        segments.append(current)
    return segments


def sniff_format(text: str) -> str:
    """Guess ``vtt``, ``srt`` or ``txt`` from the content."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if re.match(r"^\d+\s*\n\s*\d{1,2}:\d{2}:\d{2},\d{1,3}\s*-->", head):
        return "srt"
    return "txt"


def parse_transcript(text: str, fmt: str | None = None) -> Transcript:
    """Parse transcript text; ``fmt`` is ``txt``, ``md``, ``vtt`` or ``srt`` (guessed when None)."""
    fmt = (fmt or sniff_format(text)).lower().lstrip(".")
    text = text.lstrip("\ufeff")
    warnings: list[str] = []
    if fmt in ("vtt", "srt"):
        segments, untimed = _parse_cues(text)
        body = re.sub(r"^WEBVTT[^\n]*\n?", "", text.lstrip())
        if untimed == len(segments) and body.strip():  # not really cues: keep the words anyway
            segments, fmt = _parse_plain(body), "txt"
        elif untimed:
            warnings.append(
                f"{untimed} of {len(segments)} cues had a timing line that could not be read; "
                "their text is kept without a time."
            )
    elif fmt in ("txt", "md"):
        segments = _parse_plain(text, markdown=fmt == "md")
    else:
        raise TranscriptError(f"Unsupported transcript format '{fmt}'. Use .txt, .md, .vtt or .srt.")
    return Transcript(segments=segments, source_format=fmt, warnings=warnings)


def read_text_file(path: Path) -> str:
    """File content as text (UTF-8, UTF-16/32 with BOM, else Windows-1252); NotTextError for binary data."""
    return decode_text(path.read_bytes())


def long_transcript_notice(words: int) -> str:
    """"" for an ordinary transcript; for a long one, how long summarizing it will take."""
    if words <= LONG_TRANSCRIPT_WORDS:
        return ""
    minutes = words / WORDS_PER_MINUTE
    took = f"{minutes / 60:.1f} hours" if minutes >= 90 else f"{minutes:.0f} minutes"
    return (
        f"This transcript has {words:,} words: summarizing it will take about {took} on a laptop CPU "
        "(less with a fast GPU or a team server)."
    )


def load_transcript(path: str | Path) -> Transcript:
    """Read a .txt, .md, .vtt or .srt file; raises :class:`TranscriptError` with a plain message."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise TranscriptError(
            f"'{path.name}' is not a supported transcript. Open a .txt, .md, .vtt or .srt file."
        )
    try:
        text = read_text_file(path)
    except FileNotFoundError:
        raise TranscriptError(f"The file '{path}' does not exist. Check the name and folder.") from None
    except OSError as exc:
        raise TranscriptError(f"Could not read '{path}': {exc.strerror or exc}.") from None
    except NotTextError as exc:
        raise TranscriptError(f"'{path.name}' is not a text transcript ({exc}); nothing was summarized.") from None
    transcript = parse_transcript(text, suffix.lstrip("."))
    if not transcript.segments:
        raise TranscriptError(f"'{path.name}' contains no text to summarize.")
    return transcript


# --- chunking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """A span ``text[start:end]`` of the source and its token count."""

    start: int
    end: int
    text: str
    tokens: int


def _pieces(text: str) -> list[tuple[int, int]]:
    """Cut points: lines, then words; each piece keeps its trailing whitespace."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]*\n|[^\n]+$", text):
        spans.append((line.start(), line.end()))
    return spans


def _split_words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+\s*|\s+", text[start:end])]
    return spans or [(start, end)]


def chunk_text(
    text: str,
    count_tokens: Callable[[str], int],
    budget: int,
    overlap: int = 0,
) -> list[Chunk]:
    """Overlapping chunks of at most ``budget`` tokens that together cover all of ``text``.

    Chunks end at line breaks when possible, else between words, else inside a word.
    Each chunk after the first starts up to ``overlap`` tokens before the previous one ended,
    so a sentence cut at a border is read whole at least once. Consecutive chunks always
    overlap or touch, and each one ends further than the previous.
    """
    if budget < 1:
        raise ValueError("The chunk budget must be at least one token.")
    if not text:
        return []
    pieces = _fit_pieces(text, _pieces(text), count_tokens, budget)
    costs = [count_tokens(text[a:b]) for a, b in pieces]
    chunks: list[Chunk] = []
    first, previous_last = 0, -1
    while first < len(pieces):
        last = _extend(text, pieces, costs, first, budget, count_tokens)
        if last <= previous_last:  # the overlap left no room for new text: start after the last chunk
            first = previous_last + 1
            last = _extend(text, pieces, costs, first, budget, count_tokens)
        span_text = text[pieces[first][0] : pieces[last][1]]
        chunks.append(Chunk(pieces[first][0], pieces[last][1], span_text, count_tokens(span_text)))
        if last + 1 >= len(pieces):
            break
        previous_last = last
        next_first, carried = last + 1, 0
        while next_first - 1 > first and carried + costs[next_first - 1] <= overlap:
            next_first -= 1
            carried += costs[next_first]
        first = next_first
    return chunks


def _extend(
    text: str,
    pieces: list[tuple[int, int]],
    costs: list[int],
    first: int,
    budget: int,
    count_tokens: Callable[[str], int],
) -> int:
    """Index of the last piece of the longest run from ``first`` whose text fits ``budget``."""
    last, total = first, costs[first]
    while last + 1 < len(pieces) and total + costs[last + 1] <= budget:
        last += 1
        total += costs[last]
    while last > first and count_tokens(text[pieces[first][0] : pieces[last][1]]) > budget:
        last -= 1  # tokenizers can merge across pieces: verify the joined text
    return last


def _fit_pieces(
    text: str, spans: Iterable[tuple[int, int]], count_tokens: Callable[[str], int], budget: int
) -> list[tuple[int, int]]:
    """Split any piece over ``budget`` tokens into words, and words into halves, until all fit."""
    fitted: list[tuple[int, int]] = []
    for start, end in spans:
        if count_tokens(text[start:end]) <= budget:
            fitted.append((start, end))
            continue
        for w_start, w_end in _split_words(text, start, end):
            stack = [(w_start, w_end)]
            while stack:
                a, b = stack.pop()
                if b - a <= 1 or count_tokens(text[a:b]) <= budget:
                    fitted.append((a, b))
                else:
                    middle = (a + b) // 2
                    stack.extend([(middle, b), (a, middle)])
    return fitted
