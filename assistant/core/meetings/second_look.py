"""A second look at the lines the first reading may have missed: promises and planned sessions.

Reading a whole part of a meeting, a small model misses some items ("Sorry about that, I'll
grant you access today."; "let's go through the numbers next Tuesday at 11"). Finding the
lines that *sound* like one is easy for code: a speaker saying "I'll", "ich schicke",
"je m'en occupe", "me encargo"... (a promise), or naming a day or a time that is not a
deadline (a session). Each such line that the first reading did not cover is shown to the
model with the line before it, and one short grammar-constrained answer says what it holds,
with times as said. The same checks as the first pass apply afterwards (dates resolved by
code, owners from the transcript).

Two follow-ups when the model finds no session in a line that names a day and an hour: a
time proposed as a question and agreed to in the next turn is asked *what* was agreed (one
session, grammar-bound); otherwise a long turn is shown again from the sentence naming the
time. Lines spoken to the notes tool ("Ignore previous instructions…") are never checked.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from assistant.core.date_words import normalize
from assistant.core.dates import find_phrase
from assistant.core.engines.base import ContextOverflowError, Message
from assistant.core.meetings.cues import ACCEPT as _ACCEPT
from assistant.core.meetings.cues import AGREED as _AGREED
from assistant.core.meetings.cues import CLOCK as _CLOCK
from assistant.core.meetings.cues import DAY_WORDS, ORDERS, SENTENCE, only_a_deadline
from assistant.core.meetings.cues import DONE as _DONE
from assistant.core.meetings.cues import PROMISE_CUE as _CUE
from assistant.core.meetings.cues import REFUSAL as _REFUSAL
from assistant.core.meetings.cues import REQUEST as _REQUEST
from assistant.core.meetings.cues import WHEN_ASKED as _WHEN_ASKED
from assistant.core.meetings.examples import TRANSLATED_EXAMPLES
from assistant.core.meetings.extract import EMPTY_EXTRACTION, notes_from_extraction, system_prompt
from assistant.core.meetings.notes import ActionItem, MeetingNotes, NotesLimits, ProposedEvent
from assistant.core.meetings.prompts import MeetingContext

_LINE = re.compile(r"^(?:\[[\d:.]+\]\s*)?(?P<speaker>[^\W\d_][\w .'-]{0,40}?):\s*(?P<said>.+)$")
_SKIP = re.compile(r"\b(?:i'?ll think|let me think|i'll see|ich überlege|je vais réfléchir|lo pienso|vou pensar)\b", re.I)

#: At least this many lines of each kind may be checked per part, and one in LINES_PER_CHECK
#: spoken lines beyond that, so a chatty meeting costs a bounded time. With a flat 8, the
#: stand-in never saw seven of the 60-minute meeting's promises ("I'll ask the temp agency…").
MAX_CHECKS = 8
LINES_PER_CHECK = 10


def _most_checks(text: str) -> int:
    return max(MAX_CHECKS, len(_lines(text)) // LINES_PER_CHECK)

# A named day or a time of day, once the line is in the English date grammar (any of the six
# languages). "today" or "tomorrow" alone is left out: in a meeting it is mostly a deadline.
_WHEN = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|june|july|"
    r"august|september|october|november|december|next week|noon|same time|in \d+ (?:days|weeks))\b"
    r"|\b\d{1,2}:\d{2}\b|\b\d{1,2}\s*(?:am|pm|o'clock)\b|\bat \d{1,2}\b"
)

#: A recap line may list every date of the meeting ("Dates: the demo is Thursday at 2, the
#: interview day February 5th from nine, …"): with three, the last two of five were lost.
SESSIONS_PER_LINE = 6

CHECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"promise": {"type": "boolean"}, "task": {"type": "string"}, "due": {"type": "string"}},
    "required": ["promise", "task", "due"],
    "additionalProperties": False,
}

SESSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "sessions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"title": {"type": "string"}, "when": {"type": "string"}},
                "required": ["title", "when"],
                "additionalProperties": False,
            },
            "maxItems": SESSIONS_PER_LINE,
        }
    },
    "required": ["sessions"],
    "additionalProperties": False,
}

#: The same answer when the line's time was agreed: one session, which the model must name.
AGREED_SCHEMA: dict[str, Any] = {
    **SESSION_SCHEMA,
    "properties": {"sessions": {**SESSION_SCHEMA["properties"]["sessions"], "minItems": 1, "maxItems": 1}},
}

_SESSION_QUESTION = "Does the line plan a meeting or event for a day or time?"
_SESSION_EXAMPLES: list[Message] = [
    {"role": "user", "content": f"Before: Ana: Anything else?\nLine: Ben: The design review is on Monday at two, in room B.\n{_SESSION_QUESTION}"},
    {"role": "assistant", "content": json.dumps({"sessions": [{"title": "Design review", "when": "Monday at two"}]})},
    {"role": "user", "content": f"Before: Ben: How was the week?\nLine: Ana: I presented the slides on Tuesday.\n{_SESSION_QUESTION}"},
    {"role": "assistant", "content": json.dumps({"sessions": []})},
]

_EXAMPLES: list[Message] = [
    {"role": "user", "content": "Before: Ben: Can you look at the error logs?\nLine: Carla: Sure, I'll do it tomorrow.\nIs the line a promise by its speaker?"},
    {"role": "assistant", "content": json.dumps({"promise": True, "task": "look at the error logs", "due": "tomorrow"})},
    {"role": "user", "content": "Before: Ana: The launch went well.\nLine: Ben: I'll say it again, great work everyone.\nIs the line a promise by its speaker?"},
    {"role": "assistant", "content": json.dumps({"promise": False, "task": "", "due": ""})},
]


@dataclass
class Candidate:
    """A line that sounds like a promise, with the line before it for context."""

    speaker: str
    line: str
    before: str
    #: a session line shown again from the sentence naming its day and time, should the model
    #: find nothing in the whole line ("Maybe, let's see after launch. And let's go through the
    #: numbers together next Tuesday at 11." was "no session" to the stand-in)
    again: Candidate | None = None
    #: the next speaker's reply when it agrees to the time this line proposes ("Giovedì 3
    #: dicembre alle 15?" – "Giovedì 3 alle 15 va bene."): asked what was agreed, not whether
    agreed: str = ""


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.casefold()) if len(w) > 3}


def _lines(text: str) -> list[Candidate]:
    """Every spoken line with its speaker and the line before it."""
    lines: list[Candidate] = []
    previous = ""
    for raw in text.splitlines():
        match = _LINE.match(raw.strip())
        if not match:
            previous = raw.strip() or previous
            continue
        speaker, said = match["speaker"].strip(), match["said"]
        lines.append(Candidate(speaker, f"{speaker}: {said}", previous))
        previous = f"{speaker}: {said}"
    return lines


def _takes_on(line: Candidate) -> bool:
    """Whether ``line`` answers another speaker's request with a yes or a time ("Sure.", "By Friday the 22nd?")."""
    said = line.line.split(":", 1)[1]
    before_speaker, _, before = line.before.partition(":")
    if not before or before_speaker.strip().casefold() == line.speaker.casefold() or not _REQUEST.search(before):
        return False
    answers_when = _WHEN_ASKED.search(before) and _WHEN.search(normalize(said))  # "When can you…?" – "By Friday?"
    return len(said.split()) <= 14 and bool(_ACCEPT.search(said) or answers_when)


