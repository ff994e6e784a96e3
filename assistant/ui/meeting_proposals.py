"""Follow-ups proposed by a meeting's notes, one button each, that open a confirmation card.

Each proposed event and action item becomes an "Add … to calendar" button; its click opens
:class:`~assistant.ui.event_card.EventDialog` with a draft, and nothing is written to a
calendar until the user confirms there.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QVBoxLayout, QWidget

from assistant.core import settings
from assistant.core.calendars import EventDraft, TaskDraft, local_zone
from assistant.core.meetings.notes import ActionItem, MeetingNotes, ProposedEvent
from assistant.core.store import Store
from assistant.ui.event_card import EventDialog


class ProposalButtons(QWidget):
    """The buttons for the follow-ups of the notes shown; ``last_dialog`` is the card opened last."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.last_dialog: EventDialog | None = None
        self.buttons = QVBoxLayout(self)
        self.buttons.setContentsMargins(0, 0, 0, 0)

    def count(self) -> int:
        return self.buttons.count()

    def show_notes(self, notes: MeetingNotes | None) -> None:
        """One button per proposed event and action item of ``notes`` (none for None)."""
        while self.buttons.count():
            widget = self.buttons.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        if notes is None:
            return
        for event in notes.proposed_events:
            button = QToolButton()
            button.setText(f"Add “{event.title}” to calendar…")
            button.clicked.connect(lambda _checked=False, e=event: self.propose_event(e))
            self.buttons.addWidget(button)
        for item in notes.action_items:
            button = QToolButton()
            owner = f" ({item.owner})" if item.owner else ""
            button.setText(f"Add task “{item.task}”{owner}…")
            button.clicked.connect(lambda _checked=False, i=item: self.propose_task(i))
            self.buttons.addWidget(button)

    def propose_event(self, event: ProposedEvent) -> EventDialog:
        """Open the confirmation dialog for a proposed follow-up; nothing is written without its click."""
        zone = local_zone()
        arguments = {"title": event.title, "start": event.start or "", "attendees": list(event.attendees)}
        if event.end:
            arguments["end"] = event.end
        if event.duration_minutes:
            arguments["duration_minutes"] = event.duration_minutes
        calendar = self.store.get_setting(settings.CHAT_CALENDAR)
        draft = EventDraft.from_arguments(arguments, now=datetime.now(zone), zone=zone.key, calendar=calendar)
        return self._open_dialog(draft)

    def propose_task(self, item: ActionItem) -> EventDialog:
        zone = local_zone()
        title = f"{item.task} ({item.owner})" if item.owner else item.task
        calendar = self.store.get_setting(settings.CHAT_CALENDAR)
        draft = TaskDraft.from_arguments({"title": title, "due": item.due or ""}, now=datetime.now(zone), zone=zone.key, calendar=calendar)
        return self._open_dialog(draft)

    def _open_dialog(self, draft: EventDraft | TaskDraft) -> EventDialog:
        dialog = EventDialog(draft, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        self.last_dialog = dialog
        return dialog
