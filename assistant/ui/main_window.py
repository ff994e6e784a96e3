"""The main window: conversations on the left, the chat on the right, pages in tabs.

The window holds the layout, the menus and closing. The chat's state and its work live in
:class:`~assistant.ui.chat.controller.ChatController` (over core's ``ChatSession``); the
models in :class:`~assistant.ui.chat.engines.Engines`. Every chat control's enabled state
is read from the session in :meth:`MainWindow._update_controls`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import assistant
from assistant.core import settings
from assistant.core.chat.session import Action
from assistant.core.engines.base import LoadInfo
from assistant.core.store import Store
from assistant.ui import jobs
from assistant.ui.chat.composer import MessageInput
from assistant.ui.chat.controller import ChatController
from assistant.ui.chat.engines import REMOTE, Engines
from assistant.ui.chat_view import ChatView
from assistant.ui.lazy_pages import LazyPages
from assistant.ui.worker import ModelBridge

READY_TEXT = "Ask anything. Everything stays on this computer."


class MainWindow(QMainWindow):
    """Chat window. Model work goes through :class:`Engines`; history through the :class:`Store`."""

    def __init__(self, store: Store, bridge: ModelBridge) -> None:
        super().__init__()
        self.store = store
        self.bridge = bridge
        self.engines = Engines(store, bridge)
        self.error_box: QMessageBox | None = None
        self.wizard: QDialog | None = None
        self.setWindowTitle("Llama Desk")
        self.resize(1100, 720)
        self._build_widgets()
        self.chat = ChatController(store, self.engines, self.chat_view, self.conversation_list)
        self._build_menus()
        self.chat.changed.connect(self._update_controls)
        self.chat.notice.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.chat.activity.connect(self.speed_label.setText)
        self.chat.contextUsed.connect(self._set_context)
        self.chat.editRequested.connect(self.ask_edit)
        self.chat.conversationShown.connect(self._show_engine)
        self.engines.changed.connect(self._show_engine)
        self.engines.loadFailed.connect(self._on_load_failed)
        self.engines.serverUnusable.connect(lambda message: self.show_error("The team server cannot be used", message))
        self.apply_settings()
        conversations = store.list_conversations()
        if conversations:
            self.chat.show(conversations[0].id)
        self._show_engine()

    # -- layout ---------------------------------------------------------------
    def _build_widgets(self) -> None:
        splitter = QSplitter()
        sidebar = QWidget()
        sidebar.setObjectName("sidebar")
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(8, 8, 8, 8)
        self.new_button = QPushButton("New chat")
        self.new_button.clicked.connect(self._new_clicked)
        side.addWidget(self.new_button)
        self.conversation_list = QListWidget()
        self.conversation_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conversation_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.conversation_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.conversation_list.customContextMenuRequested.connect(self._conversation_menu)
        side.addWidget(self.conversation_list)
        splitter.addWidget(sidebar)

        main = QWidget()
        column = QVBoxLayout(main)
        column.setContentsMargins(0, 0, 0, 8)
        engine_row = QHBoxLayout()
        engine_row.setContentsMargins(12, 6, 12, 0)
        engine_row.addWidget(QLabel("Answered by:"))
        self.engine_box = QComboBox()
        self.engine_box.addItem("the model on this computer", "local")
        self.engine_box.addItem("the team server", "remote")
        self.engine_box.setToolTip("Which model answers this conversation (set up a team server in Settings)")
        self.engine_box.currentIndexChanged.connect(self._engine_chosen)
        engine_row.addWidget(self.engine_box)
        engine_row.addStretch(1)
        column.addLayout(engine_row)
        self.chat_view = ChatView()
        column.addWidget(self.chat_view, 1)
        composer = QHBoxLayout()
        composer.setContentsMargins(12, 0, 12, 0)
        self.input = MessageInput()
        self.input.setFixedHeight(84)
        self.input.submitted.connect(self._send_clicked)
        composer.addWidget(self.input, 1)
        buttons = QVBoxLayout()
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send_clicked)
        buttons.addWidget(self.send_button)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the reply, the calendar read, or dismiss the proposals (Esc)")
        self.stop_button.clicked.connect(self.stop)
        buttons.addWidget(self.stop_button)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setToolTip("Write the last reply again")
        self.regenerate_button.clicked.connect(self._regenerate_clicked)
        buttons.addWidget(self.regenerate_button)
        composer.addLayout(buttons)
        column.addLayout(composer)
        splitter.addWidget(main)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 860])
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(splitter, "Chat")
        self.pages = LazyPages(self.tabs)
        self.setCentralWidget(self.tabs)

        status = self.statusBar()
        self.model_label = QLabel("No model")
        status.addWidget(self.model_label)
        self.speed_label = QLabel("")
        status.addWidget(self.speed_label)
        self.context_meter = QProgressBar()
        self.context_meter.setMaximumWidth(220)
        self.context_meter.setTextVisible(True)
        self.context_meter.setFormat("context: 0 / 0")
        self.context_meter.setValue(0)
        status.addPermanentWidget(self.context_meter)
        self.activity_label = QLabel("Idle")  # what the model is doing (ModelWorker.activity)
        status.addPermanentWidget(self.activity_label)
        self.bridge.worker.activity.connect(self.activity_label.setText)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action(file_menu, "&Open model file…", self.choose_model_file, QKeySequence.StandardKey.Open)
        self._action(file_menu, "&Get a Llama 3.2 model…", self.open_setup_wizard)
        file_menu.addSeparator()
        self._action(file_menu, "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences)
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        chat_menu = self.menuBar().addMenu("&Conversation")
        #: (action, the session's action it follows); refused while a turn holds the conversation
        self.action_rules: list[tuple[QAction, Action]] = [
            (self._action(chat_menu, "&New chat", self._new_clicked, QKeySequence.StandardKey.New), Action.NEW),
            (self._action(chat_menu, "&Rename…", self.ask_rename), Action.RENAME),
            (self._action(chat_menu, "&Delete…", self.ask_delete), Action.DELETE),
            (self._action(chat_menu, "Edit &system prompt…", self.ask_system_prompt), Action.SYSTEM_PROMPT),
            (self._action(chat_menu, "Re&generate last reply", self._regenerate_clicked), Action.REGENERATE),
            (self._action(chat_menu, "&Edit last message…", self.edit_last_message), Action.EDIT),
            (self._action(chat_menu, "E&xport as Markdown…", self.ask_export), Action.EXPORT),
        ]
        self.busy_actions = [action for action, rule in self.action_rules if rule not in (Action.RENAME, Action.EXPORT)]
        self.stop_action = self._action(chat_menu, "&Stop", self.stop, QKeySequence(Qt.Key.Key_Escape))
        self.stop_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addAction(self.stop_action)
        self.action_rules.append((self.stop_action, Action.STOP))

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About Llama Desk", self.show_about)

    def _action(self, menu: QMenu, text: str, slot: Callable[[], object], shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _update_controls(self) -> None:
        """Every chat control follows the session's state."""
        session = self.chat.session
        for action, rule in self.action_rules:
            action.setEnabled(session.allowed(rule))
        self.send_button.setEnabled(session.can_send())
        self.send_button.setToolTip(session.refusal(Action.SEND) or "Send the message (" + self.input.send_key.title() + ")")
        self.stop_button.setEnabled(session.allowed(Action.STOP))
        has_reply = any(m.role == "assistant" for m in self.chat.messages())
        self.regenerate_button.setEnabled(session.allowed(Action.REGENERATE) and has_reply)
        self.new_button.setEnabled(session.allowed(Action.NEW))
        self.conversation_list.setEnabled(session.allowed(Action.SWITCH))
        self.engine_box.setEnabled(session.allowed(Action.CHOOSE_ENGINE))
        self.engine_box.model().item(1).setEnabled(self.engines.remote_bridge is not None)
        problem = session.model_problem
        self.chat_view.set_placeholder(problem or READY_TEXT)

    # Slots connected to signals return nothing: PySide6 mishandles the
    # reference count of a bool returned from a slot (a crash at exit).
    def _send_clicked(self) -> None:
        self.send()

    def _regenerate_clicked(self) -> None:
        self.regenerate()

    def _new_clicked(self) -> None:
        if self.chat.new_conversation() is not None:
            self.input.setFocus()

    # -- the chat (the controller does the work) -----------------------------
    def send(self, text: str | None = None) -> bool:
        """Send the input box's text (or ``text``); returns whether a reply was started."""
        sent = self.chat.send(self.input.toPlainText() if text is None else text)
        if sent:
            if text is None:
                self.input.clear()
            self.input.setFocus()
        return sent

    def regenerate(self) -> bool:
        return self.chat.regenerate()

    def stop(self) -> None:
        self.chat.stop()

    def new_conversation(self) -> int | None:
        return self.chat.new_conversation()

    def select_conversation(self, conversation_id: int) -> bool:
        return self.chat.select(conversation_id)

    def delete_conversation(self, conversation_id: int) -> bool:
        return self.chat.delete(conversation_id)

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self.chat.rename(conversation_id, title)

    # What tests and the app read of the chat; the state itself lives in the controller.
    conversation_id = property(lambda self: self.chat.conversation_id)
    request = property(lambda self: self.chat.reply.request if self.chat.reply else None)
    reply_text = property(lambda self: self.chat.reply_text)
    tool_job = property(lambda self: self.chat.tools.job)
    pending_cards = property(lambda self: self.chat.tools.pending)
    model_info = property(lambda self: self.engines.model_info)
    remote_info = property(lambda self: self.engines.remote_info)
    remote_error = property(lambda self: self.engines.remote_error)
    loading_path = property(lambda self: self.engines.loading_path)
    uses_remote = property(lambda self: self.chat.engine_kind == REMOTE)

    def _conversation_menu(self, position) -> None:
        item = self.conversation_list.itemAt(position)
        if item is None or not self.chat.select(int(item.data(Qt.ItemDataRole.UserRole))):
            return
        menu = QMenu(self)
        menu.addAction("Rename…", self.ask_rename)
        menu.addAction("Delete…", self.ask_delete)
        menu.exec(self.conversation_list.mapToGlobal(position))

    def _current(self):
        return self.store.get_conversation(self.conversation_id) if self.conversation_id else None

    def ask_rename(self) -> None:
        conversation = self._current()
        if conversation is None:
            return
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=conversation.title)
        if ok and title.strip():
            self.rename_conversation(conversation.id, title)

    def ask_delete(self) -> None:
        conversation = self._current()
        if conversation is None or self.chat.refused(Action.DELETE):
            return
        answer = QMessageBox.question(self, "Delete conversation", f"Delete “{conversation.title}” and all its messages?")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_conversation(conversation.id)

    def ask_system_prompt(self) -> None:
        conversation = self._current()
        if conversation is None or self.chat.refused(Action.SYSTEM_PROMPT):
            return
        text, ok = QInputDialog.getMultiLineText(
            self, "System prompt", "Instructions the model follows in this conversation:", conversation.system_prompt
        )
        if ok:
            self.store.set_system_prompt(conversation.id, text)

    def ask_edit(self, message_id: int, text: str) -> QDialog | None:
        """Edit a sent message: resend in a copy (the old replies stay) or replace what followed."""
        from assistant.ui.chat.edit_dialog import COPY, EditDialog

        if self.chat.refused(Action.EDIT):
            return None
        dialog = EditDialog(message_id, text, self)
        dialog.accepted.connect(lambda: self.chat.edit(message_id, dialog.text, keep_old=dialog.choice == COPY))
        dialog.open()
        self.edit_dialog = dialog
        return dialog

    def edit_last_message(self) -> None:
        last = next((m for m in reversed(self.chat.messages()) if m.role == "user"), None)
        if last is not None:
            self.ask_edit(last.id, last.content)

    def ask_export(self) -> None:
        conversation = self._current()
        if conversation is None:
            return
        start = str(Path.home() / f"{conversation.title.replace('/', '-')}.md")
        path, _ = QFileDialog.getSaveFileName(self, "Export conversation", start, "Markdown (*.md);;All files (*)")
        if path:
            try:
                written = self.chat.export_markdown(path)
            except OSError as exc:
                self.show_error("The conversation could not be exported", str(exc))
                return
            self.statusBar().showMessage(f"Exported to {written}", 5000)

    # -- engines --------------------------------------------------------------
    def connect_server(self) -> bool:
        return self.engines.connect_server()

    def _engine_chosen(self, index: int) -> None:
        kind = self.engine_box.itemData(index)
        if kind and self.conversation_id is not None and not self.chat.set_engine(kind):
            self._show_engine()  # refused: the chooser goes back

    def _show_engine(self) -> None:
        """Status bar and chooser for the current conversation's engine."""
        kind = self.chat.engine_kind
        self.engine_box.blockSignals(True)
        self.engine_box.setCurrentIndex(1 if kind == REMOTE else 0)
        self.engine_box.blockSignals(False)
        text, tooltip = self.engines.describe(kind)
        self.model_label.setText(text)
        self.model_label.setToolTip(tooltip)
        self._set_context(0)
        self._update_controls()

    def _set_context(self, used: int) -> None:
        info: LoadInfo | None = self.engines.info_for(self.chat.engine_kind)
        total = info.n_ctx if info else 0
        self.context_meter.setMaximum(max(total, 1))
        self.context_meter.setValue(min(used, max(total, 1)))
        self.context_meter.setFormat(f"context: {used:,} / {total:,}")

    def apply_settings(self) -> None:
        """Settings the window itself follows (the send key, unloading an idle model)."""
        self.input.set_send_key(str(self.store.get_setting(settings.SEND_KEY)))
        self.bridge.set_idle_unload(settings.idle_unload_seconds(self.store))
        self._update_controls()

    def open_settings(self) -> QDialog:
        from assistant.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.store, self)
        dialog.accepted.connect(self.connect_server)
        dialog.accepted.connect(self.apply_settings)
        dialog.benchmarkRequested.connect(self.open_benchmark)
        dialog.open()
        self.settings_dialog = dialog
        return dialog

    def open_benchmark(self) -> QDialog | None:
        from assistant.ui.benchmark_dialog import BenchmarkDialog

        dialog = BenchmarkDialog(self.bridge, self)
        dialog.open()
        self.benchmark_dialog = dialog
        return dialog

    # -- model ----------------------------------------------------------------
    def open_model(self, path: str) -> None:
        """Load a model file on the worker; the choice is remembered once it loads."""
        self.engines.open_model(path)

    def choose_model_file(self) -> None:
        start = str(Path(settings.remembered_model(self.store) or Path.home()).parent)
        path, _ = QFileDialog.getOpenFileName(self, "Open model file", start, "GGUF models (*.gguf);;All files (*)")
        if path:
            self.open_model(path)

    def open_setup_wizard(self) -> QDialog | None:
        """The wizard that picks, downloads and checks a build for this machine (non-blocking)."""
        from assistant.core.models.catalog import CatalogError, load_catalog
        from assistant.core.models.hardware import probe
        from assistant.ui.setup_wizard import SetupWizard

        try:
            catalog = load_catalog()
        except CatalogError as exc:
            self.show_error("The model catalog could not be read", str(exc))
            return None
        wizard = SetupWizard(self.store, self.bridge, catalog, probe(), self)  # asks llama.cpp whether it can offload
        wizard.setWindowModality(Qt.WindowModality.WindowModal)
        wizard.open()
        self.wizard = wizard
        return wizard

    def _on_load_failed(self, path: str, message: str) -> None:
        """Say what failed and what is loaded now; offer another file."""
        info = self.engines.model_info
        now = f"Still using {info.model_name}." if info is not None else "No model is loaded now."
        self.show_error("The model could not be opened", f"{message}\n\n{now}")
        self.error_box.addButton("Open another file…", QMessageBox.ButtonRole.ActionRole).clicked.connect(self.choose_model_file)

    def show_error(self, title: str, message: str) -> None:
        """A non-blocking error dialog; the window stays usable behind it."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.error_box = box

    # -- pages ----------------------------------------------------------------
    def add_page(self, title: str, factory: Callable[[], QWidget]) -> None:
        """Add a page beside the chat; it is built the first time it is shown or asked for."""
        self.pages.add(title, factory)

    def page(self, title: str) -> QWidget:
        return self.pages.page(title)

    @property
    def meetings_page(self):
        return self.page("Meetings")

    @property
    def calendar_page(self):
        return self.page("Calendar")

    @property
    def models_page(self):
        return self.page("Models")

    # -- misc -----------------------------------------------------------------
    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Llama Desk",
            f"<b>Llama Desk {assistant.__version__}</b><p>A private assistant that runs Llama 3.2 on this computer.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the reply (what it wrote is kept), end the pages' work and every job, then the model threads."""
        self.chat.shutdown()
        self.pages.shutdown()
        jobs.shutdown()  # calls whose owner is gone, e.g. a decided card (at most the server's timeout)
        self.engines.shutdown()
        event.accept()