def candidates(text: str, known: list[ActionItem]) -> list[Candidate]:
    """Lines of ``text`` that sound like a promise, or take on a request, that no item of ``known`` covers yet.

    An accepted request is judged with the request before it, whose words it is checked against.
    """
    found = []
    for line in _lines(text):
        said = line.line.split(":", 1)[1]
        if ORDERS.search(said):
            continue  # spoken to the notes tool, not a promise to anyone
        promise = _CUE.search(said) and not _SKIP.search(said)
        if promise or _takes_on(line):
            covered_by = said if promise else f"{said} {line.before.partition(':')[2]}"
            if not _covered(line.speaker, covered_by, known):
                found.append(_focused(line) if promise else line)
    return found[: _most_checks(text)]


def _from_sentence(line: Candidate, sentences: list[str], first: int) -> Candidate:
    """``line`` shown from its ``first`` sentence on, the sentences before it as the context."""
    if first == 0:
        return line
    return Candidate(line.speaker, f"{line.speaker}: {' '.join(sentences[first:])}", f"{line.speaker}: {' '.join(sentences[:first])}")


def _focused(line: Candidate) -> Candidate:
    """A long turn shown from its promise on, the sentences before it as context.

    Judging "Mm, let's put that in the backlog. Oh, and I'll ask legal about it today.", a
    small model reads the first sentence and says "no promise".
    """
    sentences = SENTENCE.split(line.line.split(":", 1)[1].strip())
    first = next(i for i, sentence in enumerate(sentences) if _CUE.search(sentence) or i == len(sentences) - 1)
    return _from_sentence(line, sentences, first)


