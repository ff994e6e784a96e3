"""Sessions as the meeting agreed them: the time settled last, one title per session.

A meeting settles a time in steps: "Wednesday at 9? Oh wait, no, I'm in a workshop
Wednesday. Thursday at 9 am?", or "Tomorrow at 3?" – "Can we do 4?" – "Tomorrow at 4
then, budget check-in." A small model often notes the first time it read, sometimes both
times as two sessions. Code follows the talk instead (measured in bench/quality.py):

* a session moves to a later time said in the same turn or the next two when a correction
  comes between ("wait, no", "can we do", "mejor", "lieber") or the later sentence names the
  session again, and no other session or topic is taken up there ("one more thing…");
* sessions at the same start are one session, titled with the words said most often with that time;
* a session whose time was never said as such, or could not be read, gives way to one with
  the same distinctive title word whose time was said and read;
* a "task" due at the very minute a session starts ("present the search work at the design
  review", due "Wednesday at 11") is taking part in that session: the session says it already.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from assistant.core.date_words import normalize
from assistant.core.dates import find_phrase, plain_words, resolve_span
from assistant.core.meetings.cues import CORRECTION, DAY_WORDS, NEW_TOPIC, SENTENCE
from assistant.core.meetings.extract import Evidence, resolve_phrase
from assistant.core.meetings.notes import ActionItem, ProposedEvent
from assistant.core.meetings.prompts import MeetingContext

_PART = re.compile(r"[,;]\s+|(?<=[.!?])\s+")
#: Lines after the one that first said a time where a correction of it is looked for.
FOLLOWING_LINES = 2
#: Title words that name a kind of meeting, not which one ("review", "Besprechung").
_GENERIC = frozenset(
    "meeting call session sync review event appointment chat check catch with about next quick "
    "the and for les des avec pour der die das und mit für con per por para del della com "
    "reunion reunión réunion riunione reunião besprechung termin treffen sitzung incontro point rendez".split()
)


def settle(events: list[ProposedEvent], transcript: str, context: MeetingContext) -> list[ProposedEvent]:
    """``events`` as the meeting finally agreed them (see the module's docstring); a new list."""
    evidence = Evidence(transcript)
    lines = evidence.said_lines
    said = [set(plain_words(line)) for line in lines]  # each line's words, read once
    events = [replace(e, attendees=list(e.attendees)) for e in events]
    for event in events:
        later = _agreed_later(event, events, lines, said, context)
        if later:
            when = resolve_phrase(later, context, evidence, date_only=False)
            event.start, event.end, event.start_said, event.check = when.value, when.end, later, when.check
    for event in events:
        event.title = _named(event, lines, said)
    return _without_weaker(_one_per_start(events, said), said)


_LEAD_OUT = re.compile(r"(?:\s+(?:is|are|will be|on|at|for|from|the|ist|am|um|est|le|es|el|è|il|é|o|a))+\s*$", re.IGNORECASE)


def _named(event: ProposedEvent, lines: list[str], said: list[set[str]]) -> str:
    """A title that names only a kind ("Meeting") made the one said before its time: "Next monthly meeting".

    Only the words just before the time, in its clause, ending with the model's own word.
    """
    kind = plain_words(event.title)
    where = _said_in(event.start_said, said)
    if len(kind) != 1 or kind[0] not in _GENERIC or where is None:
        return event.title
    first = plain_words(event.start_said)[0]
    for part in _PART.split(lines[where]):
        at = part.casefold().find(first)
        if at <= 0:
            continue
        before = _LEAD_OUT.sub("", part[:at]).strip(" ,;:")
        words = before.split()[-4:]
        if len(words) >= 2 and plain_words(words[-1])[-1:] == kind:
            named = " ".join(words)
            return named[0].upper() + named[1:]
    return event.title


def title_words(title: str) -> set[str]:
    """The words of ``title`` that say which session it is (not "meeting", "the", "with")."""
    return {w for w in plain_words(title) if len(w) > 2 and w not in _GENERIC}


def _said_in(phrase: str, said: list[set[str]]) -> int | None:
    """The first line (of the lines' word sets ``said``) holding every word of ``phrase``, or None."""
    wanted = set(plain_words(phrase))
    if not wanted:
        return None
    return next((i for i, words in enumerate(said) if wanted <= words), None)


def _agreed_later(
    event: ProposedEvent, events: list[ProposedEvent], lines: list[str], said: list[set[str]], context: MeetingContext
) -> str:
    """The time ``event`` was moved to after it was first said, or ""."""
    origin = _said_in(event.start_said, said)
    if origin is None:
        return ""
    mine = title_words(event.title)
    others = set().union(*(title_words(e.title) for e in events if e is not event)) - mine
    phrase = plain_words(event.start_said)
    parts = _PART.split(lines[origin])
    begin = next((i for i, part in enumerate(parts) if phrase[0] in plain_words(part)), 0)
    window = [(origin, _after(parts[begin], phrase))]  # the rest of its own clause: "Le 19 — non, …"
    window += [(origin, part) for part in parts[begin + 1 :]]
    for index in range(origin + 1, min(len(lines), origin + 1 + FOLLOWING_LINES)):
        window += [(index, part) for part in _PART.split(lines[index])]
    corrected, agreed = False, ""
    for index, part in window:
        words = set(plain_words(part))
        if (others & words and not mine & words) or NEW_TOPIC.search(part):
            break  # another session is being planned, or another topic: later times are its own
        corrected = corrected or bool(CORRECTION.search(part))
        sentence = set(plain_words(next((s for s in SENTENCE.split(lines[index]) if part in s), part)))
        named = mine & (words if others & sentence else sentence)  # "Tomorrow at 4 then, budget check-in."
        time = find_phrase(part, part, context.meeting_time)
        if time and _names_day_and_time(time, context) and (corrected or named):
            agreed = time
    if agreed and _reading(agreed, context) == _reading(event.start_said, context):
        return ""  # said again as it was: nothing moved
    return agreed


def _reading(phrase: str, context: MeetingContext) -> datetime | None:
    """When ``phrase`` says, read against the meeting; None when it cannot be read."""
    reading = resolve_span(phrase, context.meeting_time, context.zone).start if phrase else None
    return reading.value if reading and reading.ok else None


def _after(part: str, said: list[str]) -> str:
    """What ``part`` says after the words of ``said`` it holds in order (the phrase is not a later time).

    "Le 19 — non" for "le 19 janvier à 9 h 30": the words after "Le 19".
    """
    words = part.split()
    for start, word in enumerate(words):
        if plain_words(word)[:1] != said[:1]:
            continue
        matched, cut = 0, start
        for index in range(start, len(words)):
            for piece in plain_words(words[index]):
                if matched < len(said) and piece == said[matched]:
                    matched += 1
                    cut = index + 1
                else:
                    break
            else:
                continue
            break
        return " ".join(words[cut:])
    return ""


def _names_day_and_time(phrase: str, context: MeetingContext) -> bool:
    """Whether ``phrase`` names a day and a clock time ("Thursday at 9 am"), not a bare "4"."""
    english = set(plain_words(normalize(phrase)))
    reading = resolve_span(phrase, context.meeting_time, context.zone).start
    return bool(english & DAY_WORDS) and reading.ok and not reading.date_only


def _one_per_start(events: list[ProposedEvent], said: list[set[str]]) -> list[ProposedEvent]:
    """One event per resolved start, with the title said most often together with that time."""
    result: list[ProposedEvent] = []
    for group in _by_start(events):
        first = group[0]
        first.title = _best_title(group, said)
        for event in group[1:]:
            first.attendees += [p for p in event.attendees if p.casefold() not in {a.casefold() for a in first.attendees}]
        result.append(first)
    return result


def title_by_start(events: list[ProposedEvent], said: list[set[str]]) -> None:
    """Give the first event of each start the title said most often with that time, in lines whose words are ``said``.

    Parts of a long meeting are read apart: "Practical part" (said once with "Friday, February
    5th, from nine") gives way to "Interview" ("interview day on February 5th from nine", and
    again in the recap at the end). Notes are merged by start afterwards, first title kept.
    """
    for group in _by_start(events):
        group[0].title = _best_title(group, said)


def line_words(transcript: str) -> list[set[str]]:
    """The words of each spoken line of ``transcript``, for :func:`title_by_start`."""
    return [set(plain_words(line)) for line in Evidence(transcript).said_lines]


def _by_start(events: list[ProposedEvent]) -> list[list[ProposedEvent]]:
    """``events`` in groups of the same resolved start, in order; an unresolved one is a group alone."""
    groups: list[list[ProposedEvent]] = []
    starts: dict[str, list[ProposedEvent]] = {}
    for event in events:
        if event.start and event.start in starts:
            starts[event.start].append(event)
            continue
        groups.append([event])
        if event.start:
            starts[event.start] = groups[-1]
    return groups


def _best_title(group: list[ProposedEvent], said: list[set[str]]) -> str:
    """The title of ``group`` whose distinctive words are said in most lines with one of its times."""
    phrases = [set(plain_words(e.start_said)) for e in group if plain_words(e.start_said)]
    with_time = [words for words in said if any(phrase <= words for phrase in phrases)]

    def attested(event: ProposedEvent) -> tuple[int, int]:
        title = title_words(event.title)
        return sum(1 for words in with_time if title & words), max((len(title & words) for words in with_time), default=0)

    return max(group, key=attested).title  # the first of the best


def _without_weaker(events: list[ProposedEvent], said: list[set[str]]) -> list[ProposedEvent]:
    """Drop a session that another with a distinctive title word in common beats: its time said and read."""

    def strong(event: ProposedEvent) -> bool:
        return bool(event.start) and _said_in(event.start_said, said) is not None

    return [
        event
        for event in events
        if strong(event) or not any(strong(other) and title_words(event.title) & title_words(other.title) for other in events)
    ]


def without_sessions(items: list[ActionItem], events: list[ProposedEvent], context: MeetingContext) -> list[ActionItem]:
    """``items`` less those due at a clock time when a session starts (see the module's docstring)."""
    starts = {event.start[:16] for event in events if event.start and "T" in event.start}

    def at_a_session(item: ActionItem) -> bool:
        reading = resolve_span(item.due_said, context.meeting_time, context.zone).start if item.due_said else None
        return bool(reading and reading.ok and not reading.date_only and reading.value
                    and reading.value.isoformat(timespec="minutes")[:16] in starts)  # fmt: skip

    return [item for item in items if not at_a_session(item)]
