"""A second look for commitments: lines that sound like a promise, checked one at a time.

Reading a whole part of a meeting, a small model misses some promises ("Sorry about that,
I'll grant you access today."). Finding the lines that *sound* like one is easy for code:
a speaker saying "I'll", "ich schicke", "je m'en occupe", "me encargo"... Each such line
that no extracted commitment covers yet is shown to the model with the line before it, and
one short grammar-constrained answer says whether it is a promise, what, and by when (as
said). The same checks as the first pass apply afterwards (dates resolved by code, owners
from the transcript).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from assistant.core.engines.base import Message
from assistant.core.meetings.extract import system_prompt
from assistant.core.meetings.notes import ActionItem
from assistant.core.meetings.prompts import MeetingContext

#: First-person promises and accepted requests, in the six languages of the app.
_CUES = [
    r"\bi'?ll\b",
    r"\bi will\b",
    r"\bi'm going to\b",
    r"\bi am going to\b",
    r"\blet me\b",
    r"\bwill do\b",
    r"\bi can (?:do|take|send|check|write|book|look)\b",
    r"\bi(?:'ll| will)? take (?:it|that|care)\b",
    r"\bsure,? i\b",
    r"\bich (?:werde|mache|schicke|kümmere|übernehme|schreibe|kläre|prüfe|bereite)\b",
    r"\b(?:mach|übernehm|schick)e? ich\b",
    r"\bje (?:vais|m'en occupe|m'occupe|ferai|prépare|envoie|t'envoie|vous envoie|regarde)\b",
    r"\bj'envoie\b",
    r"\b(?:voy a|me encargo|yo me ocupo|lo hago|te lo mando|enviaré|haré|preparo)\b",
    r"\b(?:lo faccio|me ne occupo|mi occupo|farò|ti mando|manderò|preparo io|scrivo io)\b",
    r"\b(?:eu vou|vou |eu faço|eu cuido|eu mando|fico com|farei|eu preparo|eu envio)",
]
_CUE = re.compile("|".join(_CUES), re.IGNORECASE)
_LINE = re.compile(r"^(?:\[[\d:.]+\]\s*)?(?P<speaker>[^\W\d_][\w .'-]{0,40}?):\s*(?P<said>.+)$")
_SKIP = re.compile(r"\b(?:i'?ll think|let me think|i'll see|ich überlege|je vais réfléchir|lo pienso|vou pensar)\b", re.I)

#: At most this many lines are checked per part, so a chatty meeting costs a bounded time.
MAX_CHECKS = 8

CHECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"promise": {"type": "boolean"}, "task": {"type": "string"}, "due": {"type": "string"}},
    "required": ["promise", "task", "due"],
    "additionalProperties": False,
}

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


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.casefold()) if len(w) > 3}


def candidates(text: str, known: list[ActionItem]) -> list[Candidate]:
    """Lines of ``text`` that sound like a promise and that no item of ``known`` covers yet."""
    found: list[Candidate] = []
    previous = ""
    for raw in text.splitlines():
        match = _LINE.match(raw.strip())
        if not match:
            previous = raw.strip() or previous
            continue
        speaker, said = match["speaker"].strip(), match["said"]
        if _CUE.search(said) and not _SKIP.search(said) and not _covered(speaker, said, known):
            found.append(Candidate(speaker, f"{speaker}: {said}", previous))
        previous = f"{speaker}: {said}"
    return found[:MAX_CHECKS]


def _covered(speaker: str, said: str, known: list[ActionItem]) -> bool:
    words = _words(said)
    for item in known:
        shared = len(words & _words(item.task))
        if shared >= 2 or (shared >= 1 and item.owner.casefold() == speaker.casefold()):
            return True
    return False


def check_messages(context: MeetingContext, candidate: Candidate) -> list[Message]:
    """The meeting's system prompt, two worked answers, then the line to judge."""
    before = candidate.before or "(start of the meeting)"
    question = f"Before: {before}\nLine: {candidate.line}\nIs the line a promise by its speaker?"
    return [{"role": "system", "content": system_prompt(context)}, *_EXAMPLES, {"role": "user", "content": question}]


def commitment_from(answer: Any, candidate: Candidate) -> dict[str, str] | None:
    """The commitment in the model's answer, in the extraction's shape, or None."""
    if not isinstance(answer, dict) or answer.get("promise") is not True:
        return None
    task = " ".join(str(answer.get("task") or "").split())
    if not task:
        return None
    return {"owner": candidate.speaker, "task": task, "due": str(answer.get("due") or "").strip()}
