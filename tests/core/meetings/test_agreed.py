"""Sessions as the meeting agreed them (meetings/agreed.py), and times read up to where they end."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings import MeetingContext, Summarizer
from assistant.core.meetings.agreed import line_words, settle, title_by_start
from assistant.core.meetings.extract import readable_start
from assistant.core.meetings.notes import ProposedEvent
from assistant.core.meetings.second_look import AGREED_SCHEMA, CHECK_SCHEMA, SESSION_SCHEMA
from tests.support.notes import NOT_A_PROMISE, extraction_json


@pytest.fixture
def context() -> MeetingContext:
    return MeetingContext.create(datetime(2026, 11, 30, 9, 30), "Europe/Berlin")  # a Monday


def loaded(script) -> FakeEngine:
    """A loaded fake model answering with ``script(messages, params)``."""
    engine = FakeEngine(script, n_ctx=4096)
    engine.load("fake.gguf")
    return engine


def event(title: str, said: str, start: str = "") -> ProposedEvent:
    return ProposedEvent(title=title, start=start, start_said=said)


def test_a_time_corrected_in_the_same_turn_is_the_one_kept(context):
    text = "Mei: Then we could do the SSO setup together. Wednesday at 9? Oh wait, no, I'm in a workshop Wednesday. Thursday at 9 am?\nJoanne: Thursday at 9 am is good."
    [setup] = settle([event("SSO setup", "Wednesday at 9", "2026-12-02T09:00+01:00")], text, context)
    assert setup.start == "2026-12-03T09:00+01:00" and setup.start_said.startswith("Thursday at 9")


def test_a_time_said_again_with_the_sessions_name_two_turns_later_moves_it(context):
    text = ("Olivia: Can we do a quick budget check-in? Tomorrow at 3?\nFemi: Tomorrow at 3 I'm at the dentist. Can we do 4?\n"
            "Olivia: Tomorrow at 4 then, budget check-in.")  # fmt: skip
    [check_in] = settle([event("Budget check-in", "Tomorrow at 3", "2026-12-01T15:00+01:00")], text, context)
    assert (check_in.start, check_in.start_said) == ("2026-12-01T16:00+01:00", "Tomorrow at 4")


def test_a_bare_hour_does_not_move_a_session(context):
    text = "Olivia: Budget check-in tomorrow at 3?\nFemi: I'm at the dentist then. Can we do 4?"
    [check_in] = settle([event("Budget check-in", "tomorrow at 3", "2026-12-01T15:00+01:00")], text, context)
    assert check_in.start == "2026-12-01T15:00+01:00"  # "4" names no day: the user checks, code does not guess


def test_the_next_session_planned_in_the_same_turn_keeps_its_own_time(context):
    text = "Olivia: Monday the 4th at 10 for the roadmap review, yes. And then the actual kick-off, January 11 at 9:30, the whole team."
    events = [event("Roadmap review", "Monday the 4th at 10", "2027-01-04T10:00+01:00"),
              event("Kick-off", "January 11 at 9:30", "2027-01-11T09:30+01:00")]  # fmt: skip
    assert [(e.title, e.start) for e in settle(events, text, context)] == [(e.title, e.start) for e in events]
    alone = settle(events[:1], text, context)  # even when the kick-off was not noted: no correction, not named
    assert alone[0].start == "2027-01-04T10:00+01:00"


def test_one_session_per_start_titled_with_the_words_said_with_its_time(context):
    text = "Raj: Monday the 4th at 10?\nOlivia: Monday the 4th at 10 for the roadmap review, yes."
    events = [event("Q1 planning meeting", "Monday the 4th at 10", "2027-01-04T10:00+01:00"),
              event("Roadmap review", "Monday the 4th at 10", "2027-01-04T10:00+01:00")]  # fmt: skip
    [review] = settle(events, text, context)
    assert review.title == "Roadmap review"


def test_a_session_whose_time_was_not_read_gives_way_to_the_same_session_read(context):
    text = "Marta: Les propongo el miércoles por la mañana. Mejor el jueves a las tres.\nAna: Y el inventario anual, el sábado."
    events = [event("Reunión con el transportista", "miércoles a la mañana"),  # not said so, not resolved
              event("Reunión con el transportista", "jueves a las tres", "2026-12-03T15:00+01:00"),
              event("Wire money", "every day of the year")]  # fmt: skip
    assert [e.title for e in settle(events, text, context)] == ["Reunión con el transportista", "Wire money"]


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("Friday at two, in my office, room 214", "Friday at two"),
        ("March 16th at 3 pm, at the venue if they let us in", "March 16th at 3 pm"),
        ("le 19 janvier à 9 h 30, au studio de Montreuil", "le 19 janvier à 9 h 30"),
        ("every day of the year, starting tomorrow at 9", "every day of the year, starting tomorrow at 9"),  # not made a time
        ("Monday at 10", "Monday at 10"),
        ("am Wochenende, den 12. Dezember, ab 8 Uhr", "den 12. Dezember, ab 8 Uhr"),  # the vague lead-in dropped
        ("jeden Montag, um 9", "jeden Montag, um 9"),  # recurring: no single start is made of it
    ],
)
def test_a_time_is_read_up_to_where_it_ends(said, read):
    assert readable_start(said, datetime(2027, 2, 1, 10)) == read


def test_a_session_check_keeps_only_times_said_in_the_line_it_judges(context):
    transcript = ("[00:00:10] Rosa: I'll do the slides for the webinar, I'll have them by Monday.\n"
                  "[00:00:20] Nadia: Let's also review the newsletter before it goes out. Friday at 10?")  # fmt: skip

    def script(messages, params) -> str:
        if params.json_schema == SESSION_SCHEMA:  # the model also reports the line before's "Monday"
            return json.dumps({"sessions": [{"title": "Webinar", "when": "Monday"}, {"title": "Newsletter review", "when": "Friday at 10"}]})
        if params.json_schema == CHECK_SCHEMA:
            return NOT_A_PROMISE
        return extraction_json(sessions=[("Webinar", "December 16th at 5 pm")])

    engine = loaded(script)
    events = Summarizer(engine, context).summarize(transcript).notes.proposed_events
    assert [(e.title, e.start_said) for e in events] == [("Webinar", "December 16th at 5 pm"), ("Newsletter review", "Friday at 10")]


def test_a_session_check_reads_a_misread_time_in_the_lines_own_words_and_keeps_every_session(context):
    line = ("Lena: Dates: the website demo is Thursday at 2, the interview day February 5th from nine, the supplier "
            "visit February 9th at 10, the phishing training February 11th at 9:30, and the board call on the 4th at 5.")  # fmt: skip
    said = [("Website demo", "Thursday at 2"), ("Interview day", "February 5th from nine"), ("Supplier visit", "February 9th at 10"),
            ("Phishing training", "February 11th at 9:30"), ("Board call", "April 4th at 5")]  # fmt: skip

    def script(messages, params) -> str:
        if params.json_schema == SESSION_SCHEMA:
            return json.dumps({"sessions": [{"title": title, "when": when} for title, when in said]})
        if params.json_schema == CHECK_SCHEMA:
            return NOT_A_PROMISE
        return extraction_json(sessions=[("Launch rehearsal", "March 16th at 3 pm")])

    engine = loaded(script)
    meeting = MeetingContext.create(datetime(2027, 1, 25, 13, 0), "Europe/Berlin")
    events = Summarizer(engine, meeting).summarize(f"{line}\nSophie: Launch rehearsal March 16th at 3 pm.").notes.proposed_events
    assert len(events) == 6  # the first reading's list size (5) does not cut the check's sessions
    board = next(e for e in events if e.title == "Board call")
    assert (board.start_said, board.start) == ("4th at 5", "2027-02-04T17:00+01:00")  # not April


def test_two_sessions_in_one_sentence_keep_their_own_times(context):
    text = "Ruth: Reminder, the dry run is Thursday at ten, and the migration window is Saturday from six to eight in the morning."
    events = [event("Dry run", "Thursday at ten", "2026-12-03T10:00+01:00"),
              event("Migration window", "Saturday from six to eight in the morning", "2026-12-05T06:00+01:00")]  # fmt: skip
    assert [e.start for e in settle(events, text, context)] == [e.start for e in events]



@pytest.mark.parametrize("language", ["de", "fr", "es", "it", "pt"])
def test_the_second_looks_worked_answers_are_in_the_meetings_language(language):
    from assistant.core.meetings.examples import TRANSLATED_EXAMPLES
    from assistant.core.meetings.second_look import Candidate, check_messages

    context = MeetingContext.create(datetime(2026, 11, 30, 9, 30), "Europe/Berlin", language=language)
    line = Candidate("Ana", "Ana: …", "")
    _transcript, reply = TRANSLATED_EXAMPLES[language]
    promise = json.loads(check_messages(context, line)[2]["content"])
    session = json.loads(check_messages(context, line, session=True)[2]["content"])
    assert promise == {"promise": True, "task": reply["commitments"][1]["task"], "due": reply["commitments"][1]["due"]}
    assert session == {"sessions": [dict(reply["sessions"][0])]}
    english = MeetingContext.create(datetime(2026, 11, 30, 9, 30), "Europe/Berlin", language="en")
    assert "error logs" in check_messages(english, line)[1]["content"]  # English keeps its own (measured) examples


def test_a_task_due_when_a_session_starts_is_the_session(context):
    from assistant.core.meetings.agreed import without_sessions
    from assistant.core.meetings.notes import ActionItem

    review = event("Design review", "Wednesday at 11", "2026-12-02T11:00+01:00")
    items = [ActionItem(task="present the search work at the design review", owner="Diego", due="2026-12-02", due_said="Wednesday at 11"),
             ActionItem(task="send the slides", owner="Diego", due="2026-12-02", due_said="by Wednesday"),
             ActionItem(task="book the room", owner="Ana", due="2026-12-02", due_said="Wednesday at 9")]  # fmt: skip
    assert [i.task for i in without_sessions(items, [review], context)] == ["send the slides", "book the room"]


def test_a_title_that_names_only_a_kind_takes_the_words_said_before_its_time(context):
    text = "Lena: Next monthly meeting is Monday, February 22nd, at 1, same as today.\nAna: The call was good."
    meeting = event("Meeting", "Monday, February 22nd, at 1", "2027-02-22T13:00+01:00")
    call = event("Call", "Friday at 3", "2027-02-19T15:00+01:00")  # its time is not in the meeting: kept
    assert [e.title for e in settle([meeting, call], text, context)] == ["Next monthly meeting", "Call"]


def test_a_slip_corrected_mid_sentence_and_a_day_refused_then_replaced(context):
    text = ("Élodie: Le 19 — non, pardon, le 20 janvier, à 9 h 30, au studio de Montreuil.\n"
            "Camille: Le 20 janvier à 9 h 30, noté. Et il nous faut un point avec le client pour valider tout ça. Lundi ?\n"
            "Julien: Lundi je suis en formation toute la journée.\nCamille: Alors mardi à 10 h.")  # fmt: skip
    shoot = event("Shooting", "le 19 janvier à 9 h 30", "2027-01-19T09:30+01:00")
    client = event("Point avec le client", "Lundi", "2026-12-07")
    settled = settle([shoot, client], text, context)
    assert [e.start[:16] for e in settled] == ["2027-01-20T09:30", "2026-12-01T10:00"]


def test_a_time_is_not_moved_to_a_shorter_reading_of_its_own_words(context):
    text = "Ruth: Maybe, let's see after launch. And let's go through the numbers together next Tuesday at 11."
    [review] = settle([event("Numbers review", "next Tuesday at 11")], text, context)  # ambiguous: left to check
    assert (review.start, review.start_said) == ("", "next Tuesday at 11")


def test_a_time_after_another_topic_is_opened_does_not_move_a_session(context):
    text = ("Lena: Launch rehearsal March 16th at 3 pm, at the venue.\n"
            "Malik: Oh, one more thing from me, sorry. I'll send you the test ride feedback form tonight.\n"
            "Sophie: Thanks, tonight is fine.")  # fmt: skip
    [rehearsal] = settle([event("Launch rehearsal", "March 16th at 3 pm", "2027-03-16T15:00+01:00")], text, context)
    assert rehearsal.start == "2027-03-16T15:00+01:00"  # "sorry" is no correction of it: the topic changed


def test_a_session_found_in_two_parts_takes_the_title_said_most_often_with_its_time(context):
    text = ("Daniel: Friday, February 5th. From nine in the morning. Malik, you'd need to be there for the practical part.\n"
            "Lena: Good, interview day on February 5th from nine.\n"
            "Lena: Dates: the interview day February 5th from nine, the board call on the 4th at 5.")  # fmt: skip
    first_part = event("Practical part", "Friday, February 5th, from nine in the morning", "2027-02-05T09:00+01:00")
    last_part = event("Interview", "February 5th from nine", "2027-02-05T09:00+01:00")
    title_by_start([first_part, last_part], line_words(text))
    assert first_part.title == "Interview"  # said in two lines with the time; "practical part" in one


def test_a_session_line_refused_whole_is_asked_again_from_the_sentence_naming_its_time(context):
    transcript = ("[00:04:10] Tom: Someone should probably update the FAQ at some point.\n"
                  "[00:04:18] Ruth: Maybe, let's see after launch. And let's go through the numbers together next Tuesday at 11.")  # fmt: skip
    asked: list[str] = []

    def script(messages, params) -> str:
        if params.json_schema == SESSION_SCHEMA:
            line = messages[-1]["content"].split("Line: ", 1)[1].split("\n")[0]
            asked.append(line)
            if line.startswith("Ruth: Maybe"):  # the whole line: "no session", as the stand-in answered
                return json.dumps({"sessions": []})
            return json.dumps({"sessions": [{"title": "Numbers review", "when": "Tuesday at 11"}]})
        if params.json_schema == CHECK_SCHEMA:
            return NOT_A_PROMISE
        return extraction_json()

    engine = loaded(script)
    [review] = Summarizer(engine, context).summarize(transcript).notes.proposed_events
    assert asked == ["Ruth: Maybe, let's see after launch. And let's go through the numbers together next Tuesday at 11.",
                     "Ruth: And let's go through the numbers together next Tuesday at 11."]  # fmt: skip
    # the words said, "next" included: on a Monday that Tuesday is ambiguous, so the user checks it
    assert review.start_said == "next Tuesday at 11" and review.start == "" and review.check


def test_a_time_proposed_and_agreed_to_is_asked_what_was_agreed(context):
    transcript = ("[00:00:50] Giulia: Dobbiamo assaggiare tutto insieme prima. Giovedì 3 dicembre alle 15?\n"
                  "[00:00:55] Francesca: Giovedì 3 alle 15 va bene.\n"
                  "[00:01:35] Giulia: Io preparo i turni di dicembre entro lunedì.")  # fmt: skip
    asked: list[str] = []

    def script(messages, params) -> str:
        if params.json_schema == SESSION_SCHEMA:
            return json.dumps({"sessions": []})  # the stand-in saw no session in either line
        if params.json_schema == AGREED_SCHEMA:
            asked.append(messages[-1]["content"])
            return json.dumps({"sessions": [{"title": "Assaggio del menù", "when": "giovedì 3 alle 15"}]})
        if params.json_schema == CHECK_SCHEMA:
            return NOT_A_PROMISE
        # the first reading takes a deadline for a session: a task's business, dropped
        return extraction_json(sessions=[("Preparazione dei turni", "entro lunedì")])

    engine = loaded(script)
    meeting = MeetingContext.create(datetime(2026, 11, 26, 10, 0), "Europe/Rome", language="it")
    events = Summarizer(engine, meeting).summarize(transcript).notes.proposed_events
    assert [(e.title, e.start) for e in events] == [("Assaggio del menù", "2026-12-03T15:00+01:00")]
    assert len(asked) == 1 and "Reply: Francesca: Giovedì 3 alle 15 va bene." in asked[0]


def test_a_proposal_turned_down_is_not_asked_what_was_agreed(context):
    transcript = "Olivia: Budget check-in tomorrow at 3?\nFemi: No, sorry, tomorrow at 3 is not good for me."
    schemas: list[dict] = []

    def script(messages, params) -> str:
        schemas.append(params.json_schema)
        if params.json_schema in (SESSION_SCHEMA, AGREED_SCHEMA):
            return json.dumps({"sessions": []})
        return extraction_json()

    engine = loaded(script)
    Summarizer(engine, context).summarize(transcript)
    assert SESSION_SCHEMA in schemas and AGREED_SCHEMA not in schemas  # the line was checked, once
