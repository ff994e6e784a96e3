"""Which language a transcript is in (:func:`detect_language`, from common short words) and the names the prompts use for it.

:data:`SPEECH_LANGUAGES` are the languages faster-whisper recognizes (the choice offered for
recordings and imports); :func:`notes_language` checks a chosen code, so notes are asked for in
the meeting's language (Llama 3.2 is tuned for the eight languages of :data:`LLAMA_LANGUAGES`;
for the others the model does its best).
"""

from __future__ import annotations

import re
from pathlib import Path

# --- languages ------------------------------------------------------------------------------

LLAMA_LANGUAGES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
    "es": "Spanish",
    "hi": "Hindi",
    "th": "Thai",
}
_SPEECH_NAMES = (
    "af Afrikaans|am Amharic|ar Arabic|as Assamese|az Azerbaijani|ba Bashkir|be Belarusian|bg Bulgarian|"
    "bn Bengali|bo Tibetan|br Breton|bs Bosnian|ca Catalan|cs Czech|cy Welsh|da Danish|de German|el Greek|"
    "en English|es Spanish|et Estonian|eu Basque|fa Persian|fi Finnish|fo Faroese|fr French|gl Galician|"
    "gu Gujarati|ha Hausa|haw Hawaiian|he Hebrew|hi Hindi|hr Croatian|ht Haitian Creole|hu Hungarian|"
    "hy Armenian|id Indonesian|is Icelandic|it Italian|ja Japanese|jw Javanese|ka Georgian|kk Kazakh|km Khmer|"
    "kn Kannada|ko Korean|la Latin|lb Luxembourgish|ln Lingala|lo Lao|lt Lithuanian|lv Latvian|mg Malagasy|"
    "mi Maori|mk Macedonian|ml Malayalam|mn Mongolian|mr Marathi|ms Malay|mt Maltese|my Burmese|ne Nepali|"
    "nl Dutch|nn Norwegian Nynorsk|no Norwegian|oc Occitan|pa Punjabi|pl Polish|ps Pashto|pt Portuguese|"
    "ro Romanian|ru Russian|sa Sanskrit|sd Sindhi|si Sinhala|sk Slovak|sl Slovenian|sn Shona|so Somali|"
    "sq Albanian|sr Serbian|su Sundanese|sv Swedish|sw Swahili|ta Tamil|te Telugu|tg Tajik|th Thai|tk Turkmen|"
    "tl Tagalog|tr Turkish|tt Tatar|uk Ukrainian|ur Urdu|uz Uzbek|vi Vietnamese|yi Yiddish|yo Yoruba|"
    "zh Chinese|yue Cantonese"
)
#: Every language faster-whisper recognizes, code -> English name.
SPEECH_LANGUAGES: dict[str, str] = dict(item.split(" ", 1) for item in _SPEECH_NAMES.split("|"))
#: Names the notes prompt uses: every recognized language (Llama 3.2's eight are the ones it is tuned for).
LANGUAGE_NAMES: dict[str, str] = {**SPEECH_LANGUAGES, **LLAMA_LANGUAGES}


def notes_language(code: str | None) -> str:
    """A checked language code ("auto" for none); ValueError with the choices for an unknown one."""
    cleaned = (code or "auto").strip().lower()
    if cleaned == "auto" or cleaned in SPEECH_LANGUAGES:
        return cleaned
    raise ValueError(f"Unknown language '{code}'. Use auto or a code such as en, de, es, fr, it, pt, nl, pl, ja, zh.")
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


def hears_only_english(model: str | Path) -> bool:
    """Whether a speech model (folder or catalog id) is English-only: faster-whisper's ``.en`` models."""
    name = Path(str(model)).name
    return name.endswith(".en") or "-en" in name


def speech_model_for(language: str, preferred: str | None) -> tuple[str | None, str]:
    """The speech model to use for a meeting in ``language`` and, when none fits, why.

    English and auto-detect keep ``preferred`` (the app's setting; None: the first downloaded).
    Another language needs a multilingual model: ``preferred`` when it is one, else the first
    multilingual model downloaded; with none, (None, a message saying what to download).
    """
    if language in ("auto", "en") or (preferred and not hears_only_english(preferred)):
        return preferred, ""
    from assistant.core.audio.stt import downloaded_speech_models

    for folder in downloaded_speech_models():
        if not hears_only_english(folder):
            return str(folder), ""
    name = SPEECH_LANGUAGES.get(language, language)
    return None, (
        f"To hear {name}, download a multilingual speech model on the Models page "
        "(Speech to text: meetings in other languages too)."
    )
