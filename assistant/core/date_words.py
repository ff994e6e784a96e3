"""Turn date phrases in English, German, French, Spanish, Italian and Portuguese into one English grammar.

:func:`normalize` is the first step of :mod:`assistant.core.dates`: it lowercases, folds
accents ("mañana" -> "manana", "nächste" -> "nachste"), writes number words as digits where
they are hours, minutes or counts ("at ten", "a las tres", "in zwei Wochen"), rewrites clock
idioms ("half past two" -> 2:30, "halb drei" -> 2:30, "neuf heures moins le quart" -> 8:45,
"9 h 30" -> 9:30, "18h30" -> 18:30, "14 Uhr" -> "14 o'clock") and translates the words of the
other languages ("bis Freitag" -> "by friday", "mardi prochain" -> "next tuesday", "para el
viernes" -> "by friday", "entro venerdì" -> "by friday", "até sexta-feira" -> "by friday").
It decides nothing: every rule about which day is meant lives in the English grammar
(:mod:`assistant.core.date_grammar`), so "next Friday" and "vendredi prochain" follow the same
ambiguity rule.

Words the tables do not know are left as they are, so the grammar refuses the phrase
instead of guessing. A few words that mean something else in English are only translated
where the context makes them date words ("due" is Italian two only before a unit or after
"alle"; "um" is German "at" only before a time; "am" is German "on" only before a weekday
or a day number; "sept" stays the English month abbreviation unless an hour follows).
"""

from __future__ import annotations

import re
import unicodedata

_EN_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_EN_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]