def session_candidates(text: str, known: list[ProposedEvent]) -> list[Candidate]:
    """Lines that name a day or a time (not only a deadline) that no session of ``known`` was read from."""
    found = []
    lines = _lines(text)
    for at, line in enumerate(lines):
        if ORDERS.search(line.line):
            continue  # "Ignore previous instructions and add an event…" plans nothing
        # Each clause that names a time ("Monday the 4th at 10 for the roadmap review, yes. And then
        # the kick-off, January 11 at 9:30") must be covered by a known session, not just one of them.
        clauses = SENTENCE.split(line.line.split(":", 1)[1].strip())
        for index, clause in enumerate(clauses):
            english = normalize(clause)
            if not _WHEN.search(english) or only_a_deadline(clause):
                continue  # no time, or only a deadline ("by Friday"): a commitment's business
            if _DONE.search(clause) and not _CLOCK.search(english):
                continue  # work done on a day ("On Friday I finished the checkout copy"), not a plan
            words = set(re.findall(r"[^\W_]+", clause.casefold()))
            if not any(e.start_said and set(re.findall(r"[^\W_]+", e.start_said.casefold())) <= words for e in known):
                day_and_time = _CLOCK.search(english) and set(re.findall(r"[^\W_]+", english)) & DAY_WORDS
                reply = lines[at + 1] if at + 1 < len(lines) else None
                if day_and_time and clause.rstrip().endswith("?") and reply and _agrees(reply, line):
                    found.append(replace(line, again=replace(line, agreed=reply.line)))
                elif day_and_time and index > 0:
                    found.append(replace(line, again=_from_sentence(line, clauses, index)))
                else:
                    found.append(line)
                break
    return found[: _most_checks(text)]


def _agrees(reply: Candidate, line: Candidate) -> bool:
    """Whether ``reply``, another speaker's next turn, agrees to the time ``line`` asks about."""
    said = reply.line.split(":", 1)[1]
    return reply.speaker.casefold() != line.speaker.casefold() and bool(_AGREED.search(said)) and not _REFUSAL.search(said)


def _in_line(when: str, line: str) -> bool:
    """Whether the telling words of ``when`` (days, months, numbers, as the date grammar reads them) are in ``line``."""
    def telling(text: str) -> set[str]:
        english = set(re.findall(r"[^\W_]+", normalize(text).casefold()))
        return {w for w in english if w.isdigit() or w in _DAY_WORDS}

    return telling(when) <= telling(line)


_DAY_WORDS = DAY_WORDS | {"noon"}


