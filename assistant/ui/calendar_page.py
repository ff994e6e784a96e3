"""The Calendar page: an agenda of the chosen calendar, .ics import, CalDAV accounts.

It also holds the two chat settings for tools: whether chat may use the calendar
at all, and which calendar proposals go to. Reading the agenda and checking a new
account run on :class:`CalendarCall` threads, so a slow CalDAV server never freezes
the window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assistant.core import settings as app_settings
from assistant.core.calendars import (
    CalDAVAccount,
    CalendarError,
    calendar_names,
    import_ics,
    local_zone,
    open_calendar,
)
from assistant.core.calendars.accounts import remove_account, save_account
from assistant.core.store import Store
from assistant.ui.calendar_jobs import CalendarCall, CalendarCalls


class AccountDialog(QDialog):
    """Name, server address, user and password of a CalDAV account."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a CalDAV calendar")
        form = QFormLayout(self)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("work")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://cloud.example.com/remote.php/dav")
        self.user_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Name", self.name_edit)
        form.addRow("Server address", self.url_edit)
        form.addRow("User", self.user_edit)
        form.addRow("Password (app password)", self.password_edit)
        form.addRow(QLabel("The password is kept in your system's keyring, never in a file."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class CalendarPage(QWidget):
    """Agenda of upcoming events and calendar settings."""

    agendaShown = Signal(int)  # events on screen after a refresh; -1 when the calendar could not be read
    accountChecked = Signal(bool)  # after add_account: whether the account answered and was kept

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.calls = CalendarCalls()  # running calendar I/O; waited for on close
        self._agenda_call: CalendarCall | None = None  # the newest agenda read; older answers are dropped
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Calendar:"))
        self.calendar_box = QComboBox()
        top.addWidget(self.calendar_box, 1)
        top.addWidget(QLabel("Next"))
        self.days_box = QSpinBox()
        self.days_box.setRange(1, 365)
        self.days_box.setValue(14)
        self.days_box.setSuffix(" days")
        top.addWidget(self.days_box)
        self.refresh_button = QPushButton("Refresh")
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        self.agenda = QListWidget()
        layout.addWidget(self.agenda, 1)
        self.agenda_status = QLabel()
        layout.addWidget(self.agenda_status)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        actions = QHBoxLayout()
        self.import_button = QPushButton("Import .ics file…")
        self.import_button.setToolTip("Add a calendar exported from another app (read-only), to check for conflicts")
        actions.addWidget(self.import_button)
        self.account_button = QPushButton("Add CalDAV account…")
        actions.addWidget(self.account_button)
        self.remove_button = QPushButton("Remove account")
        actions.addWidget(self.remove_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        settings = QHBoxLayout()
        self.tools_box = QCheckBox("Let the chat read this calendar and propose events (you confirm each one)")
        self.tools_box.setChecked(bool(store.get_setting(app_settings.CHAT_TOOLS)))
        settings.addWidget(self.tools_box)
        settings.addStretch(1)
        self.use_button = QPushButton("Use for new events")
        settings.addWidget(self.use_button)
        layout.addLayout(settings)
        self.calendar_box.currentTextChanged.connect(self._calendar_changed)
        self.days_box.valueChanged.connect(lambda _value: self.refresh())
        self.refresh_button.clicked.connect(self._refresh_clicked)
        self.import_button.clicked.connect(self._import_clicked)
        self.account_button.clicked.connect(self._account_clicked)
        self.remove_button.clicked.connect(self._remove_clicked)
        self.tools_box.toggled.connect(lambda on: self.store.set_setting(app_settings.CHAT_TOOLS, bool(on)))
        self.use_button.clicked.connect(self._use_clicked)
        self.reload_names()

    # -- calendars ------------------------------------------------------------
    def reload_names(self, select: str | None = None) -> None:
        current = select or self.calendar_box.currentText() or self.store.get_setting(app_settings.CHAT_CALENDAR)
        self.calendar_box.blockSignals(True)
        self.calendar_box.clear()
        self.calendar_box.addItems(calendar_names())
        index = self.calendar_box.findText(current)
        self.calendar_box.setCurrentIndex(max(index, 0))
        self.calendar_box.blockSignals(False)
        self._calendar_changed(self.calendar_box.currentText())

    def _calendar_changed(self, name: str) -> None:
        chosen = self.store.get_setting(app_settings.CHAT_CALENDAR)
        self.use_button.setEnabled(name != chosen)
        self.use_button.setText("Used for new events" if name == chosen else "Use for new events")
        self.remove_button.setEnabled(name not in ("local", "") and not name.startswith("imported"))
        self.refresh()

    def _use_clicked(self) -> None:
        self.store.set_setting(app_settings.CHAT_CALENDAR, self.calendar_box.currentText())
        self._calendar_changed(self.calendar_box.currentText())


    def refresh(self) -> None:
        """Read the next N days of the chosen calendar on a thread; ``agendaShown`` says when they are shown."""
        name = self.calendar_box.currentText()
        if not name:
            self.agenda.clear()
            return
        zone = local_zone()
        start = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=self.days_box.value())
        self.agenda_status.setText("Reading the calendar…")
        self._agenda_call = self.calls.start(
            lambda: open_calendar(name, zone=zone).list_events(start, end),
            lambda call, events, error: self._show_agenda(call, events, error, zone),
        )

    def _show_agenda(self, call: CalendarCall, events: list | None, error: str, zone) -> None:
        if not self.calls.finished(call) or call is not self._agenda_call:
            return
        self.agenda.clear()
        if error:
            self.agenda_status.setText(f"<span style='color:#c5221f'>{error}</span>")
            self.agendaShown.emit(-1)
            return
        day = None
        for event in sorted(events, key=lambda e: e.start):
            local_start = event.start.astimezone(zone)
            if local_start.date() != day:
                day = local_start.date()
                header = QListWidgetItem(local_start.strftime("%A %d %B"))
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                font = header.font()
                font.setBold(True)
                header.setFont(font)
                self.agenda.addItem(header)
            when = "all day" if event.all_day else f"{local_start:%H:%M}–{event.end.astimezone(zone):%H:%M}"
            where = f" · {event.location}" if event.location else ""
            item = QListWidgetItem(f"   {when}   {event.title}{where}")
            item.setData(Qt.ItemDataRole.UserRole, event.uid)
            self.agenda.addItem(item)
        days = self.days_box.value()
        status = f"{len(events)} event{'s' if len(events) != 1 else ''} in the next {days} days." if events else "Nothing planned."
        notices = " ".join(getattr(events, "notices", []))  # skipped events, repeats cut short
        self.agenda_status.setText(f"{status} {notices}".strip())
        self.agendaShown.emit(len(events))

    def _refresh_clicked(self) -> None:
        self.refresh()

    # -- import and accounts --------------------------------------------------
    def import_file(self, path: str) -> bool:
        try:
            imported = import_ics(path, zone=local_zone())
        except (CalendarError, OSError, ValueError) as exc:
            self.status.setText(f"<span style='color:#c5221f'>Could not import: {exc}</span>")
            return False
        self.reload_names(select=imported.name)
        return True

    def _import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a calendar", "", "Calendar files (*.ics);;All files (*)")
        if path:
            self.import_file(path)

    def add_account(self, name: str, url: str, user: str, password: str) -> None:
        """Save the account (password to the keyring), then check on a thread that it answers;
        undo when it does not. ``accountChecked`` tells the outcome."""
        account = CalDAVAccount(name=name.strip(), url=url.strip(), username=user.strip())
        try:
            save_account(account, password)
        except CalendarError as exc:
            self.status.setText(f"<span style='color:#c5221f'>{exc}</span>")
            self.accountChecked.emit(False)
            return
        self.status.setText(f"Connecting to {account.url}…")
        self.account_button.setEnabled(False)
        zone = local_zone()
        now = datetime.now(zone)
        self.calls.start(
            lambda: open_calendar(account.name, zone=zone).list_events(now, now + timedelta(days=1)),
            lambda call, _events, error: self._account_checked(call, account, error),
        )

    def _account_checked(self, call: CalendarCall, account: CalDAVAccount, error: str) -> None:
        if not self.calls.finished(call):
            return
        self.account_button.setEnabled(True)
        if error:
            remove_account(account.name)
            self.status.setText(f"<span style='color:#c5221f'>The account was not added: {error}</span>")
            self.accountChecked.emit(False)
            return
        self.reload_names(select=account.name)
        self.status.setText(f"Connected to {account.url} as {account.username}.")
        self.accountChecked.emit(True)

    def _account_clicked(self) -> None:
        dialog = AccountDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_account(dialog.name_edit.text(), dialog.url_edit.text(), dialog.user_edit.text(), dialog.password_edit.text())

    def _remove_clicked(self) -> None:
        name = self.calendar_box.currentText()
        try:
            remove_account(name)
        except CalendarError as exc:
            self.status.setText(str(exc))
            return
        if self.store.get_setting(app_settings.CHAT_CALENDAR) == name:
            self.store.set_setting(app_settings.CHAT_CALENDAR, "local")
        self.reload_names(select="local")

    # -- closing ----------------------------------------------------------------
    def shutdown(self) -> None:
        """Wait for running calendar calls (at most the server's timeout); their answers are dropped."""
        self._agenda_call = None
        self.calls.wait_all()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
