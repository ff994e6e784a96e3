"""Renaming a speaker of the open meeting ("You", "Others", or a name from an imported transcript).

:class:`MeetingSpeakers` is mixed into :class:`assistant.ui.meetings_page.MeetingsPage`: **Rename
speaker…** asks which speaker and the new name (:class:`RenameSpeakerDialog`), then the transcript,
the notes' owners and attendees and the notes shown are renamed by
:func:`~assistant.core.meetings.renaming.rename_speaker_in_meeting` (no model call) and saved with
the meeting. Notes the user edited keep their words: only lines still as the app wrote them change.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from assistant.core.meetings.renaming import (
    SpeakerNameError,
    check_speaker_name,
    rename_speaker_in_meeting,
    transcript_speakers,
)


class RenameSpeakerDialog(QDialog):
    """Pick a speaker and type the new name; a name that cannot be used is explained, the dialog stays open."""

    def __init__(self, speakers: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rename speaker")
        self.setMinimumWidth(420)
        self.speaker_combo = QComboBox()
        self.speaker_combo.addItems(speakers)
        self.speaker_combo.setAccessibleName("Speaker")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("New name, e.g. Ruth")
        self.name_edit.setAccessibleName("New name")
        form = QFormLayout()
        form.addRow("Speaker:", self.speaker_combo)
        form.addRow("New name:", self.name_edit)
        hint = QLabel(
            "The transcript and the owners of action items follow. A name already in the transcript "
            "joins the two speakers. Notes you edited keep your words."
        )
        hint.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c5221f;")
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Rename")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.name_edit.setFocus()

    def choice(self) -> tuple[str, str]:
        """(the speaker, the new name as typed)."""
        return self.speaker_combo.currentText(), self.name_edit.text()

    def accept(self) -> None:
        try:
            name = check_speaker_name(self.name_edit.text())
        except SpeakerNameError as exc:
            self._refuse(str(exc))
            return
        if name == self.speaker_combo.currentText():
            self._refuse(f"The speaker is already called “{name}”.")
            return
        super().accept()

    def _refuse(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.adjustSize()


class MeetingSpeakers:
    """Methods of the Meetings page for renaming a speaker of the open meeting."""

    def ask_speaker_rename(self, speakers: list[str]) -> tuple[str, str] | None:
        """Which speaker, and the new name (None: cancelled). Tests replace this."""
        dialog = RenameSpeakerDialog(speakers, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.choice()
        return None

    def _rename_speaker_clicked(self) -> None:
        problem = self._rename_blocked()
        if problem:
            self._rename_refused(problem)
            return
        speakers = transcript_speakers(self.transcript_edit.toPlainText())
        if not speakers:
            self._rename_refused("No speakers found: a speaker's lines begin with the name, as in “Ruth: …”.")
            return
        choice = self.ask_speaker_rename(speakers)
        if choice is not None:
            self.rename_speaker(*choice)

    def _rename_blocked(self) -> str:
        """Why renaming cannot be done now ("" when it can)."""
        if not self.transcript_edit.toPlainText().strip():
            return "There is no transcript to rename speakers in."
        if self.request is not None:
            return "The notes are being written: rename when they are done (or cancel them)."
        if getattr(self, "transcribe_job", None) is not None:
            return "Still transcribing: rename when the transcript is complete."
        if self.recorder is not None and getattr(self.recorder, "state", "idle") != "idle":
            return "Recording: stop first, as new lines would still get the old names."
        if self.notes_editor.editing:
            return "Save or discard your edit of the notes first."
        return ""

    def _rename_refused(self, message: str) -> None:
        self.status.setText(f"<span style='color:#c5221f'>{escape(message, quote=False)}</span>")

    def rename_speaker(self, old: str, new: str) -> bool:
        """Rename ``old`` to ``new`` in the transcript and the notes, and save the meeting.

        Refused (with the reason in the status line, nothing changed) for a name that cannot be
        used or while the meeting is still changing (recording, transcribing, notes being written
        or edited)."""
        problem = self._rename_blocked()
        if problem:
            self._rename_refused(problem)
            return False
        edited = bool(self._payload().get("edited"))
        try:
            result = rename_speaker_in_meeting(
                self.transcript_edit.toPlainText(),
                old,
                new,
                notes=self.notes,
                markdown=self.markdown(),
                edited=edited,
                sections=self.options.template().sections,
            )
        except SpeakerNameError as exc:
            self._rename_refused(str(exc))
            return False
        self.transcript_edit.setPlainText(result.transcript)
        self._ensure_meeting()  # stores the transcript
        if result.notes is not None and result.names_in_notes:
            self.notes, self._markdown = result.notes, result.markdown
            self._save_payload(notes=result.notes.to_dict(), markdown=result.markdown)
            self.notes_editor.set_markdown(result.markdown, edited=edited)
            self.proposals.show_notes(self.notes)
            self.notesChanged.emit()
        self.status.setText(result.message())  # names are plain words (check_speaker_name)
        self._update_controls()
        return True
