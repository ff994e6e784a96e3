"""Changing a sent message: the new text, and what happens to the replies that followed it.

Nothing is lost silently: "Resend in a copy" leaves the conversation as it was and continues
in a new one that ends with the edited message; "Replace what followed" deletes the message
and everything after it, and says so on the button.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

COPY, REPLACE = "copy", "replace"


class EditDialog(QDialog):
    def __init__(self, message_id: int, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit message")
        self.message_id = message_id
        self.choice: str | None = None
        layout = QVBoxLayout(self)
        self.editor = QPlainTextEdit(text)
        layout.addWidget(self.editor)
        note = QLabel("The replies after this message can be kept (the edit continues in a copy of the conversation) "
                      "or replaced.")
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.copy_button = QPushButton("Resend in a copy")
        self.copy_button.setToolTip("Keep this conversation as it is; continue from the edited message in a new one")
        self.copy_button.setDefault(True)
        self.replace_button = QPushButton("Resend, replacing what followed")
        self.replace_button.setToolTip("Delete this message and every message after it, then send the new text")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.replace_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.copy_button.clicked.connect(lambda: self._choose(COPY))
        self.replace_button.clicked.connect(lambda: self._choose(REPLACE))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def text(self) -> str:
        return self.editor.toPlainText()

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
