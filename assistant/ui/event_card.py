"""The confirmation card for an event or task the model proposed.

Nothing is written until the user presses "Add to calendar". The card shows the
resolved time, every question that blocks saving, and warnings (overlaps,
duplicates, another time zone); edits re-resolve the draft at once. Checking the
calendar after an edit and writing the event run on :class:`CalendarCall` threads,
so a slow CalDAV server never freezes the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core.calendars import (
    Calendar,
    EventDraft,
    TaskDraft,
    calendar_names,
    conflict_calendars,
    export_event_ics,
    open_calendar,
    write_event,
)
from assistant.core.dates import format_when
from assistant.ui.calendar_jobs import CalendarCall, CalendarCalls

Draft = EventDraft | TaskDraft
CalendarOpener = Callable[[str], Calendar]
OthersFinder = Callable[[str], list[Calendar]]


class EventCard(QFrame):
    """Editable proposal with Add / Save as .ics / Cancel. Emits ``decided`` once."""

    #: (draft that was saved, or None when cancelled, written item or None, message)
    decided = Signal(object, object, str)

    def __init__(
        self,
        draft: Draft,
        *,
        open_calendar_named: CalendarOpener = open_calendar,
        conflict_calendars_for: OthersFinder = conflict_calendars,
        names: list[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("eventCard")
        self.draft = draft
        self.open_calendar_named = open_calendar_named
        self.conflict_calendars_for = conflict_calendars_for  # imported calendars, also checked for overlaps
        self.done = False
        self.written = None
        self.saving = False  # a write is on its way
        self.calls = CalendarCalls()  # running calendar I/O; waited for by shutdown()
        self._check_call: CalendarCall | None = None  # the newest calendar check
        self._save_when_checked = False  # "Add" was clicked while a check was running
        is_task = isinstance(draft, TaskDraft)
        layout = QVBoxLayout(self)
        heading = QLabel("Proposed task" if is_task else "Proposed event")
        heading.setObjectName("bubbleTitle")
        layout.addWidget(heading)
        form = QFormLayout()
        self.title_edit = QLineEdit(draft.title)
        form.addRow("Title", self.title_edit)
        self.fields: dict[str, QLineEdit] = {"title": self.title_edit}
        if is_task:
            self.fields["due_text"] = QLineEdit(draft.due_text)
            form.addRow("Due", self.fields["due_text"])
        else:
            for key, label in (
                ("start_text", "Starts"),
                ("end_text", "Ends"),
                ("duration_text", "Minutes"),
                ("location", "Where"),
            ):
                self.fields[key] = QLineEdit(str(getattr(draft, key)))
                form.addRow(label, self.fields[key])
            self.fields["attendees"] = QLineEdit(", ".join(draft.attendees))
            form.addRow("With", self.fields["attendees"])
        self.calendar_box = QComboBox()
        self.calendar_box.addItems(names if names is not None else calendar_names())
        index = self.calendar_box.findText(draft.calendar)
        self.calendar_box.setCurrentIndex(max(index, 0))
        form.addRow("Calendar", self.calendar_box)
        layout.addLayout(form)
        self.when_label = QLabel()
        layout.addWidget(self.when_label)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #c5221f;")
        layout.addWidget(self.problems_label)
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet("color: #b06000;")
        layout.addWidget(self.warnings_label)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add to calendar")
        self.add_button.clicked.connect(self._confirm_clicked)
        buttons.addWidget(self.add_button)
        self.ics_button = QPushButton("Open in my calendar app…")
        self.ics_button.setToolTip("Save this event as an .ics file and open it with the system's calendar")
        self.ics_button.clicked.connect(self._export_clicked)
        buttons.addWidget(self.ics_button)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_clicked)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.ics_button.setVisible(not is_task)  # only once it has a parent: a parentless button would open as a window
        self.status_label = QLabel()
        layout.addWidget(self.status_label)
        for edit in self.fields.values():
            edit.editingFinished.connect(self._on_edited)
        self.calendar_box.currentTextChanged.connect(self._on_calendar_changed)
        self._show()

    # -- editing --------------------------------------------------------------

    def _recheck(self, draft: Draft) -> Draft:
        """Return ``draft`` at once; its calendar check (overlaps, duplicates, read-only) follows from a thread."""
        if isinstance(draft, EventDraft) and draft.ready:
            name, opener, others = self.calendar_box.currentText(), self.open_calendar_named, self.conflict_calendars_for
            checked = replace(draft)  # checked on the thread; shown only if the user has not edited again
            self._check_call = self.calls.start(
                lambda: checked.check_calendar(opener(name), others=others(name)),
                lambda call, _result, error: self._on_checked(call, draft, checked, error),
            )
            self.status_label.setText("Checking the calendar…")
        return draft

    def _on_checked(self, call: CalendarCall, draft: EventDraft, checked: EventDraft, error: str) -> None:
        if not self.calls.finished(call) or call is not self._check_call:
            return
        self._check_call = None
        self.status_label.setText("")
        if self.draft is not draft or self.done:
            return
        if error:
            from assistant.core.calendars import Problem

            checked.problems.append(Problem("calendar", error))
        self.draft = checked
        self._show()
        if self._save_when_checked:
            self._save_when_checked = False
            self.confirm()

    def _on_edited(self) -> None:
        if self.done:
            return
        changes: dict[str, object] = {}
        for key, edit in self.fields.items():
            value = edit.text().strip()
            if key == "attendees":
                current: object = [part.strip() for part in value.split(",") if part.strip()]
            else:
                current = value
            if current != getattr(self.draft, key):
                changes[key] = current
        if changes:
            self.draft = self._recheck(self.draft.edited(**changes))
            self._show()

    def _on_calendar_changed(self, name: str) -> None:
        if not self.done:
            self.draft = self._recheck(self.draft.edited(calendar=name))
            self._show()

    def _show(self) -> None:
        draft = self.draft
        if isinstance(draft, TaskDraft):
            self.when_label.setText(f"Due {format_when(draft.due)}" if draft.due else "No due date")
        elif draft.start and draft.end:
            self.when_label.setText(f"{format_when(draft.start)} – {draft.end.strftime('%H:%M')}")
        else:
            self.when_label.setText("")
        self.problems_label.setText("\n".join(f"• {q}" for q in draft.questions))
        self.problems_label.setVisible(bool(draft.questions))
        warnings = draft.warnings if isinstance(draft, EventDraft) else []
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings_label.setVisible(bool(warnings))
        self.add_button.setEnabled(draft.ready and not self.done and not self.saving)
        self.cancel_button.setEnabled(not self.done and not self.saving)
        self.ics_button.setEnabled(isinstance(draft, EventDraft) and draft.ready and not self.done)

    # -- decisions ------------------------------------------------------------
    def _finish(self, message: str) -> None:
        self.done = True
        self.calls.running.clear()  # a check still running may end, but its answer is no longer wanted
        self._check_call = None
        for edit in self.fields.values():
            edit.setReadOnly(True)
        self.calendar_box.setEnabled(False)
        self.add_button.setEnabled(False)
        self.ics_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.status_label.setText(message)

    def confirm(self) -> bool:
        """The user's click: write the event once, on a thread. Returns whether the write started
        (or will, as soon as a running calendar check ends); ``decided`` follows when it is saved."""
        self._on_edited()
        if self.done or self.saving or not self.draft.ready:
            return False
        if self._check_call is not None:
            self._save_when_checked = True
            self.status_label.setText("Checking the calendar, then saving…")
            return True
        draft, name, opener = self.draft.confirm(), self.calendar_box.currentText(), self.open_calendar_named
        self.saving = True
        self.status_label.setText("Saving…")
        self._show()
        self.calls.start(lambda: write_event(opener(name), draft), lambda call, written, error: self._on_saved(call, written, error, name))
        return True

    def _on_saved(self, call: CalendarCall, written, error: str, name: str) -> None:
        if not self.calls.finished(call):
            return
        self.saving = False
        if error:
            self.status_label.setText(f"Not saved: {error}")
            self.draft.confirmed = False
            self._show()
            return
        self.written = written
        message = f"Saved to “{name}”."
        self._finish(message)
        self.decided.emit(self.draft, self.written, message)

    def shutdown(self) -> None:
        """Wait for running calendar calls (at most the server's timeout); their answers are dropped."""
        self.calls.wait_all()
        self._check_call = None

    def cancel(self) -> None:
        if self.done or self.saving:
            return
        self._finish("Cancelled: nothing was saved.")
        self.decided.emit(None, None, "cancelled")

    def export_ics(self) -> str | None:
        """Save the event as an .ics file and hand it to the system's calendar app."""
        self._on_edited()
        if not isinstance(self.draft, EventDraft) or not self.draft.ready:
            return None
        path = export_event_ics(self.draft.to_event())
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        self.status_label.setText(f"Saved as {path.name} and opened with your calendar app.")
        return str(path)

    def _confirm_clicked(self) -> None:
        self.confirm()

    def _cancel_clicked(self) -> None:
        self.cancel()

    def _export_clicked(self) -> None:
        self.export_ics()


class EventDialog(QDialog):
    """The card as a dialog, for proposals from meeting notes."""

    def __init__(self, draft: Draft, parent: QWidget | None = None, **card_options) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add to calendar")
        layout = QVBoxLayout(self)
        self.card = EventCard(draft, **card_options)
        layout.addWidget(self.card)
        self.card.decided.connect(self._on_decided)

    def done(self, result: int) -> None:
        """Wait for the card's calendar calls whichever way the dialog ends."""
        self.card.shutdown()
        super().done(result)

    def _on_decided(self, draft, _written, _message) -> None:
        if draft is None:
            self.reject()
        else:
            self.accept()