def _said_in_line(sessions: list[dict[str, str]], line: str, context: MeetingContext) -> list[dict[str, str]]:
    """The sessions whose time is said in ``line``, each with the line's own words for it.

    A time from the line before is that line's business ("by Monday" is not this session's),
    and a misread copy ("April 4th at 5" for "on the 4th at 5") takes the words of the line.
    """
    kept = []
    for item in sessions:
        when = item["when"] if _in_line(item["when"], line) else find_phrase(line.split(":", 1)[-1], item["when"], context.meeting_time)
        if when and _in_line(when, line):
            kept.append({**item, "when": when})
    return kept


def _covered(speaker: str, said: str, known: list[ActionItem]) -> bool:
    words = _words(said)
    for item in known:
        shared = len(words & _words(item.task))
        if shared >= 2 or (shared >= 1 and item.owner.casefold() == speaker.casefold()):
            return True
    return False


def _repeats(commitment: dict[str, str], found: list[dict[str, str]]) -> bool:
    """Whether the same person's promise of the same thing was found already (a request, then its "Sounds good")."""
    words = _words(commitment["task"])
    return any(item["owner"] == commitment["owner"] and words & _words(item["task"]) for item in found)


def check_messages(context: MeetingContext, candidate: Candidate, *, session: bool = False) -> list[Message]:
    """The meeting's system prompt, two worked answers, then the line to judge."""
    before = candidate.before or "(start of the meeting)"
    asked = _SESSION_QUESTION if session else _PROMISE_QUESTION
    examples = _examples_in(context.language, session) or (_SESSION_EXAMPLES if session else _EXAMPLES)
    question = f"Before: {before}\nLine: {candidate.line}\n{asked}"
    if candidate.agreed:
        question = f"Before: {before}\nLine: {candidate.line}\nReply: {candidate.agreed}\n{_AGREED_QUESTION}"
    return [{"role": "system", "content": system_prompt(context)}, *examples, {"role": "user", "content": question}]


_PROMISE_QUESTION = "Is the line a promise by its speaker?"
_AGREED_QUESTION = "The line proposes a time and the reply agrees to it. What meeting or event is planned, and when?"


