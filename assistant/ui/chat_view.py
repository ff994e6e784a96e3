"""The message list of a conversation: one bubble per message, Markdown rendered."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core.store import PARTIAL, STREAMING

ROLE_TITLES = {"user": "You", "assistant": "Assistant", "notice": "Notice", "tool": "Calendar"}


class MessageBubble(QFrame):
    """One message: who said it, the text as Markdown, and a copy button."""

    copyRequested = Signal(str)
    editRequested = Signal()

    def __init__(
        self,
        role: str,
        text: str,
        status: str = "complete",
        parent: QWidget | None = None,
        display: str | None = None,
        message_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.role = role
        self.message_id = message_id  # the stored message shown here
        self.text = text
        self.status = status
        self.setObjectName(f"bubble_{role}")
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        header = QHBoxLayout()
        self.title = QLabel(ROLE_TITLES.get(role, role.title()))
        self.title.setObjectName("bubbleTitle")
        header.addWidget(self.title)
        self.state = QLabel()
        self.state.setObjectName("bubbleState")
        header.addWidget(self.state)
        header.addStretch(1)
        self.copy_button = _header_button(header, "Copy", "Copy this message", self.copy)
        self.edit_button = _header_button(header, "Edit", "Change this message and send it again", self.editRequested)
        layout.addLayout(header)
        self.edit_button.setVisible(role == "user" and message_id is not None)  # once it has a parent
        self.body = QLabel()
        self.body.setObjectName("bubbleBody")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.MarkdownText if role != "user" else Qt.TextFormat.PlainText)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.body.setOpenExternalLinks(True)
        self.body.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.body)
        self.display = display  # shown instead of the text (tool calls and results)
        self.set_text(text, status)

    def set_text(self, text: str, status: str | None = None) -> None:
        self.text = text
        if status is not None:
            self.status = status
        self.body.setText(self.display or text or "…")
        labels = {STREAMING: "writing…", PARTIAL: "cut short"}
        self.state.setText(labels.get(self.status, ""))

    def append(self, piece: str) -> None:
        self.set_text(self.text + piece)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)
        self.copyRequested.emit(self.text)


def _header_button(header: QHBoxLayout, text: str, tip: str, slot) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    button.clicked.connect(slot)
    header.addWidget(button)
    return button


class ChatView(QScrollArea):
    """Scrollable column of message bubbles (and cards) that follows new text while at the bottom."""

    editRequested = Signal(int, str)  # message id, its text: the user wants to change a sent message

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        container = QWidget()
        container.setObjectName("chatContainer")
        self.column = QVBoxLayout(container)
        self.column.setContentsMargins(16, 16, 16, 16)
        self.column.setSpacing(10)
        self.column.addStretch(1)
        self.setWidget(container)
        self.bubbles: list[MessageBubble] = []
        self.placeholder = QLabel()
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.column.insertWidget(0, self.placeholder)
        self._follow = True
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)

    def set_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self.placeholder.setVisible(bool(text) and not self.bubbles)

    def clear(self) -> None:
        """Take every bubble and card off; bubbles are deleted, cards only detached (their owner keeps them)."""
        for index in reversed(range(self.column.count())):
            widget = self.column.itemAt(index).widget()
            if widget is None or widget is self.placeholder:
                continue
            self.column.removeWidget(widget)
            widget.setParent(None)
            if isinstance(widget, MessageBubble):
                widget.deleteLater()
        self.bubbles.clear()
        self.placeholder.setVisible(bool(self.placeholder.text()))

    def add_message(
        self, role: str, text: str, status: str = "complete", display: str | None = None, message_id: int | None = None
    ) -> MessageBubble:
        bubble = MessageBubble(role, text, status, display=display, message_id=message_id)
        if message_id is not None:
            bubble.editRequested.connect(lambda bubble=bubble: self.editRequested.emit(bubble.message_id, bubble.text))
        self.column.insertWidget(self.column.count() - 1, bubble)
        self.bubbles.append(bubble)
        self.placeholder.setVisible(False)
        self._follow = True
        return bubble

    def widgets(self) -> list[QWidget]:
        """Everything shown in the column, in order (bubbles and cards)."""
        items = (self.column.itemAt(i).widget() for i in range(self.column.count()))
        return [widget for widget in items if widget is not None and widget is not self.placeholder]

    def add_widget(self, widget: QWidget) -> QWidget:
        """Put any widget (such as an event card) at the end of the conversation."""
        self.column.insertWidget(self.column.count() - 1, widget)
        self.placeholder.setVisible(False)
        self._follow = True
        return widget

    def remove_bubble(self, bubble: MessageBubble) -> None:
        if bubble in self.bubbles:
            self.bubbles.remove(bubble)
            bubble.setParent(None)
            bubble.deleteLater()

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 24

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            QTimer.singleShot(0, self, self.scroll_to_bottom)

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
