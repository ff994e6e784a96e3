"""Notes are the user's: the notes view with an editor beside it (Markdown), Save and Cancel.

The view shows the notes; **Edit notes** swaps it for a plain-text editor holding the same
Markdown. **Save notes** emits ``saved`` with the text (the page stores it with the meeting
and marks the notes as edited, so export writes the edited text and a new summary asks first).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)


class NotesEditor(QWidget):
    """Wraps the page's notes view; ``saved(markdown)`` when the user saves an edit."""

    saved = Signal(str)
    editingChanged = Signal(bool)

    def __init__(self, view: QTextBrowser, current: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.current = current  # the Markdown of the notes shown now (the page's)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        self.stack.addWidget(view)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Write or correct the notes (Markdown: # title, ## sections, - items).")
        self.stack.addWidget(self.editor)
        layout.addWidget(self.stack, 1)
        row = QHBoxLayout()
        self.edit_button = QPushButton("Edit notes")
        self.edit_button.clicked.connect(self.start_editing)
        row.addWidget(self.edit_button)
        self.save_button = QPushButton("Save notes")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        self.cancel_button = QPushButton("Discard changes")
        self.cancel_button.clicked.connect(self.stop_editing)
        row.addWidget(self.cancel_button)
        self.edited_label = QLabel()
        row.addWidget(self.edited_label, 1)
        layout.addLayout(row)
        self._show_buttons()

    @property
    def editing(self) -> bool:
        return self.stack.currentWidget() is self.editor

    def set_markdown(self, markdown: str, edited: bool = False) -> None:
        """Show notes (from the model or saved); an edit in progress stays open (saving it keeps the user's text)."""
        self.view.setMarkdown(markdown)
        self.edited_label.setText("Edited by you" if edited and markdown else "")
        self._show_buttons()

    def start_editing(self) -> None:
        self.editor.setPlainText(self.current())
        self.stack.setCurrentWidget(self.editor)
        self.editor.setFocus()
        self._show_buttons()
        self.editingChanged.emit(True)

    def stop_editing(self) -> None:
        self.stack.setCurrentWidget(self.view)
        self._show_buttons()
        self.editingChanged.emit(False)

    def save(self) -> None:
        text = self.editor.toPlainText()
        if not text.endswith("\n") and text:
            text += "\n"
        self.view.setMarkdown(text)
        self.edited_label.setText("Edited by you")
        self.stop_editing()
        self.saved.emit(text)

    def _show_buttons(self) -> None:
        editing = self.editing
        self.edit_button.setVisible(not editing)
        self.save_button.setVisible(editing)
        self.cancel_button.setVisible(editing)