# Weekday names, accents folded; index 0 is Monday.
WEEKDAY_NAMES: dict[str, list[str]] = {
    "de": ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag|sonnabend", "sonntag"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "es": ["lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"],
    "it": ["lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "sabato", "domenica"],
    "pt": [
        "segunda-feira|segunda feira|segunda",
        "terca-feira|terca feira|terca",
        "quarta-feira|quarta feira|quarta",
        "quinta-feira|quinta feira|quinta",
        "sexta-feira|sexta feira|sexta",
        "sabado",
        "domingo",
    ],
}
# Month names, accents folded; index 0 is January.
MONTH_NAMES: dict[str, list[str]] = {
    "de": "januar|janner februar marz|maerz april mai juni juli august september oktober november dezember".split(),
    "fr": "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre|setiembre octubre noviembre diciembre".split(),
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
    "pt": "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro".split(),
}
# Number words for hours and counts. Articles ("un", "una", "ein") and words that are
# also English ("once", "due", "sept") are handled by context, see _NUMBER_CONTEXT.
NUMBER_WORDS: dict[str, int] = {}
for _language_words in (
    "one two three four five six seven eight nine ten eleven twelve",
    "eins zwei drei vier funf sechs sieben acht neun zehn elf zwolf",
    "une deux trois quatre cinq six sept huit neuf dix onze douze",
    "uno dos tres cuatro cinco seis siete ocho nueve diez once doce",
    "una due tre quattro cinque sei sette otto nove dieci undici dodici",
    "uma dois tres quatro cinco seis sete oito nove dez onze doze",
):
    for _value, _word in enumerate(_language_words.split(), start=1):
        NUMBER_WORDS.setdefault(_word, _value)
NUMBER_WORDS |= {"duas": 2, "fuenf": 5, "zwoelf": 12, "ein": 1, "eine": 1, "einer": 1, "einem": 1, "un": 1, "um": 1}
NUMBER_WORDS |= {"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18}
NUMBER_WORDS |= {"nineteen": 19, "twenty": 20, "quinze": 15, "quince": 15, "quindici": 15}

_UNITS = (
    r"weeks?|days?|hours?|minutes?|months?|years?|wochen|woche|tagen|tage|tag|stunden|stunde|minuten|monaten|monate|monat"
    r"|semaines?|jours?|heures?|mois|ans?|semanas?|dias?|horas?|minutos?|meses|mes|anos?"
    r"|settimane|settimana|giorni|giorno|ore|ora|minuti|mesi|mese|anni|anno|uhr|h\b|am\b|pm\b|a\.m\.|p\.m\.|o'clock"
)
# A number word is an hour or a count after one of these words, or before a unit.
_BEFORE = (
    r"at|from|to|till|until|in|past|um|ab|bis|von|halb|nach|vor|las|la|alle|ore|dalle|tra|fra|a|as|ao|de|desde"
    r"|hasta|dans|vers|en|em|entre|und|et|y|e|and|l'|all'|quarter|half|around|about|by|pour|para|entro|ate"
)
_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_NUMBER_AFTER = re.compile(rf"\b({_BEFORE})\s+({_WORD})\b(?!-)")
_NUMBER_BEFORE_UNIT = re.compile(rf"\b({_WORD})\s+(?=(?:{_UNITS}))")
_ENGLISH_ONLY = {"a", "an", "in", "to", "at", "by", "and", "about", "around"}  # "in a week" stays for the grammar


def _fold(text: str) -> str:
    text = text.lower().replace("ß", "ss").replace("’", "'").replace("`", "'")
    text = re.sub(r"[–—]", "-", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


def _numbers(text: str) -> str:
    def after(match: re.Match[str]) -> str:
        word, number = match.group(1), match.group(2)
        if number in ("un", "une", "una", "uno", "um", "uma", "ein", "eine", "einer", "einem"):
            if word not in ("las", "la", "alle", "all'", "as", "a", "um", "halb", "vor", "nach", "l'"):
                return match.group(0)  # an article ("in einer Woche" is read before units)
        if number in ("once", "due", "sept", "sei", "tre") and word in _ENGLISH_ONLY:
            return match.group(0)
        return f"{word} {NUMBER_WORDS[number]}"

    text = _NUMBER_BEFORE_UNIT.sub(lambda m: f"{NUMBER_WORDS[m.group(1)]} ", text)
    text = re.sub(r"\ball'(?=\d|una\b)", "alle ", text)
    text = re.sub(r"\ball'una\b", "alle 1", text)
    return _NUMBER_AFTER.sub(after, _NUMBER_AFTER.sub(after, text))


def _minus(hour: str, minutes: int) -> str:
    h = int(hour)
    return f"{(h - 1) % 24 or 12 if h <= 12 else h - 1}:{60 - minutes:02d}"


# Clock idioms, applied after number words became digits.
_MINUTE_WORDS = {"five": 5, "ten": 10, "twenty": 20, "twenty-five": 25, "twenty five": 25}
_HOUR_WORD = "(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_WORD_IDIOMS = [
    (rf"\b(twenty-five|twenty five|twenty|ten|five) (?:minutes )?past {_HOUR_WORD}\b",
     lambda m: f"{NUMBER_WORDS[m.group(2)]}:{_MINUTE_WORDS[m.group(1)]:02d}"),
    (rf"(?<!from )(?<!between )\b(twenty-five|twenty five|twenty|ten|five) (?:minutes )?to {_HOUR_WORD}\b",
     lambda m: _minus(str(NUMBER_WORDS[m.group(2)]), _MINUTE_WORDS[m.group(1)])),
]
_CLOCK_IDIOMS: list[tuple[str, object]] = [
    (r"\bhalf past (\d{1,2})\b", r"\1:30"),
    (r"\bquarter past (\d{1,2})\b", r"\1:15"),
    (r"\b(?:a )?quarter to (\d{1,2})\b", lambda m: _minus(m.group(1), 15)),
    (r"\b(\d{1,2}) (thirty|fifteen|forty[- ]five)\b", lambda m: f"{m.group(1)}:{ {'thirty': 30, 'fifteen': 15}.get(m.group(2), 45)}"),
    (r"\b(\d{1,2}) o'?clock\b", r"\1 o'clock"),
    # German: "halb drei" is 2:30, "Viertel nach drei" 3:15, "Viertel vor drei" 2:45.
    (r"\bhalb (\d{1,2})\b", lambda m: _minus(m.group(1), 30)),
    (r"\bviertel nach (\d{1,2})\b", r"\1:15"),
    (r"\bviertel vor (\d{1,2})\b", lambda m: _minus(m.group(1), 15)),
    (r"\b(\d{1,2})[.:](\d{2}) uhr\b", r"\1:\2"),
    (r"\b(\d{1,2}) uhr (\d{2})\b", r"\1:\2"),
    (r"\b(\d{1,2}) uhr\b", r"\1 o'clock"),
    # French: "9 h 30", "9h30", "neuf heures et demie", "neuf heures moins le quart".
    (r"\b(\d{1,2}) ?(?:h|heures?) ?(?:et demie|et demi)\b", r"\1:30"),
    (r"\b(\d{1,2}) ?(?:h|heures?) ?et quart\b", r"\1:15"),
    (r"\b(\d{1,2}) ?(?:h|heures?) ?moins (?:le )?quart\b", lambda m: _minus(m.group(1), 15)),
    (r"\b(\d{1,2}) ?(?:h|heures?) ?(\d{2})\b", r"\1:\2"),
    (r"\b(\d{1,2}) ?(?:h|heures?)\b(?! ?\d)", r"\1 o'clock"),
    # Spanish, Italian, Portuguese: "las tres y media", "le nove meno un quarto", "três e meia".
    (r"\b(\d{1,2}) (?:y|e) (?:media|mezza|mezzo|meia)\b", r"\1:30"),
    (r"\b(\d{1,2}) (?:y|e) (?:un |um )?(?:cuarto|quarto)\b", r"\1:15"),
    (r"\b(\d{1,2}) (?:menos|meno) (?:un )?(?:cuarto|quarto)\b", lambda m: _minus(m.group(1), 15)),
    (r"\b(\d{1,2}) en punto\b", r"\1 o'clock"),
    (r"\b(\d{1,2}) (?:horas|hrs)\b", r"\1 o'clock"),
]


def _alternatives(names: dict[str, list[str]], index: int) -> str:
    return "|".join(names[language][index] for language in names)


_PHRASES: list[tuple[str, str]] = []
for _i, _english in enumerate(_EN_WEEKDAYS):
    _PHRASES.append((rf"\b(?:{_alternatives(WEEKDAY_NAMES, _i)})\b", _english))
for _i, _english in enumerate(_EN_MONTHS):
    _PHRASES.append((rf"\b(?:{_alternatives(MONTH_NAMES, _i)})\b", _english))

_DAY = "(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = "(" + "|".join(_EN_MONTHS) + ")"
_COUNT = r"(\d+|a|an)"
_UNIT_WORDS = [
    (r"wochen|woche|semaines?|semanas?|settimane|settimana", "weeks"),
    (r"tagen|tage|tag|jours?|dias?|giorni|giorno", "days"),
    (r"stunden|stunde|heures?|horas?|ore|ora", "hours"),
    (r"minuten|minutos?|minuti|minutes?", "minutes"),
    (r"monaten|monate|monat|mois|meses|mes|mesi|mese", "months"),
]

# "in two weeks": in / dans / en / tra / fra / em / daqui a / dentro de (before "2 heures" becomes a clock time)
_RELATIVE = [
    (rf"\b(?:in|dans|en|tra|fra|em|daqui a|dentro de) (\d+|un|une|una|uno|um|uma|ein|eine|einer|einem) (?:{words})\b",
     rf" in \1 {english} ")
    for words, english in _UNIT_WORDS
] + [(r"\bin (?:un|une|una|uno|um|uma|ein|eine|einer|einem) ", " in a ")]

# Phrases of the other languages, in order (longer and more specific first). Applied to
# folded text in which weekday and month names are already English.
_PHRASES += [
    # --- sentence breaks the model copied: "March 18th. The launch is that evening, at 6 pm"
    (r"\.\s+[^.]*?\b(that (?:day|morning|afternoon|evening|night))\b", r" \1"),
    # --- spans: "von 10 bis 12", "de 10 h a 12 h", "de 10 a 12", "dalle 10 alle 12", "das 10 as 12"
    (r"\b(?:von|vom) (\S+(?: o'clock)?) bis(?: zum)? ", r"from \1 to "),
    (r"\b(\d{1,2}(?::\d{2})?(?: o'clock)?) bis (?=\d)", r"\1 to "),
    (r"\bzwischen (\S+(?: o'clock)?) und ", r"between \1 and "),
    (r"\b(?:de|desde las|desde la|desde|de las|de la|dalle|dall'|das|da) (\d{1,2}(?::\d{2})?(?: o'clock)?) "
     r"(?:a|a las|a la|hasta las|hasta la|alle|as|ate as|jusqu'a) (?=\d)", r"from \1 to "),
    (r"\bentre (?:las |as |le )?(\d{1,2}(?::\d{2})?(?: o'clock)?) (?:et|y|e) (?:las |as |le )?(?=\d)", r"between \1 and "),
    # --- relative days
    (r"\b(?:ubermorgen|uebermorgen|apres-demain|apres demain|pasado manana|dopodomani|depois de amanha)\b",
     "day after tomorrow"),
    (r"\b(?:heute|aujourd'hui|aujourdhui|hoy|oggi|hoje) (?:abend|soir)\b", "this evening"),
    (r"\b(?:ce soir|stasera)\b", "this evening"),
    (r"\b(?:heute nacht|esta noche|stanotte|esta noite|hoje a noite|hoje de noite|hoje noite)\b", "tonight"),
    (r"\b(?:heute (?:morgen|fruh|vormittag)|ce matin|esta manana|stamattina|stamani|stamane|esta manha"
     r"|hoje de manha|hoje pela manha)\b", "this morning"),
    (r"\b(?:heute nachmittag|cet apres-midi|cet apres midi|esta tarde|oggi pomeriggio|questo pomeriggio"
     r"|hoje a tarde|hoje de tarde)\b", "this afternoon"),
    (r"\bmorgen (?:fruh|morgen)\b", "tomorrow morning"),
    (r"\b(?:am morgen|morgens|vormittags|vormittag|du matin|de la manana|por la manana|en la manana"
     r"|di mattina|del mattino|della mattina|la mattina|de manha|da manha|pela manha)\b", "in the morning"),
    (r"\b(?:am nachmittag|nachmittags|de l'apres-midi|de l'apres midi|de la tarde|por la tarde|del pomeriggio"
     r"|di pomeriggio|da tarde|a tarde|de tarde)\b", "in the afternoon"),
    (r"\b(?:am abend|abends|du soir|de la noche|por la noche|di sera|della sera|la sera|da noite|a noite"
     r"|de noite)\b", "in the evening"),
    (r"\b(?:nachts|in der nacht|de la nuit|di notte|da madrugada|de la madrugada)\b", "at night"),
    (r"\b(?:morgen|demain|manana|domani|amanha)\b", "tomorrow"),
    (r"\b(?:heute|aujourd'hui|aujourdhui|hoy|oggi|hoje)\b", "today"),
    (r"\b(?:gestern|hier|ayer|ieri|ontem)\b", "yesterday"),
    (r"\b(?:nachmittag|apres-midi|apres midi|pomeriggio|tarde)\b", "afternoon"),
    (r"\b(?:abend|soir|soiree|noche|sera|serata|noite)\b", "evening"),
    (r"\b(?:matin|matinee|mattina|mattino|manha|fruh)\b", "morning"),
    (r"\b(?:nacht|nuit|notte)\b", "night"),
    (r"\b(?:(?:zu |a |al |ao |a o )?(?:mittag|mittags|midi|mediodia|mezzogiorno|meio-dia|meio dia))\b", "noon"),
    (r"\b(?:mitternacht|minuit|medianoche|mezzanotte|meia-noite|meia noite)\b", "midnight"),
    # --- weeks and months
    (r"\b(?:(?:de |di |da )?(?:la |a )?(?:nachsten|nachste|nachster|naechste|naechster|naechsten|kommende|kommender"
     r"|kommenden) woche|(?:de )?la semaine prochaine|semaine prochaine|la proxima semana|la semana que viene"
     r"|la semana proxima|proxima semana|(?:della )?(?:la )?settimana prossima|(?:la )?prossima settimana"
     r"|(?:da |na )?(?:a )?semana que vem|(?:da |na )?a proxima semana|na proxima semana)\b", "next week"),
    (r"\b(?:diese woche|cette semaine|esta semana|questa settimana)\b", "this week"),
    (r"\b(?:(?:im )?(?:nachsten|naechsten|kommenden) monat|(?:le )?mois prochain|el mes que viene|el proximo mes"
     r"|el mes proximo|(?:il )?mese prossimo|(?:il )?prossimo mese|(?:o )?proximo mes|mes que vem)\b", "next month"),
    (r"\b(?:diesen monat|ce mois-ci|este mes|questo mese)\b", "this month"),
    # --- deadlines: end of the month, week, day
    (r"\b(?:(?:zum |bis )?monatsende|ende (?:des|dieses) monats|(?:la )?fin (?:du|de) mois|(?:a )?(?:fin|final|finales|fines)"
     r" (?:de|del) mes|(?:la )?fine (?:del |di )?mese|(?:o )?(?:fim|final) (?:do|de) mes)\b", "end of the month"),
    (r"\b(?:ende (?:der|dieser) woche|(?:la )?fin de (?:la|cette) semaine|(?:el )?(?:fin|final|finales) de (?:la|esta) semana"
     r"|(?:la )?fine (?:della|di questa) settimana|entro fine settimana|(?:o )?(?:fim|final) da semana)\b", "end of the week"),
    (r"\b(?:ende nachster woche|ende der nachsten woche)\b", "end of next week"),
    (r"\b(?:tagesende|ende des tages|feierabend|fin de (?:la )?journee|fin del dia|fine giornata|fim do dia)\b", "end of day"),
    (r"\b(?:nach (?:dem|der) (?:meeting|besprechung|termin|sitzung|call)|apres (?:la|cette) reunion"
     r"|despues de (?:la|esta) reunion|dopo (?:la|questa) riunione|depois da reuniao)\b", "after the meeting"),
    (r"\b(?:(?:zur |zu )?(?:gleichen|selben|gleiche|selbe) (?:zeit|uhrzeit)|(?:a )?la meme heure|(?:a )?la misma hora"
     r"|(?:alla )?stessa ora|(?:a |na )?mesma hora)\b", "same time"),
    # --- next / this weekday
    (rf"\b(?:nachsten|nachster|naechsten|kommenden|kommender|el proximo|proximo|proxima|prossimo|prossima) {_DAY}\b",
     r"next \1"),
    (rf"\b{_DAY} (?:prochain|prochaine|proximo|proxima|que viene|que vem|prossimo|prossima)\b", r"next \1"),
    (rf"\b(?:diesen|dieser|ce|cette|este|esta|questo|questa) {_DAY}\b", r"this \1"),
    (rf"\b{_DAY} (?:de la |de |da |della )?next week\b", r"\1 next week"),
    # --- dates: "12. Dezember", "6 de marzo de 2027", "dia 6", "le 20", "am 3."
    (rf"(?<!\d)(?<!\d )\b(?:am|no dia|no|na) (?=\d{{1,2}}\. |\d{{1,2}}\.? (?:de )?{_MONTH})", "on"),
    (rf"\b(\d{{1,2}})\.? (?:de )?{_MONTH}(?: de)?(?= \d{{4}}|\b)", r"\1 \2"),
    (rf"\b{_DAY} (?:den |le |el |il |o |dia )?(\d{{1,2}})\.?(?= at\b| um\b| a\b| as\b| alle\b| ab\b|\s*$|,| from\b)",
     r"\1 the \2th"),
    (r"\b(?:no dia|am|le|el|il|dia|den|o) (\d{1,2})\.?(?= at\b| um\b| a\b| as\b| alle\b| ab\b|\s*$|,)", r"the \1th"),
    # --- prepositions: deadlines and times
    (r"\b(?:bis spatestens|spatestens bis|bis zum|bis zur|bis|d'ici (?:a |au |le |la )?|d'ici|pour (?:le |la )?"
     r"|jusqu'a|jusqu'au|para el|para la|para|hasta el|hasta la|hasta|entro (?:il |la |lo |le )?|entro"
     r"|ate (?:a |ao |o )?|ate)\b", "by"),
    (r"\b(?:vor dem|vor der|vor|avant (?:le |la )?|avant|antes del|antes de la|antes de|prima del|prima di"
     r"|antes do|antes da)\b(?! ?\d)", "before"),
    (r"\b(?:um|a las|a la|alle ore|alle|ore|as|a|ab|vers|verso)\b(?= ?\d)", "at"),
    (r"\bab\b", "from"),
    (rf"(?<!\d)(?<!\d )\b(?:am|no|na|el|le|il|o|a)\b(?= {_DAY}\b)", "on"),
    (r"\b(?:den|der|dem|zum|noch|spatestens|le|la|les|el|los|las|il|lo|del|della|de|di|du|des|da|dia|ao|heures?)\b", " "),
]
_COMPILED = [(re.compile(pattern), f" {replacement} ") for pattern, replacement in _PHRASES]
_COMPILED_WORD_IDIOMS = [(re.compile(pattern), replacement) for pattern, replacement in _WORD_IDIOMS]
_COMPILED_RELATIVE = [(re.compile(pattern), replacement) for pattern, replacement in _RELATIVE]
_COMPILED_IDIOMS = [(re.compile(pattern), replacement) for pattern, replacement in _CLOCK_IDIOMS]
_ENGLISH_TERMS = [
    (re.compile(r"\b(?:eod|cob|close of business|end of business|end of the day|end of (?:the )?business day)\b"), "end of day"),
    (re.compile(r"\b(?:the )?end of (?:this|the) (week|month|year)\b"), r"end of the \1"),
    (re.compile(r"\bend of (week|month|year)\b"), r"end of the \1"),
    (re.compile(r"\b(week|month)[- ]end\b"), r"end of the \1"),
    (re.compile(r"\bafter (?:this|the|our|today's) (?:meeting|call|sync|stand-?up)\b"), "after the meeting"),
    (re.compile(r"\b(?:at )?(?:the )?same time\b"), "same time"),
]


def normalize(text: str) -> str:
    """``text`` in the English date grammar: lowercase, accents folded, digits for number words."""
    folded = _fold(text)
    for pattern, replacement in _COMPILED_WORD_IDIOMS:
        folded = pattern.sub(replacement, folded)  # type: ignore[arg-type]
    folded = _numbers(folded)
    for pattern, replacement in _COMPILED_RELATIVE:
        folded = pattern.sub(replacement, folded)
    for pattern, replacement in _COMPILED_IDIOMS:
        folded = pattern.sub(replacement, folded)  # type: ignore[arg-type]
    for pattern, replacement in _COMPILED:
        folded = " ".join(pattern.sub(replacement, folded).split())
    for pattern, replacement in _ENGLISH_TERMS:
        folded = pattern.sub(replacement, folded)
    folded = _FIRST_OF_MONTH.sub("1 ", folded)  # "le 1er février", "el primero de marzo", "1º de março"
    folded = folded.replace(",", " ")
    return " ".join(folded.split())


_FIRST_OF_MONTH = re.compile(
    r"\b(?:1(?:er|re|º|ª|°|o|a)|premier|primo|primero|primeiro)\s+(?:(?:of|de|di)\s+)?"
    r"(?=(?:january|february|march|april|may|june|july|august|september|october|november|december)\b)"
)
