"""Whether a message's own words ask for a calendar action at all: the code's check on the model's choice.

A small model asked "which action?" sometimes picks one for a message that only talks
about calendars: "What's a good way to organise my calendar?" became a task, and "What
day of the week is 1 January 2027?" an agenda listing. The rule here is deliberately
simple and written for the six languages the app reads:

- **create** (an event or a task): a message that opens as a question for information
  ("What's…?", "How…?", "Is it better…?", "Wie…?", "Comment…?") creates nothing; a
  request ("Can you add…", "Kannst du…eintragen"), an order or a statement
  ("Tomorrow at noon: coffee with Priya") may;
- **agenda**: the message names the calendar or what is on it (calendar, meetings,
  plans, "do I have", Termine, réunions, agenda…);
- **free slot**: the message speaks of free time (free, slot, fit, time, frei, libre…).

A refused action becomes a prose reply, never a silent guess.
"""

from __future__ import annotations

import re

from assistant.core.dates import plain_words

#: First words that make a message a question asking for information.
QUESTION_STARTS = frozenset(
    """
    what whats how why which who whose is are should does
    wie was warum wieso welche welcher welches ist sind sollte
    quel quelle quels quelles comment pourquoi qui
    que qué como cómo cuál cual cuáles es son debería
    che cosa come perché quale qual è sono dovrei
    quê porque porquê é são devo
    """.split()
)

#: Words that name the calendar or what is on it (whole words, or the start of one).
AGENDA_WORDS = (
    "calendar", "schedule", "agenda", "meeting", "event", "appointment", "plans", "busy", "booked",
    "have", "got",
    "kalender", "termin", "besprechung", "habe", "hab", "vor",
    "calendrier", "rendez", "réunion", "évén", "prévu", "ai",
    "calendario", "cita", "reunión", "evento", "tengo", "planes",
    "appuntament", "riunion", "impegn", "ho",
    "compromisso", "reuniã", "reunião", "tenho",
)

#: Words that speak of free time.
FREE_WORDS = (
    "free", "slot", "fit", "time", "available", "gap", "open",
    "frei", "zeit", "lücke", "libre", "temps", "dispo", "créneau",
    "hueco", "tiempo", "disponib", "libero", "liberi", "tempo", "livre", "vago",
)


def _has_stem(words: list[str], stems: tuple[str, ...]) -> bool:
    """Whether one of ``words`` starts with one of ``stems`` (a stem of three letters or less is a whole word)."""
    return any(word == stem or (len(stem) > 3 and word.startswith(stem)) for word in words for stem in stems)


def is_question(text: str) -> bool:
    """Whether ``text`` opens like a question for information ("What's…", "Wie…", "¿Cómo…")."""
    words = plain_words(text)
    return bool(words) and words[0] in QUESTION_STARTS


#: A word or a few in quotes: what the message is about, not what it asks for ("Translate 'meeting'").
_QUOTED_WORDS = re.compile(r"'[^']{1,40}'|\"[^\"]{1,40}\"|“[^”]{1,40}”|‘[^’]{1,40}’|«[^»]{1,40}»|„[^“]{1,40}“")


def asks_for(action: str, text: str) -> bool:
    """Whether the user's own ``text`` can be asking for ``action`` (see the module's rules).

    Quoted words do not count as asking: "Translate 'meeting' into German" lists no meetings.
    """
    words = plain_words(_QUOTED_WORDS.sub(" ", text))
    if action in ("create_event", "create_task"):
        return not is_question(text)
    if action == "list_events":
        return _has_stem(words, AGENDA_WORDS)
    if action == "find_free_slot":
        return _has_stem(words, FREE_WORDS)
    return True
