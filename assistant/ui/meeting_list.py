"""The Meetings page's side column: search, the list of saved meetings, New meeting, Rename and Delete.

The column reads the store to list and rename; opening, creating and deleting a meeting are
the page's, so it only signals those (and lists again when the page asks).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core.store import Store


class MeetingList(QWidget):
    """Saved meetings, filtered by the search box; the open meeting is the current row."""

    picked = Signal(int)  # meeting id
    newRequested = Signal()
    deleteRequested = Signal(int)
    renamed = Signal(int, str)  # meeting id, new title

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.current_id: int | None = None
        layout = QVBoxLayout(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search meetings")
        self.search.textChanged.connect(lambda _text: self.reload(self.current_id))
        layout.addWidget(self.search)
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._on_clicked)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        layout.addWidget(self.list, 1)
        self.new_button = QPushButton("New meeting")
        self.new_button.clicked.connect(lambda: self.newRequested.emit())
        layout.addWidget(self.new_button)

    def reload(self, current_id: int | None) -> None:
        """List the meetings matching the search; the one with ``current_id`` is selected."""
        self.current_id = current_id
        self.list.blockSignals(True)
        self.list.clear()
        for meeting in self.store.list_meetings(self.search.text().strip()):
            item = QListWidgetItem(meeting.title)
            item.setData(Qt.ItemDataRole.UserRole, meeting.id)
            self.list.addItem(item)
            if meeting.id == self.current_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def set_busy(self, busy: bool) -> None:
        """While the model works on the open meeting, another one cannot be opened or started."""
        self.list.setEnabled(not busy)
        self.new_button.setEnabled(not busy)

    def _on_clicked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.picked.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _menu(self, position: QPoint) -> None:
        item = self.list.itemAt(position)
        if item is None:
            return
        meeting_id = int(item.data(Qt.ItemDataRole.UserRole))
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.rename(meeting_id))
        menu.addAction("Delete", lambda: self.deleteRequested.emit(meeting_id))
        menu.exec(self.list.mapToGlobal(position))

    def rename(self, meeting_id: int) -> None:
        meeting = self.store.get_meeting(meeting_id)
        title, ok = QInputDialog.getText(self, "Rename meeting", "Title:", text=meeting.title if meeting else "")
        if ok and title.strip():
            self.store.update_meeting(meeting_id, title=title.strip())
            self.renamed.emit(meeting_id, title.strip())  # the page shows the new title and lists again
