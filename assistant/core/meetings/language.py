"""Which language a transcript is in (:func:`detect_language`, from common short words) and the names the prompts use for it."""

from __future__ import annotations

import re

# --- languages ------------------------------------------------------------------------------

LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
    "es": "Spanish",
    "hi": "Hindi",
    "th": "Thai",
}
_STOPWORDS: dict[str, str] = {
    "en": "the and is are to of that we it for you this have with be on not will what can so",
    "de": "der die das und ist nicht wir ich sie es zu mit auf für den dem ein eine auch noch bis",
    "fr": "le la les et est pas nous je vous il que qui des une un pour dans avec sur ce on",
    "it": "il la che di e non è per un una sono con del della anche noi ci questo gli le",
    "pt": "o a os as que de e não é um uma para com do da em nós isso você se por",
    "es": "el la los las que de y no es un una para con del en nosotros esto se por lo",
}


def detect_language(text: str) -> str:
    """A Llama 3.2 language code for ``text`` (script for Hindi and Thai, common words otherwise).

    English when unsure.
    """
    sample = text[:20000]
    letters = [c for c in sample if c.isalpha()]
    if letters:
        devanagari = sum(1 for c in letters if "\u0900" <= c <= "\u097f")
        thai = sum(1 for c in letters if "\u0e00" <= c <= "\u0e7f")
        if devanagari > len(letters) * 0.3:
            return "hi"
        if thai > len(letters) * 0.3:
            return "th"
    words = re.findall(r"[^\W\d_]+", sample.casefold())
    if not words:
        return "en"
    counts = {code: 0 for code in _STOPWORDS}
    sets = {code: set(listed.split()) for code, listed in _STOPWORDS.items()}
    for word in words:
        for code, stop in sets.items():
            if word in stop:
                counts[code] += 1
    best = max(counts, key=lambda code: counts[code])
    return best if counts[best] > counts["en"] else "en"
