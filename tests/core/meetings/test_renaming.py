"""Renaming a meeting's speaker: the transcript, the owners and attendees, and the notes' Markdown (edited or not)."""

from __future__ import annotations

import pytest

from assistant.core.meetings.notes import ActionItem, MeetingNotes, ProposedEvent, notes_to_markdown
from assistant.core.meetings.renaming import (
    SpeakerNameError,
    check_speaker_name,
    rename_in_markdown,
    rename_in_notes,
    rename_speaker_in_meeting,
    transcript_speakers,
)
from assistant.core.meetings.templates import shown_notes

TRANSCRIPT = (
    "[00:00:02] You: I'll send the slides by Friday.\n"
    "[00:00:07] Others: Thanks. Others may join later.\n"
    "[00:00:12] Others: I will book the room for Thursday.\n"
    "[00:00:15] You: Fine.\n"
)


def _notes() -> MeetingNotes:
    return MeetingNotes(
        title="Planning",
        summary=["Others will book the room."],
        action_items=[
            ActionItem("book the room", owner="Others", due="2025-03-06", due_said="Thursday"),
            ActionItem("send the slides", owner="You", due_said="by Friday", check="check the date"),
            ActionItem("tidy up", owner="others"),  # the model's spelling: still the same speaker
            ActionItem("ask Others and You", owner="Others and You"),  # not equal: left
        ],
        proposed_events=[ProposedEvent("Review", start="2025-03-06T10:00:00+01:00", attendees=["You", "Others", "Ruth"])],
    )


def test_speakers_are_those_that_begin_lines():
    assert transcript_speakers(TRANSCRIPT) == ["You", "Others"]
    assert transcript_speakers("Anna: hi\nBen: hello\nno speaker here\n") == ["Anna", "Ben"]
    assert transcript_speakers("just words\nwithout anyone\n") == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("Ruth: PM", "colon"),
        ("Ruth\nOmar", "one line"),
        ("Ruth\r", "one line"),
        ("2nd caller", "would not be read back"),
        ("Ruth (PM)", "would not be read back"),
        ("Anna Maria von der Heide", "would not be read back"),
        ("Note", "would not be read back"),
    ],
)
def test_names_that_cannot_be_used_are_refused_with_a_reason(name, problem):
    with pytest.raises(SpeakerNameError, match=problem):
        check_speaker_name(name)


def test_a_name_is_tidied():
    assert check_speaker_name("  Ruth   Miller ") == "Ruth Miller"
    assert check_speaker_name("Dr. O'Brien-Smith") == "Dr. O'Brien-Smith"
    assert check_speaker_name("José") == "José"


def test_owners_and_attendees_follow_other_text_stays():
    renamed, count = rename_in_notes(_notes(), "Others", "Ruth")
    assert [a.owner for a in renamed.action_items] == ["Ruth", "You", "Ruth", "Others and You"]
    assert renamed.proposed_events[0].attendees == ["You", "Ruth"]  # merged with the Ruth already invited
    assert count == 3
    assert renamed.summary == ["Others will book the room."]
    assert _notes().action_items[0].owner == "Others"  # the original is not changed


def test_unedited_markdown_becomes_the_renamed_notes_markdown():
    notes = _notes()
    renamed, _ = rename_in_notes(notes, "Others", "Ruth")
    text, replaced, missing = rename_in_markdown(notes_to_markdown(notes), notes, renamed)
    assert text == notes_to_markdown(renamed)
    assert (replaced, missing) == (3, 0)


def test_edited_markdown_only_lines_as_the_app_wrote_them_change():
    notes = _notes()
    renamed, _ = rename_in_notes(notes, "Others", "Ruth")
    written = notes_to_markdown(notes)
    edited = (
        written.replace("- [ ] book the room (Others", "- [x] book the room (Others")  # ticked: still the app's line
        .replace("- [ ] tidy up (others)", "- [ ] tidy up the kitchen (others)")  # the user's words
        .replace("# Planning", "# Planning (my notes)\n\nOthers said a lot.")
    )
    text, replaced, missing = rename_in_markdown(edited, notes, renamed)
    assert "- [x] book the room (Ruth, due 2025-03-06 — “Thursday”)" in text
    assert "- [ ] tidy up the kitchen (others)" in text  # left as the user wrote it
    assert "Others said a lot." in text and "# Planning (my notes)" in text
    assert "; with You, Ruth)" in text
    assert (replaced, missing) == (2, 1)
    before, after = edited.split("\n"), text.split("\n")
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 2  # nothing else was touched


def test_rename_in_a_meeting_merges_into_a_name_already_there():
    result = rename_speaker_in_meeting(TRANSCRIPT, "Others", "you", notes=_notes(), markdown=notes_to_markdown(_notes()))
    assert result.new == "You" and result.merged  # "you" joins the "You" already speaking
    assert transcript_speakers(result.transcript) == ["You"]
    assert result.lines == 2
    assert "Thanks. Others may join later." in result.transcript  # words said are not names
    assert result.notes is not None and result.notes.proposed_events[0].attendees == ["You", "Ruth"]
    assert result.markdown == notes_to_markdown(result.notes)
    assert "one speaker now" in result.message()


def test_rename_in_a_meeting_reports_edited_lines_left_as_they_are():
    notes = _notes()
    edited = "# Mine\n\n- [ ] booking the room (Others)\n"
    result = rename_speaker_in_meeting(TRANSCRIPT, "Others", "Ruth", notes=notes, markdown=edited, edited=True)
    assert result.markdown == edited
    assert result.notes is not None and result.notes.action_items[0].owner == "Ruth"
    assert "stayed as you wrote them" in result.message()


def test_hidden_sections_are_not_looked_for():
    notes = _notes()
    sections = ("summary", "decisions", "open_questions")  # no action items or events shown
    markdown = notes_to_markdown(shown_notes(notes, sections))
    result = rename_speaker_in_meeting(
        TRANSCRIPT, "Others", "Ruth", notes=notes, markdown=markdown, edited=True, sections=sections
    )
    assert result.left_as_is == 0 and result.markdown == markdown
    assert result.notes is not None and result.notes.action_items[0].owner == "Ruth"  # kept for the calendar buttons


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [("Omar", "Ruth", "No line of the transcript"), ("Others", "Others", "already called"), ("Others", "A:B", "colon")],
)
def test_refusals_change_nothing(old, new, problem):
    with pytest.raises(SpeakerNameError, match=problem):
        rename_speaker_in_meeting(TRANSCRIPT, old, new, notes=_notes())


def test_without_notes_only_the_transcript_changes():
    result = rename_speaker_in_meeting("Anna: hi\nBen: hello\nAnna: bye\n", "Anna", "Ruth")
    assert result.transcript == "Ruth: hi\nBen: hello\nRuth: bye\n"
    assert result.notes is None and result.names_in_notes == 0
    assert result.message() == "Renamed “Anna” to “Ruth” on 2 lines of the transcript."
