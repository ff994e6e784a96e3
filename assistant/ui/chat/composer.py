"""The message box: which key sends (the send-key setting) and which starts a new line."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from assistant.core import settings


class MessageInput(QPlainTextEdit):
    """Enter sends and Shift+Enter starts a new line, or (send key "ctrl+enter") Ctrl+Enter sends and Enter starts one."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.send_key = "enter"

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            modifiers = event.modifiers()
            ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
            shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
            if (ctrl if self.send_key == "ctrl+enter" else not shift and not ctrl):
                self.submitted.emit()
                return
            if ctrl:  # Ctrl+Enter in "enter" mode: Qt would ignore it; make it a new line like Shift+Enter
                self.insertPlainText("\n")
                return
        super().keyPressEvent(event)

    def set_send_key(self, key: str) -> None:
        self.send_key = key if key in settings.SEND_KEYS else "enter"
        send, line = ("Ctrl+Enter", "Enter") if self.send_key == "ctrl+enter" else ("Enter", "Shift+Enter")
        self.setPlaceholderText(f"Message Llama Desk  ({send} to send, {line} for a new line)")
