"""The Meetings page: a template picked per meeting, notes edited and exported, questions answered with cited times."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QUrl

from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings.templates import get_template
from assistant.core.store import Store
from tests.support.notes import answering_checks, extraction_json, notes_calls
from tests.support.ui_helpers import close_window, open_window

TRANSCRIPT = (
    "[00:00:05] Ruth: Morning. I finished the invoices yesterday.\n"
    "[00:00:12] Ruth: I'll send the contract to Omar by Friday.\n"
    "[00:00:20] Omar: Thanks. We agreed to keep the price.\n"
)
NOTES = extraction_json(
    title="Contract call",
    summary=["Ruth finished the invoices."],
    decisions=["Keep the price"],
    commitments=[("Ruth", "send the contract to Omar", "by Friday")],
)
ANSWER = "Ruth promised to send the contract to Omar by Friday [00:00:12]."


def _reply(messages, params):
    if params.json_schema is not None:
        return NOTES
    return ANSWER


@pytest.fixture
def page(qtbot, tmp_path):
    model = tmp_path / "m.gguf"
    model.write_text("x")
    engine = FakeEngine(answering_checks(_reply), n_ctx=4096)
    window = open_window(qtbot, engine, str(model))
    page = window.meetings_page
    yield page
    close_window(window)


def _summarize(qtbot, page) -> None:
    assert page.summarize()
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)


def test_notes_are_edited_saved_exported_and_regenerate_asks_first(qtbot, page, tmp_path):
    page.transcript_edit.setPlainText(TRANSCRIPT)
    _summarize(qtbot, page)
    assert "send the contract to Omar" in page.notes_view.toPlainText()
    editor = page.notes_editor
    editor.edit_button.click()
    assert editor.editing and "send the contract to Omar" in editor.editor.toPlainText()
    editor.editor.setPlainText("# Contract call\n\n## Action items\n\n- [ ] Ruth sends the signed contract (Friday)\n")
    editor.save_button.click()
    assert not editor.editing and "Ruth sends the signed contract" in page.notes_view.toPlainText()
    [meeting] = page.store.list_meetings()
    assert meeting.notes["edited"] is True and "signed contract" in meeting.notes["markdown"]
    assert meeting.notes["notes"]["action_items"][0]["owner"] == "Ruth"  # the structured notes stay for calendar buttons
    exported = page.export_markdown(str(tmp_path / "out.md")).read_text()
    assert "Ruth sends the signed contract" in exported and "## Summary" not in exported

    page.ask_replace_edited = lambda: False  # the user keeps the edits
    assert not page.summarize()
    assert "Ruth sends the signed contract" in page.notes_view.toPlainText()
    page.ask_replace_edited = lambda: True
    _summarize(qtbot, page)
    assert "Ruth sends the signed contract" not in page.markdown()
    assert page.store.get_meeting(meeting.id).notes["edited"] is False


def test_edited_notes_survive_a_restart(qtbot, page):
    page.transcript_edit.setPlainText(TRANSCRIPT)
    _summarize(qtbot, page)
    page.notes_editor.start_editing()
    page.notes_editor.editor.setPlainText("# Mine\n\n- my own words\n")
    page.notes_editor.save()
    meeting_id = page.meeting_id
    store = Store(page.store.path)
    window2 = open_window(qtbot, FakeEngine(), None, store)
    page2 = window2.meetings_page
    page2.open_meeting(meeting_id)
    assert "my own words" in page2.notes_view.toPlainText() and page2.notes_editor.edited_label.text() == "Edited by you"
    close_window(window2)


def test_template_reaches_the_prompt_chooses_sections_and_is_kept_with_the_meeting(qtbot, page):
    page.transcript_edit.setPlainText(TRANSCRIPT)
    assert page.options.set_template("stand-up")
    page.options.set_language("de")
    _summarize(qtbot, page)
    system = notes_calls(page.bridge.engine)[0][0][0]["content"]
    assert get_template("stand-up").instructions in system and "Write all text in German." in system
    shown = page.notes_view.toPlainText()
    assert "send the contract to Omar" in shown and "Keep the price" not in shown  # stand-up hides decisions
    page.options.set_template("general")  # all sections again, without a new summary
    assert "Keep the price" in page.notes_view.toPlainText()
    page.options.set_template("stand-up")
    meeting_id = page.meeting_id
    page.new_meeting()
    page.options.set_template("lecture")
    page.open_meeting(meeting_id)
    assert page.options.template_name() == "stand-up" and page.options.language() == "de"


def test_a_user_template_is_made_in_the_dialog(qtbot, page):
    dialog = page.options.edit_templates()
    dialog.name_edit.setText("retro")
    dialog.label_edit.setText("Retro")
    dialog.instructions_edit.setPlainText("Note what went well.")
    for name, box in dialog.section_boxes.items():
        box.setChecked(name == "summary")
    assert dialog.save()
    assert page.options.template_name() == "retro" and page.options.template().sections == ("summary",)
    bad = page.options.edit_templates()
    bad.name_edit.setText("../x")
    assert not bad.save() and "cannot be a template name" in bad.message.text()
    bad.reject()


def test_ask_about_the_meeting_answers_with_times_that_jump_to_the_transcript(qtbot, page):
    page.transcript_edit.setPlainText(TRANSCRIPT)
    panel = page.ask_panel
    assert panel.ask_button.isEnabled()
    panel.question_edit.setText("What did Ruth promise?")
    panel.ask_button.click()
    qtbot.waitUntil(lambda: not panel.busy, timeout=60_000)
    assert "send the contract to Omar" in panel.answers.toPlainText()
    assert 'href="transcript:12"' in panel.answers.toHtml()
    sent = page.bridge.engine.calls[-1][0]
    assert sent[-1]["content"].endswith("Question: What did Ruth promise?") and "Ruth: I'll send the contract" in sent[-1]["content"]
    with qtbot.waitSignal(panel.jumpRequested, timeout=60_000) as jumped:
        panel.answers.anchorClicked.emit(QUrl("transcript:12"))
    assert jumped.args == [12.0]
    assert page.transcript_edit.textCursor().selectedText().startswith("[00:00:12] Ruth: I'll send")
    panel.question_edit.setText("And by when?")
    panel.ask_button.click()
    qtbot.waitUntil(lambda: not panel.busy, timeout=60_000)
    follow_up = page.bridge.engine.calls[-1][0]
    assert [m["content"] for m in follow_up[1:3]] == ["What did Ruth promise?", ANSWER]  # the earlier turn goes along
    assert json.dumps(panel.history).count("Question:") == 0  # history keeps plain questions, not excerpts


def test_ask_about_the_meeting_on_the_real_model(qtbot, smollm_path):
    from assistant.core.engines.llama import LlamaCppEngine

    window = open_window(qtbot, LlamaCppEngine(), str(smollm_path))
    assert window.model_info is not None
    page = window.meetings_page
    page.transcript_edit.setPlainText(TRANSCRIPT)
    assert page.ask_panel.ask("What will Ruth send to Omar?")
    qtbot.waitUntil(lambda: not page.ask_panel.busy, timeout=300_000)
    question, answer = page.ask_panel.turns[-1]
    assert page.ask_panel.last_error == "" and question == "What will Ruth send to Omar?" and answer
    close_window(window)


def test_an_edit_in_progress_is_kept_with_its_own_meeting(qtbot, page):
    page.transcript_edit.setPlainText(TRANSCRIPT)
    _summarize(qtbot, page)
    first = page.meeting_id
    page.notes_editor.start_editing()
    page.notes_editor.editor.setPlainText("# First\n\n- edited before switching\n")
    second = page.new_meeting("Second")  # opening another meeting saves the edit to the first
    assert page.meeting_id == second and not page.notes_editor.editing
    assert "edited before switching" in page.store.get_meeting(first).notes["markdown"]
    assert "edited before switching" not in page.notes_view.toPlainText()
    page.notes_editor.start_editing()
    page.notes_editor.editor.setPlainText("# Second\n\n- notes of the second\n")
    page.open_file(str(_write(page, "third.txt")))  # a new meeting opened from a file while editing
    page.notes_editor.save()
    assert page.store.get_meeting(second).notes["markdown"].startswith("# Second")
    assert page.store.get_meeting(page.meeting_id).notes is None and "notes of the second" not in page.notes_view.toPlainText()


def _write(page, name: str):
    from pathlib import Path

    path = Path(page.store.path).parent / name
    path.write_text("Omar: Hello there, this is the third meeting.\n", encoding="utf-8")
    return path


def test_notes_edited_while_they_are_written_are_kept(qtbot, tmp_path):
    model = tmp_path / "slow.gguf"
    model.write_text("x")
    window = open_window(qtbot, FakeEngine(answering_checks(_reply), n_ctx=4096, token_delay=0.05), str(model))
    page = window.meetings_page
    page.transcript_edit.setPlainText(TRANSCRIPT)
    assert page.summarize()
    page.notes_editor.start_editing()
    page.notes_editor.editor.setPlainText("# Mine\n\n- written while the model worked\n")
    page.notes_editor.save()
    assert page.request is not None  # still writing
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    assert "written while the model worked" in page.notes_view.toPlainText() and "edited notes are kept" in page.status.text()
    meeting = page.store.get_meeting(page.meeting_id)
    assert meeting.notes["edited"] is True and meeting.notes["notes"]["action_items"]  # new structured notes stored too
    close_window(window)
