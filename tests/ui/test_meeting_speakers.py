"""The Meetings page: "Rename speaker…" renames a speaker in the transcript, the notes' owners follow, all saved."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings.renaming import transcript_speakers
from assistant.core.store import Store
from assistant.ui.meeting_speakers import RenameSpeakerDialog
from tests.support.notes import answering_checks, extraction_json
from tests.support.ui_helpers import close_window, open_window

TRANSCRIPT = (
    "[00:00:02] You: I'll send the slides by Friday.\n"
    "[00:00:07] Others: Thanks. I will book the room for Thursday.\n"
    "[00:00:12] You: Fine, see you then.\n"
)
NOTES = extraction_json(
    title="Planning call",
    summary=["Slides and a room for Thursday."],
    commitments=[("Others", "book the room", "for Thursday"), ("You", "send the slides", "by Friday")],
)


@pytest.fixture
def page(qtbot, tmp_path):
    model = tmp_path / "m.gguf"
    model.write_text("x")
    engine = FakeEngine(answering_checks([NOTES]), n_ctx=4096)
    window = open_window(qtbot, engine, str(model))
    page = window.meetings_page
    yield page
    close_window(window)


def _import_and_summarize(qtbot, page, tmp_path) -> int:
    path = tmp_path / "planning_call.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    assert page.open_file(str(path))
    assert transcript_speakers(page.transcript_edit.toPlainText()) == ["You", "Others"]
    assert page.summarize()
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    assert [a.owner for a in page.notes.action_items] == ["Others", "You"]
    assert "book the room (Others" in page.notes_view.toPlainText()
    return page.meeting_id


def _owners(page, meeting_id: int) -> list[str]:
    return [a["owner"] for a in page.store.get_meeting(meeting_id).notes["notes"]["action_items"]]


def test_renaming_updates_transcript_owners_and_the_saved_meeting(qtbot, page, tmp_path):
    meeting_id = _import_and_summarize(qtbot, page, tmp_path)
    calls = len(page.bridge.engine.calls)
    asked = []
    page.ask_speaker_rename = lambda speakers: asked.append(speakers) or ("Others", "Ruth")
    page.rename_button.click()
    assert asked == [["You", "Others"]]
    text = page.transcript_edit.toPlainText()
    assert "[00:00:07] Ruth: Thanks. I will book the room for Thursday." in text and "Others:" not in text
    assert [a.owner for a in page.notes.action_items] == ["Ruth", "You"]
    shown = page.notes_view.toPlainText()
    assert "book the room (Ruth" in shown and "(Others" not in shown
    assert "(Ruth" in page.export_markdown(str(tmp_path / "out.md")).read_text()
    assert "Renamed “Others” to “Ruth” on 1 line" in page.status.text()
    assert calls and len(page.bridge.engine.calls) == calls  # the model was not asked again

    saved = page.store.get_meeting(meeting_id)
    assert "Ruth: Thanks." in saved.transcript and _owners(page, meeting_id) == ["Ruth", "You"]
    assert "(Ruth" in saved.notes["markdown"] and saved.notes["edited"] is False

    window2 = open_window(qtbot, FakeEngine(), None, Store(page.store.path))  # reopened after a restart
    page2 = window2.meetings_page
    page2.open_meeting(meeting_id)
    assert "[00:00:07] Ruth:" in page2.transcript_edit.toPlainText()
    assert "book the room (Ruth" in page2.notes_view.toPlainText()
    assert [a.owner for a in page2.notes.action_items] == ["Ruth", "You"]
    close_window(window2)

    assert page.rename_speaker("Ruth", "you")  # a name already there: the two become one speaker
    assert transcript_speakers(page.transcript_edit.toPlainText()) == ["You"]
    assert _owners(page, meeting_id) == ["You", "You"]
    assert "one speaker now" in page.status.text()


def test_edited_notes_keep_the_users_words(qtbot, page, tmp_path):
    meeting_id = _import_and_summarize(qtbot, page, tmp_path)
    editor = page.notes_editor
    editor.start_editing()
    written = editor.editor.toPlainText()
    mine = written.replace("- [ ] send the slides (You", "- [ ] send the final slides (You") + "\nOthers liked the plan.\n"
    editor.editor.setPlainText(mine)
    editor.save()
    assert page.rename_speaker("You", "Omar")
    markdown = page.store.get_meeting(meeting_id).notes["markdown"]
    assert "send the final slides (You" in markdown  # the line the user changed is left as written
    assert "Others liked the plan." in markdown and "book the room (Others" in markdown
    assert page.store.get_meeting(meeting_id).notes["edited"] is True
    assert _owners(page, meeting_id) == ["Others", "Omar"]  # the structured notes follow (calendar buttons)
    assert "stayed as you wrote them" in page.status.text()
    assert page.rename_speaker("Others", "Ruth")
    markdown = page.store.get_meeting(meeting_id).notes["markdown"]
    assert "book the room (Ruth" in markdown and "Others liked the plan." in markdown  # an unchanged line follows


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("Others", "", "needs a name"),
        ("Others", "Ruth: PM", "colon"),
        ("Others", "Ruth\nOmar", "one line"),
        ("Omar", "Ruth", "No line of the transcript"),
    ],
)
def test_refusals_say_why_and_change_nothing(qtbot, page, tmp_path, old, new, problem):
    meeting_id = _import_and_summarize(qtbot, page, tmp_path)
    markdown = page.markdown()
    assert not page.rename_speaker(old, new)
    assert problem in page.status.text()
    assert page.transcript_edit.toPlainText() == TRANSCRIPT.rstrip("\n")
    assert page.store.get_meeting(meeting_id).transcript == TRANSCRIPT.rstrip("\n")
    assert page.markdown() == markdown and _owners(page, meeting_id) == ["Others", "You"]


def test_no_renaming_while_the_meeting_is_still_changing(qtbot, page, tmp_path):
    _import_and_summarize(qtbot, page, tmp_path)
    page.notes_editor.start_editing()
    assert not page.rename_speaker("Others", "Ruth")
    assert "Save or discard" in page.status.text() and "Others:" in page.transcript_edit.toPlainText()
    page.notes_editor.stop_editing()
    page.recorder.state = "recording"  # new lines would still come as "Others"
    try:
        assert not page.rename_speaker("Others", "Ruth")
        assert "stop first" in page.status.text() and "Others:" in page.transcript_edit.toPlainText()
    finally:
        page.recorder.state = "idle"
    assert page.rename_speaker("Others", "Ruth")


def test_a_transcript_without_speakers_has_none_to_rename(qtbot, page):
    page.transcript_edit.setPlainText("we talked about the budget\nand the room\n")
    page.ask_speaker_rename = lambda speakers: pytest.fail("nothing to ask about")
    page.rename_button.click()
    assert "No speakers found" in page.status.text()


def test_the_dialog_explains_a_name_it_cannot_use(qtbot):
    dialog = RenameSpeakerDialog(["You", "Others"])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.speaker_combo.setCurrentText("Others")
    dialog.name_edit.setText("Ruth: PM")
    dialog.ok_button.click()
    assert dialog.isVisible() and "colon" in dialog.error_label.text()
    dialog.name_edit.setText("Others")
    dialog.ok_button.click()
    assert dialog.isVisible() and "already called" in dialog.error_label.text()
    dialog.name_edit.setText(" Ruth ")
    dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.choice() == ("Others", " Ruth ")
