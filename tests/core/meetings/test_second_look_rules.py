"""The second look's bounds and the words it keeps (meetings/second_look.py)."""

from __future__ import annotations

import pytest

from assistant.core.meetings.second_look import MAX_CHECKS, Candidate, candidates, commitment_from


def test_a_long_part_gets_more_checks_than_a_short_one():
    promises = [f"Ana{i}: I'll send report number {i} to finance by Friday." for i in range(40)]
    chatter = [f"Ben{i}: The numbers for region {i} look fine." for i in range(160)]
    assert len(candidates("\n".join(promises[:20]), [])) == MAX_CHECKS  # a short part: the floor
    assert len(candidates("\n".join(promises + chatter), [])) == 20  # 200 spoken lines: one check per ten


@pytest.mark.parametrize(
    ("line", "model_task", "kept"),
    [
        ("Sophie: I'll finalise the photo brief by Friday, with the shot list.", "brief the photographer", "finalise the photo brief"),
        ("Malik: I'll confirm the slot with the factory by Wednesday.", "confirm the slot with the factory", "confirm the slot with the factory"),
        ("Carla: Sure, I'll do it tomorrow.", "look at the error logs", "look at the error logs"),  # "do it" says less
        ("Arjun: Sure, I'll send them after the meeting.", "send the notes to Lena", "send the notes to Lena"),
        ("Katrin: Ich schicke die Richtlinie heute.", "die Richtlinie schicken", "die Richtlinie schicken"),  # English only
    ],
)
def test_a_reworded_task_is_taken_in_the_speakers_words(line, model_task, kept):
    answer = {"promise": True, "task": model_task, "due": ""}
    assert commitment_from(answer, Candidate(line.split(":")[0], line, ""))["task"] == kept


def test_a_promise_found_on_a_second_look_belongs_to_the_speaker_of_its_line():
    from datetime import datetime

    from assistant.core.meetings import MeetingContext
    from assistant.core.meetings.extract import notes_from_extraction
    from assistant.core.meetings.notes import DEFAULT_LIMITS

    text = ("Lena: I'll call Mr. Brandl myself. Arjun, send me the notes from your conversation with him.\n"
            "Arjun: Sure, I'll send them after the meeting.")  # fmt: skip
    found = {"commitments": [{"owner": "Arjun", "task": "send the notes from the conversation", "due": ""}], "sessions": [],
             "decisions": [], "open_questions": [], "summary": [], "title": ""}  # fmt: skip
    context = MeetingContext.create(datetime(2027, 1, 25, 13, 0), "Europe/Berlin")
    [item] = notes_from_extraction(found, context, text, DEFAULT_LIMITS, check_promises=False).action_items
    assert item.owner == "Arjun"  # Lena's line shares more words and holds a promise, but it is not hers


def test_work_done_on_a_day_is_not_checked_as_a_session_but_a_time_moved_is():
    from assistant.core.meetings.second_look import session_candidates

    assert session_candidates("Tom: Uh, yeah. On Friday I finished the checkout copy.", []) == []
    [moved] = session_candidates("Ana: Yesterday I moved the design review to Friday at 10.", [])
    assert moved.speaker == "Ana"
