"""A session's title in the words said with its time.

A small model sometimes titles a session from another part of the talk: "Senior backend
interview" for "Jordan wanted a follow-up call about the team. Can we do Thursday at 4:30?",
"Maquettes" for the photo shoot asked about just before "le 20 janvier, à 9 h 30". When no
distinctive word of a title is said in a line with the session's time, the model is shown
only those lines (and the one before them) and asked once what is planned then. Code keeps
the new title only when its words are in those lines; otherwise the first one stands.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from assistant.core.dates import plain_words
from assistant.core.engines.base import ContextOverflowError, Message
from assistant.core.meetings.agreed import title_words
from assistant.core.meetings.examples import example_for
from assistant.core.meetings.extract import Evidence, system_prompt
from assistant.core.meetings.notes import ProposedEvent
from assistant.core.meetings.prompts import MeetingContext
from assistant.core.meetings.second_look import Generate

TITLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"title": {"type": "string", "maxLength": 80}},
    "required": ["title"],
    "additionalProperties": False,
}
#: Sessions whose title is asked again, at most, per part of a meeting (each is one short call).
MAX_TITLE_CHECKS = 3
#: Lines with the session's time shown to the model, at most (and the line before the first).
SHOWN_LINES = 3
#: A title said this many lines before its time stands ("il nous faut un point avec le client.
#: Lundi ?" – "Lundi je suis en formation" – "Alors mardi prochain à 10 h.").
LOOK_BACK = 3


def _question(lines: list[str], when: str) -> str:
    return "Lines:\n" + "\n".join(lines) + f'\nWhat is planned for "{when}"? Name it in the words of the lines.'


def _example(language: str) -> list[Message]:
    """One worked answer from the meeting's worked example, in its language (an English one
    made the stand-in title a French meeting's photo shoot "Shooting session with the client")."""
    transcript, reply = example_for(language)
    lines = [re.sub(r"^\[[\d:.]+\]\s*", "", line) for line in transcript.splitlines()][1:3]
    session = reply["sessions"][0]
    return [
        {"role": "user", "content": _question(lines, session["when"])},
        {"role": "assistant", "content": json.dumps({"title": session["title"]}, ensure_ascii=False)},
    ]


def lines_with_time(event: ProposedEvent, evidence: Evidence, before: int = 1) -> list[str]:
    """The spoken lines ("Speaker: words") holding every word of ``event``'s time, after the
    ``before`` lines that precede the first of them; [] when no line holds it."""
    wanted = set(plain_words(event.start_said))
    spoken = evidence.spoken_lines
    holding = [i for i, (_speaker, said) in enumerate(spoken) if wanted and wanted <= set(plain_words(said))][:SHOWN_LINES]
    if not holding:
        return []
    shown = list(range(max(0, holding[0] - before), holding[0])) + holding
    return [f"{spoken[i][0]}: {spoken[i][1]}" for i in shown]


def said_with_time(title: str, lines: list[str], when: str = "") -> bool:
    """Whether a distinctive word of ``title``, other than the words of its time ``when``, is in ``lines``.

    "Quinta-feira, 4 de março, às 18h30" is a time, not a title.
    """
    words = set().union(set(), *(set(plain_words(line.split(":", 1)[-1])) for line in lines))
    return bool((title_words(title) - set(plain_words(when))) & words)


def name_as_said(
    generate: Generate,
    context: MeetingContext,
    text: str,
    events: list[ProposedEvent],
    stop: threading.Event | None,
) -> bool:
    """Retitle the ``events`` of a part whose title is not said with their time (see above); True when cancelled."""
    evidence = Evidence(text)
    asked = 0
    for event in events:
        if "T" not in event.start or not title_words(event.title) or asked >= MAX_TITLE_CHECKS:
            continue  # no day and hour to go by, or a title that names only a kind (agreed.py names those)
        lines = lines_with_time(event, evidence)
        if not lines or said_with_time(event.title, lines_with_time(event, evidence, before=LOOK_BACK)):
            continue  # its time was not said as such, or its title was said with it or just before
        asked += 1
        messages: list[Message] = [
            {"role": "system", "content": system_prompt(context)},
            *_example(context.language),
            {"role": "user", "content": _question(lines, event.start_said)},
        ]
        try:
            raw, cancelled = generate(messages, 48, TITLE_SCHEMA, stop)
        except ContextOverflowError:
            return False
        if cancelled:
            return True
        try:
            title = " ".join(str(json.loads(raw).get("title") or "").split())
        except (ValueError, AttributeError):
            continue
        if title and said_with_time(title, lines, event.start_said):
            event.title = title
    return False
