"""Who said what when both sources are recorded: the microphone is "You", the computer's sound "Others".

**Echo.** Without headphones the call's sound leaks from the speakers into the microphone, so
the same words arrive twice. A microphone segment is an *echo* when segments of the computer's
sound overlap it in time (within :data:`ECHO_TOLERANCE` seconds, covering the two paths' delay)
and hold most of its words (:data:`ECHO_SHARE`, words compared loosely, since the quieter copy is
often misheard). Only the microphone copy is dropped: the computer's sound is the clean one. A
microphone segment is checked whole and then sentence by sentence (one piece of speech may hold
your sentence and the echo after it); what has enough words of its own is kept, so nothing you
said is lost.

Live, :class:`LiveSpeakers` holds each microphone segment back until the computer's sound has
been transcribed past it, then drops or passes it; the computer's sound passes at once.
:class:`LiveTranscripts` wires it all for a recording: one live transcriber per source.

Names are per meeting: ``you``/``others`` when labelling, :func:`rename_speaker` (segments) and
:func:`rename_speaker_in_text` (a transcript kept as text) afterwards. Telling several people
apart inside "Others" needs a speaker-embedding model: none ships in a package this project can
depend on (the ONNX ones on PyPI download their model at run time; Resemblyzer ships one but
needs PyTorch), so "Others" stays one speaker, renamed by hand.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Iterable
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from assistant.core.audio.live_stt import LiveStatus, LiveTranscriber
from assistant.core.audio.stt import Recognizer
from assistant.core.dates import plain_words
from assistant.core.meetings.transcript import Segment

YOU, OTHERS = "You", "Others"
#: Seconds by which an echo may be early or late against the computer's sound.
ECHO_TOLERANCE = 1.0
#: Share of a microphone segment's words found in the computer's sound that makes it an echo.
ECHO_SHARE = 0.6


def _close_word(word: str, heard: set[str]) -> bool:
    if word in heard:
        return True
    if len(word) < 4:
        return False
    return any(abs(len(word) - len(other)) <= 2 and SequenceMatcher(None, word, other).ratio() >= 0.8 for other in heard)


def echo_share(text: str, others: Iterable[str]) -> float:
    """Share of the words of ``text`` (loosely) found among the words of ``others``."""
    words = plain_words(text)
    heard = {w for other in others for w in plain_words(other)}
    if not words:
        return 1.0  # nothing of its own: punctuation or silence text
    return sum(_close_word(w, heard) for w in words) / len(words)


def overlapping(segment: Segment, others: Iterable[Segment], tolerance: float = ECHO_TOLERANCE) -> list[Segment]:
    """The segments of ``others`` within ``tolerance`` seconds of ``segment``'s time."""
    start, end = segment.start or 0.0, segment.end if segment.end is not None else segment.start or 0.0
    return [o for o in others if (o.start or 0.0) - tolerance < end and (o.end or o.start or 0.0) + tolerance > start]


def is_echo(mic: Segment, system: Iterable[Segment], tolerance: float = ECHO_TOLERANCE) -> bool:
    """Whether a microphone segment repeats what the computer's sound said at the same time."""
    near = overlapping(mic, system, tolerance)
    return bool(near) and echo_share(mic.text, (o.text for o in near)) >= ECHO_SHARE


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(segment: Segment) -> list[Segment]:
    """A segment cut at its sentence ends, its time shared by length (one piece of speech may hold
    your sentence and the call's echo after it)."""
    parts = [p for p in _SENTENCE_END.split(segment.text.strip()) if p]
    if len(parts) < 2 or segment.start is None or segment.end is None:
        return [segment]
    total, at, out = sum(len(p) for p in parts), segment.start, []
    for part in parts:
        length = (segment.end - segment.start) * len(part) / total
        out.append(dataclasses.replace(segment, text=part, start=at, end=at + length))
        at += length
    return out


def split_echo(mic: Segment, system: list[Segment], tolerance: float = ECHO_TOLERANCE) -> tuple[list[Segment], list[Segment]]:
    """A microphone segment as (what to keep, the echo dropped): whole, or only its own sentences."""
    if is_echo(mic, system, tolerance):
        return [], [mic]
    parts = sentences(mic)
    echoes = [p for p in parts if is_echo(p, system, tolerance)]
    if not echoes:
        return [mic], []
    return [p for p in parts if p not in echoes], echoes


def labelled(segments: Iterable[Segment], speaker: str | None) -> list[Segment]:
    return [dataclasses.replace(s, speaker=speaker) for s in segments]


def combine(
    mic: list[Segment], system: list[Segment], *, you: str = YOU, others: str = OTHERS
) -> tuple[list[Segment], list[Segment]]:
    """One transcript of both sources in time order, and the microphone echoes left out of it."""
    theirs = labelled(system, others)
    mine: list[Segment] = []
    echoes: list[Segment] = []
    for segment in labelled(mic, you):
        kept, dropped = split_echo(segment, theirs)
        mine += kept
        echoes += dropped
    return sorted(mine + theirs, key=lambda s: (s.start or 0.0, s.end or 0.0)), echoes


def speaker_for(role: str, both: bool, *, you: str = YOU, others: str = OTHERS) -> str | None:
    """The label of a source's segments: the computer's sound is always "Others"; the microphone is
    "You" only beside it (alone, it may be a room with several people)."""
    if role == "system":
        return others
    return you if both else None


def rename_speaker(segments: Iterable[Segment], old: str, new: str) -> int:
    """Rename a speaker in a transcript's segments (in place); returns how many were renamed."""
    new = " ".join(new.split())
    if not new:
        raise ValueError("A speaker needs a name.")
    count = 0
    for segment in segments:
        if segment.speaker == old:
            segment.speaker = new
            count += 1
    return count