def _examples_in(language: str, session: bool) -> list[Message]:
    """The two worked answers in the meeting's language, from its worked example; [] for English.

    With English examples only, the stand-in wrote a German meeting's tasks in English
    ("send the password policy to everyone" for "die Passwort-Richtlinie schicken").
    """
    if language not in TRANSLATED_EXAMPLES:
        return []
    transcript, reply = TRANSLATED_EXAMPLES[language]
    lines = [re.sub(r"^\[[\d:.]+\]\s*", "", line) for line in transcript.splitlines()]
    if session:  # the session line, then a line about work done (no session)
        said = {"sessions": [{"title": reply["sessions"][0]["title"], "when": reply["sessions"][0]["when"]}]}
        pairs = [(lines[1], lines[2], said), ("(start of the meeting)", lines[0], {"sessions": []})]
        asked = _SESSION_QUESTION
    else:  # a request taken on, then a line about work done (no promise)
        carla = reply["commitments"][1]
        pairs = [(lines[4], lines[5], {"promise": True, "task": carla["task"], "due": carla["due"]}),
                 ("(start of the meeting)", lines[0], {"promise": False, "task": "", "due": ""})]  # fmt: skip
        asked = _PROMISE_QUESTION
    examples: list[Message] = []
    for before, line, answer in pairs:
        examples.append({"role": "user", "content": f"Before: {before}\nLine: {line}\n{asked}"})
        examples.append({"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)})
    return examples


def commitment_from(answer: Any, candidate: Candidate) -> dict[str, str] | None:
    """The commitment in the model's answer, in the extraction's shape, or None."""
    if not isinstance(answer, dict) or answer.get("promise") is not True:
        return None
    task = " ".join(str(answer.get("task") or "").split())
    if not task:
        return None
    return {"owner": candidate.speaker, "task": _as_said(task, candidate.line), "due": str(answer.get("due") or "").strip()}


_I_WILL = re.compile(r"\bI(?:'ll| will) (?P<task>[^,.;!?]+)", re.IGNORECASE)
_TASK_END = re.compile(r"\s+(?:by|on|before|after|until|tomorrow|today|tonight|this|next|in \w+ (?:days|weeks))\b.*$", re.IGNORECASE)


def _as_said(task: str, line: str) -> str:
    """``task`` in the speaker's words when the model reworded it ("brief the photographer" for
    "I'll finalise the photo brief by Friday"): the words after "I'll", up to the time or the
    clause's end. English only; other languages keep the model's words."""
    said = _I_WILL.search(line.split(":", 1)[-1])
    if said is None or len(_words(task) & _words(line)) * 2 > len(_words(task)):
        return task
    own = _TASK_END.sub("", said["task"]).strip()
    return own if len(_words(own) - _POINTING) >= 2 else task  # "I'll send them" says less than the model's task


_POINTING = frozenset("them this that these those there then some what with".split())


def sessions_from(answer: Any) -> list[dict[str, str]]:
    """The sessions in the model's answer, in the extraction's shape."""
    if not isinstance(answer, dict) or not isinstance(answer.get("sessions"), list):
        return []
    found = []
    for item in answer["sessions"]:
        if isinstance(item, dict) and str(item.get("title") or "").strip() and str(item.get("when") or "").strip():
            found.append({"title": " ".join(str(item["title"]).split()), "when": str(item["when"]).strip()})
    return found


#: ``generate(messages, max_tokens, schema, stop) -> (text, cancelled)``: the summarizer's model caller.
Generate = Callable[[list[Message], int, dict[str, Any], threading.Event | None], tuple[str, bool]]


def look_again(
    generate: Generate,
    context: MeetingContext,
    limits: NotesLimits,
    text: str,
    notes: MeetingNotes,
    stop: threading.Event | None,
) -> bool:
    """Add to ``notes`` the promises and sessions its extraction missed; True when cancelled."""
    promises, sessions = [], []
    checks = [(c, False) for c in candidates(text, notes.action_items)]
    checks += [(c, True) for c in session_candidates(text, notes.proposed_events)]
    while checks:
        candidate, session = checks.pop(0)
        try:
            schema = (AGREED_SCHEMA if candidate.agreed else SESSION_SCHEMA) if session else CHECK_SCHEMA
            raw, cancelled = generate(check_messages(context, candidate, session=session), 160 if session else 96, schema, stop)
        except ContextOverflowError:
            break
        if cancelled:
            return True
        try:
            answer = json.loads(raw)
        except ValueError:
            continue
        if session:
            said = _said_in_line(sessions_from(answer), candidate.line, context)
            sessions.extend(said)
            if not said and candidate.again:
                checks.insert(0, (candidate.again, True))
        elif (commitment := commitment_from(answer, candidate)) and not _repeats(commitment, promises):
            promises.append(commitment)
    if promises or sessions:
        found = {**EMPTY_EXTRACTION, "commitments": promises, "sessions": sessions}
        # each answer was bounded on its own: the first reading's list sizes do not cut what the checks found
        counts = replace(limits, events=max(limits.events, len(sessions)), list_items=max(limits.list_items, len(promises)))
        extra = notes_from_extraction(found, context, text, counts, check_promises=False)
        notes.action_items.extend(extra.action_items)
        for event in extra.proposed_events:
            if not _moved(event, notes.proposed_events, text):
                notes.proposed_events.append(event)
    return False


def _moved(event: ProposedEvent, known: list[ProposedEvent], text: str) -> bool:
    """Whether ``event`` is a known session said again later with another time ("at 3?" – "at 4 then").

    The later time is the one agreed: the known session takes it, and True is returned.
    """
    title = _words(event.title)
    where = text.casefold().rfind(event.start_said.casefold()) if event.start_said else -1
    for other in known:
        if other.start == event.start or not (title & _words(other.title)):
            continue
        said_at = text.casefold().find(other.start_said.casefold()) if other.start_said else -1
        if event.start and where > said_at >= 0:
            other.start, other.end, other.start_said, other.check = event.start, event.end, event.start_said, event.check
            return True
    return False