def rename_speaker_in_text(text: str, old: str, new: str) -> str:
    """The same for a transcript kept as text, one ``[hh:mm:ss] Speaker: words`` line per segment."""
    new = " ".join(new.split())
    if not new:
        raise ValueError("A speaker needs a name.")
    pattern = re.compile(r"^((?:\[\d{1,2}:\d{2}(?::\d{2})?\] )?)" + re.escape(old) + r":", re.MULTILINE)
    return pattern.sub(lambda m: f"{m.group(1)}{new}:", text)


class LiveSpeakers:
    """Labels live segments of both sources, holding the microphone's until echoes can be told.

    ``system_settled()`` is the recording second up to which the computer's sound has been fully
    transcribed (:attr:`LiveTranscriber.settled_until`). A microphone segment is released once that
    passes its end by :data:`ECHO_TOLERANCE`; call :meth:`poll` as audio arrives (it is an audio
    listener too) and :meth:`finish` when both transcribers have finished. Thread-safe.
    """

    def __init__(
        self,
        emit: Callable[[Segment], None],
        system_settled: Callable[[], float],
        *,
        you: str = YOU,
        others: str = OTHERS,
        tolerance: float = ECHO_TOLERANCE,
    ) -> None:
        self.emit = emit
        self.system_settled = system_settled
        self.you, self.others, self.tolerance = you, others, tolerance
        self.segments: list[Segment] = []  # everything emitted, in emission order
        self.echoes: list[Segment] = []
        self._heard: list[Segment] = []
        self._held: list[tuple[Segment, float]] = []  # microphone segment, when it arrived
        self._lock = threading.Lock()

    def add_mic(self, segment: Segment) -> None:
        with self._lock:
            self._held.append((dataclasses.replace(segment, speaker=self.you), time.monotonic()))
            self._release()

    def add_system(self, segment: Segment) -> None:
        with self._lock:
            segment = dataclasses.replace(segment, speaker=self.others)
            self._heard.append(segment)
            self._out(segment)
            self._release()

    def poll(self) -> None:
        with self._lock:
            self._release()

    def __call__(self, samples: object = None, start: object = None) -> None:
        """As a recorder listener: new audio arrived, so held segments may be due."""
        self.poll()

    def finish(self) -> list[Segment]:
        """Release everything still held; the whole transcript in time order."""
        with self._lock:
            self._release(everything=True)
            return sorted(self.segments, key=lambda s: (s.start or 0.0, s.end or 0.0))

    def _out(self, segment: Segment) -> None:
        self.segments.append(segment)
        self.emit(segment)

    def _release(self, everything: bool = False) -> None:
        if not self._held:
            return
        settled = float("inf") if everything else self.system_settled()
        waiting = []
        for segment, since in self._held:
            if is_echo(segment, self._heard, self.tolerance):
                self.echoes.append(segment)
            elif (segment.end or 0.0) + self.tolerance <= settled:
                kept, dropped = split_echo(segment, self._heard, self.tolerance)
                self.echoes += dropped
                for part in kept:
                    if part.latency is not None:
                        part.latency += time.monotonic() - since
                    self._out(part)
            else:
                waiting.append((segment, since))
        self._held = waiting


class LiveTranscripts:
    """Live transcription of a recording's sources (``mic``, ``system`` or both, as in
    :mod:`~assistant.core.audio.sources`): one :class:`LiveTranscriber` per source sharing
    ``recognizer``, labelled text to ``on_text`` (with both: echoes dropped, :class:`LiveSpeakers`).

    Give :attr:`listeners` to the recorder, call :meth:`start`, and :meth:`finish` after it stopped.
    """

    def __init__(
        self,
        recognizer: Recognizer,
        roles: Iterable[str],
        on_text: Callable[[Segment], None],
        *,
        on_status: Callable[[LiveStatus], None] | None = None,
        audio_files: dict[str, Path] | None = None,
        you: str = YOU,
        others: str = OTHERS,
    ) -> None:
        roles = list(roles)
        self.on_text = on_text
        self.segments: list[Segment] = []  # as handed on
        both = len(roles) > 1
        self.speakers = LiveSpeakers(self._show, self._system_settled, you=you, others=others) if both else None
        self.transcribers: dict[str, LiveTranscriber] = {}
        for role in roles:
            if self.speakers is not None:
                sink = self.speakers.add_system if role == "system" else self.speakers.add_mic
            else:
                sink = self._labeller(speaker_for(role, both=False, you=you, others=others))
            audio_file = (audio_files or {}).get(role)
            self.transcribers[role] = LiveTranscriber(recognizer, sink, on_status=on_status, audio_file=audio_file)

    def _show(self, segment: Segment) -> None:
        self.segments.append(segment)
        self.on_text(segment)

    def _labeller(self, speaker: str | None) -> Callable[[Segment], None]:
        if speaker is None:
            return self._show
        return lambda segment: self._show(dataclasses.replace(segment, speaker=speaker))

    def _system_settled(self) -> float:
        return self.transcribers["system"].settled_until

    @property
    def listeners(self) -> dict[str, list[Any]]:
        """Per source, what the recorder hands its audio to."""
        extra = [self.speakers] if self.speakers is not None else []
        return {role: [live.feed, *extra] for role, live in self.transcribers.items()}

    def start(self) -> None:
        for live in self.transcribers.values():
            live.start()

    def finish(self, timeout: float | None = None) -> list[Segment]:
        """The recording stopped: the rest of each source, then the held microphone text; all in time order."""
        for live in self.transcribers.values():
            live.finish(timeout)
        if self.speakers is not None:
            self.speakers.finish()
        return sorted(self.segments, key=lambda s: (s.start or 0.0, s.end or 0.0))

    def cancel(self) -> None:
        for live in self.transcribers.values():
            live.cancel()
