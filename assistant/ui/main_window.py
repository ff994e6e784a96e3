"""The main window: conversations on the left, the chat on the right."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import assistant
from assistant.core import settings
from assistant.core.chat.prompt import DEFAULT_SYSTEM_PROMPT, PromptPlan
from assistant.core.chat.tools import TOOL_NAMES
from assistant.core.engines.base import GenerationParams, GenerationStats, LoadInfo
from assistant.core.store import COMPLETE, PARTIAL, STREAMING, Store, StoredMessage
from assistant.ui.chat_view import ChatView, MessageBubble
from assistant.ui.worker import ModelBridge, Request

if TYPE_CHECKING:  # the calendar stack is imported when the chat first needs it
    from assistant.core.calendars import EventDraft, TaskDraft
    from assistant.core.chat import ToolCall, ToolResult, ToolTurn
    from assistant.ui.calendar_jobs import CalendarCalls, ToolCallJob
    from assistant.ui.event_card import EventCard


#: A streaming reply is written to the database at most this often (seconds).
SAVE_INTERVAL = 1.0
NO_MODEL_TEXT = "No model is loaded yet.\nChoose File → Open model file… to pick a GGUF model."


class MessageInput(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class MainWindow(QMainWindow):
    """Chat window. Model work goes through the :class:`ModelBridge`; history through the :class:`Store`."""

    def __init__(self, store: Store, bridge: ModelBridge) -> None:
        super().__init__()
        self.store = store
        self.bridge = bridge
        self.model_info: LoadInfo | None = None  # the model on this computer
        self.remote_bridge: ModelBridge | None = None  # the team server, when one is set up
        self.remote_info: LoadInfo | None = None
        self.remote_error = ""
        self.loading_path: str | None = None
        self.conversation_id: int | None = None
        self.request: Request | None = None
        self.reply_message: StoredMessage | None = None
        self.reply_bubble: MessageBubble | None = None
        self.reply_text = ""
        self._last_save = 0.0
        self._dropped: dict[int, int] = {}
        self.pending_cards: dict[str, EventCard] = {}  # tool call id -> card awaiting the user
        self.tool_job: ToolCallJob | None = None  # the reply's calendar reads, running on their own thread
        self.tool_calls: CalendarCalls | None = None  # made when the chat first uses the calendar
        self._tool_turn: ToolTurn | None = None  # the tool loop of the current turn, made when first needed
        self._routing: tuple[str, list[dict]] = ("", [])  # system prompt and history of the message being routed
        self.error_box: QMessageBox | None = None
        self.wizard: QDialog | None = None
        self._pages: dict[str, QWidget] = {}
        self._page_factories: dict[str, tuple[Callable[[], QWidget], QWidget]] = {}
        self.setWindowTitle("Llama Desk")
        self.resize(1100, 720)
        self._build_widgets()
        self._build_menus()
        bridge.worker.loadStarted.connect(self._on_load_started)
        bridge.worker.loaded.connect(self._on_loaded)
        bridge.worker.loadFailed.connect(self._on_load_failed)
        bridge.worker.planned.connect(self._on_planned)
        bridge.worker.tokens.connect(self._on_tokens)
        bridge.worker.finished.connect(self._on_finished)
        bridge.worker.failed.connect(self._on_failed)
        bridge.worker.taskFinished.connect(self._on_routed)
        self.refresh_conversations()
        conversations = store.list_conversations()
        if conversations:
            self.select_conversation(conversations[0].id)
        self._update_controls()

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
        self.conversation_list.currentItemChanged.connect(self._on_conversation_clicked)
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
        self.chat_view.set_placeholder(NO_MODEL_TEXT)
        column.addWidget(self.chat_view, 1)
        composer = QHBoxLayout()
        composer.setContentsMargins(12, 0, 12, 0)
        self.input = MessageInput()
        self.input.setPlaceholderText("Message Llama Desk  (Enter to send, Shift+Enter for a new line)")
        self.input.setFixedHeight(84)
        self.input.submitted.connect(self._send_clicked)
        composer.addWidget(self.input, 1)
        buttons = QVBoxLayout()
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send_clicked)
        buttons.addWidget(self.send_button)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the reply (Esc)")
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
        self.tabs.currentChanged.connect(self._on_tab_changed)
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
        open_action = QAction("&Open model file…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.choose_model_file)
        file_menu.addAction(open_action)
        wizard_action = QAction("&Get a Llama 3.2 model…", self)
        wizard_action.triggered.connect(self.open_setup_wizard)
        file_menu.addAction(wizard_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        chat_menu = self.menuBar().addMenu("&Conversation")
        self.busy_actions: list[QAction] = []  # refused while a reply, a calendar call or a card is pending
        for text, slot, shortcut in (
            ("&New chat", self._new_clicked, QKeySequence.StandardKey.New),
            ("&Rename…", self.ask_rename, None),
            ("&Delete…", self.ask_delete, None),
            ("Edit &system prompt…", self.ask_system_prompt, None),
            ("Re&generate last reply", self._regenerate_clicked, None),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            chat_menu.addAction(action)
            if slot is not self.ask_rename:
                self.busy_actions.append(action)
        self.stop_action = QAction("&Stop reply", self)
        self.stop_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stop_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.stop_action.triggered.connect(self.stop)
        chat_menu.addAction(self.stop_action)
        self.addAction(self.stop_action)

        settings_action = QAction("&Settings…", self)
        settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        settings_action.triggered.connect(self.open_settings)
        file_menu.insertAction(quit_action, settings_action)

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Llama Desk", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    # Slots connected to signals return nothing: PySide6 mishandles the
    # reference count of a bool returned from a slot (a crash at exit).
    def _send_clicked(self) -> None:
        self.send()

    def _regenerate_clicked(self) -> None:
        self.regenerate()

    @property
    def busy(self) -> bool:
        """A reply, a calendar call or a proposal awaiting the user belongs to the current conversation."""
        return self.request is not None or bool(self.pending_cards) or self.tool_job is not None

    def _refuse_while_busy(self) -> bool:
        """Switching, creating or deleting a conversation now would orphan its reply: say so and refuse."""
        if self.busy:
            self.statusBar().showMessage("Finish or stop the current reply (or decide on its cards) first.", 5000)
        return self.busy

    def _new_clicked(self) -> None:
        if not self._refuse_while_busy():
            self.new_conversation()

    def _update_controls(self) -> None:
        busy = self.busy
        for action in self.busy_actions:
            action.setEnabled(not busy)
        ready = self.active_info is not None and (self.loading_path is None or self.uses_remote)
        self.send_button.setEnabled(ready and not busy)
        self.stop_button.setEnabled(busy)
        self.stop_action.setEnabled(busy)
        has_reply = any(m.role == "assistant" for m in self._messages())
        self.regenerate_button.setEnabled(ready and not busy and has_reply)
        self.new_button.setEnabled(not busy)
        self.conversation_list.setEnabled(not busy)
        self.engine_box.setEnabled(not busy and self.conversation_id is not None)
        remote_item = self.engine_box.model().item(1)
        remote_item.setEnabled(self.remote_bridge is not None)

    # -- engines --------------------------------------------------------------
    @property
    def uses_remote(self) -> bool:
        """Whether the current conversation is answered by the team server."""
        conversation = self.store.get_conversation(self.conversation_id) if self.conversation_id else None
        return conversation is not None and conversation.engine == "remote"

    @property
    def active_bridge(self) -> ModelBridge:
        return self.remote_bridge if self.uses_remote and self.remote_bridge is not None else self.bridge

    @property
    def active_info(self) -> LoadInfo | None:
        return self.remote_info if self.uses_remote else self.model_info

    def connect_server(self) -> bool:
        """(Re)connect to the team server in the settings; the local model stays loaded."""
        from assistant.core.engines.remote import RemoteEngine, RemoteEngineError

        if self.remote_bridge is not None:
            self.remote_bridge.shutdown()
            self.remote_bridge = None
            self.remote_info = None
        url = self.store.get_setting(settings.SERVER_URL)
        if not url:
            self._update_controls()
            return False
        model = self.store.get_setting(settings.SERVER_MODEL) or ""
        try:
            engine = RemoteEngine(url, model or None)
        except RemoteEngineError as exc:
            self.remote_error = str(exc)
            self.show_error("The team server cannot be used", str(exc))
            return False
        bridge = ModelBridge(engine)
        bridge.worker.loaded.connect(self._on_remote_loaded)
        bridge.worker.loadFailed.connect(self._on_remote_load_failed)
        for worker in (bridge.worker,):
            worker.planned.connect(self._on_planned)
            worker.tokens.connect(self._on_tokens)
            worker.finished.connect(self._on_finished)
            worker.failed.connect(self._on_failed)
        self.remote_bridge = bridge
        bridge.load(model, settings.context_size(self.store))
        self._update_controls()
        return True

    def _on_remote_loaded(self, info: LoadInfo) -> None:
        self.remote_info = info
        self.remote_error = ""
        self._show_engine()
        self._update_controls()

    def _on_remote_load_failed(self, _path: str, message: str) -> None:
        self.remote_info = None
        self.remote_error = message
        self._show_engine()
        self._update_controls()

    def _engine_chosen(self, index: int) -> None:
        kind = self.engine_box.itemData(index)
        if self.conversation_id is not None and kind:
            self.store.set_conversation_engine(self.conversation_id, kind)
        self._show_engine()
        self._update_controls()

    def _show_engine(self) -> None:
        """Status bar and chooser for the current conversation's engine."""
        remote = self.uses_remote
        self.engine_box.blockSignals(True)
        self.engine_box.setCurrentIndex(1 if remote else 0)
        self.engine_box.blockSignals(False)
        if remote:
            if self.remote_info is not None:
                self.model_label.setText(f"{self.remote_info.model_name}  ·  team server")
                self.model_label.setToolTip(self.remote_info.path)
            else:
                self.model_label.setText("Team server: " + (self.remote_error or "connecting…"))
        elif self.model_info is not None:
            threads = self.model_info.n_threads
            self.model_label.setText(
                f"{self.model_info.model_name}  ·  {self.model_info.where()}  ·  {threads} thread{'s' if threads != 1 else ''}"
            )
            self.model_label.setToolTip(self.model_info.path)
        self._set_context(0)

    def open_settings(self) -> QDialog:
        from assistant.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.store, self)
        dialog.accepted.connect(self.connect_server)
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
        self.bridge.load(path, settings.context_size(self.store))

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

    def _on_load_started(self, path: str) -> None:
        self.loading_path = path
        self.model_label.setText(f"Loading {Path(path).name}…")
        self._update_controls()

    def _on_loaded(self, info: LoadInfo) -> None:
        self.loading_path = None
        self.model_info = info
        settings.remember_model(info.path, self.store)
        self.chat_view.set_placeholder("Ask anything. Everything stays on this computer.")
        self._show_engine()
        self._update_controls()

    def _on_load_failed(self, path: str, message: str) -> None:
        self.loading_path = None
        self.model_label.setText(self.model_info.model_name if self.model_info else "No model")
        self._update_controls()
        self.show_error("The model could not be opened", message)

    def show_error(self, title: str, message: str) -> None:
        """A non-blocking error dialog; the window stays usable behind it."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.error_box = box

    def _set_context(self, used: int) -> None:
        total = self.active_info.n_ctx if self.active_info else 0
        self.context_meter.setMaximum(max(total, 1))
        self.context_meter.setValue(min(used, max(total, 1)))
        self.context_meter.setFormat(f"context: {used:,} / {total:,}")

    # -- conversations --------------------------------------------------------
    def refresh_conversations(self) -> None:
        self.conversation_list.blockSignals(True)
        self.conversation_list.clear()
        for conversation in self.store.list_conversations():
            item = QListWidgetItem(conversation.title)
            item.setData(Qt.ItemDataRole.UserRole, conversation.id)
            self.conversation_list.addItem(item)
            if conversation.id == self.conversation_id:
                self.conversation_list.setCurrentItem(item)
        self.conversation_list.blockSignals(False)

    def new_conversation(self) -> int:
        conversation = self.store.create_conversation("New chat", DEFAULT_SYSTEM_PROMPT)
        self.select_conversation(conversation.id)
        self.input.setFocus()
        return conversation.id

    def select_conversation(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        self.refresh_conversations()
        self.chat_view.clear()
        for message in self._messages():
            self.chat_view.add_message(message.role, message.content, message.status, _display(message.role, message.content))
        self._show_engine()
        self._update_controls()

    def _on_conversation_clicked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None and not self._refuse_while_busy():
            self.select_conversation(int(item.data(Qt.ItemDataRole.UserRole)))

    def _conversation_menu(self, position) -> None:
        item = self.conversation_list.itemAt(position)
        if item is None or self._refuse_while_busy():
            return
        self.select_conversation(int(item.data(Qt.ItemDataRole.UserRole)))
        menu = QMenu(self)
        menu.addAction("Rename…", self.ask_rename)
        menu.addAction("Delete…", self.ask_delete)
        menu.exec(self.conversation_list.mapToGlobal(position))

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self.store.rename_conversation(conversation_id, title)
        self.refresh_conversations()

    def delete_conversation(self, conversation_id: int) -> None:
        self.store.delete_conversation(conversation_id)
        if conversation_id == self.conversation_id:
            self.conversation_id = None
            self.chat_view.clear()
            remaining = self.store.list_conversations()
            if remaining:
                self.select_conversation(remaining[0].id)
        self.refresh_conversations()
        self._update_controls()

    def ask_rename(self) -> None:
        conversation = self.store.get_conversation(self.conversation_id) if self.conversation_id else None
        if conversation is None:
            return
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=conversation.title)
        if ok and title.strip():
            self.rename_conversation(conversation.id, title)

    def ask_delete(self) -> None:
        conversation = self.store.get_conversation(self.conversation_id) if self.conversation_id else None
        if conversation is None or self._refuse_while_busy():
            return
        answer = QMessageBox.question(self, "Delete conversation", f"Delete “{conversation.title}” and all its messages?")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_conversation(conversation.id)

    def ask_system_prompt(self) -> None:
        conversation = self.store.get_conversation(self.conversation_id) if self.conversation_id else None
        if conversation is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self, "System prompt", "Instructions the model follows in this conversation:", conversation.system_prompt
        )
        if ok:
            self.store.set_system_prompt(conversation.id, text)

    def _messages(self) -> list[StoredMessage]:
        return self.store.messages(self.conversation_id) if self.conversation_id else []

    # -- chatting -------------------------------------------------------------
    def send(self, text: str | None = None) -> bool:
        """Send the input box's text (or ``text``); returns whether a reply was started."""
        text = (self.input.toPlainText() if text is None else text).strip()
        if not text or self.request is not None or self.pending_cards or self.active_info is None:
            return False
        if self.loading_path and not self.uses_remote:
            return False
        self._begin_turn()
        if self.conversation_id is None:
            self.new_conversation()
        conversation_id = self.conversation_id
        assert conversation_id is not None
        if not any(m.role == "user" for m in self._messages()):
            self.store.rename_conversation(conversation_id, _title_from(text))
            self.refresh_conversations()
        self.store.add_message(conversation_id, "user", text)
        self.chat_view.add_message("user", text)
        self.input.clear()
        self._start_reply()
        return True

    def regenerate(self) -> bool:
        """Replace the last reply with a new one."""
        if self.request is not None or self.pending_cards or self.active_info is None:
            return False
        self._begin_turn()
        messages = self._messages()
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
        if last_user is None:
            return False
        for message in messages[last_user + 1 :]:
            self.store.delete_message(message.id)
        self.select_conversation(self.conversation_id)
        self._start_reply()
        return True

    def _start_reply(self) -> None:
        conversation = self.store.get_conversation(self.conversation_id)
        assert conversation is not None
        history = [{"role": m.role, "content": m.content} for m in self._messages()]
        system, params = conversation.system_prompt, GenerationParams()
        if self.tools_enabled:
            from assistant.core.calendars import local_zone
            from assistant.core.chat import TOOLS
            from assistant.core.chat.actions import routed_system_prompt, uses_routing
            from assistant.core.chat.display import tools_system_prompt

            zone = local_zone()
            if uses_routing(self.active_bridge.engine):
                # Constrained path: decide first (the user just spoke), then reply in prose.
                extra = "" if system.strip() == DEFAULT_SYSTEM_PROMPT else system.strip()
                system = routed_system_prompt(datetime.now(zone), zone.key, extra)
                if history and history[-1]["role"] == "user":
                    self._route(system, history)
                    return
            else:
                system = tools_system_prompt(system, datetime.now(zone), zone.key)
                params = GenerationParams(tools=TOOLS)
        self._stream_reply(system, history, params)

    def _route(self, system: str, history: list[dict]) -> None:
        """Ask the model what to do with the user's message (a reply or a calendar action), off the GUI thread."""
        from assistant.core.chat.route import route_task

        self._routing = (system, history)
        self.speed_label.setText("thinking…")
        self.request = self.active_bridge.run_task(lambda engine, stop, _progress: route_task(engine, system, history, stop))
        self._update_controls()

    def _on_routed(self, request_id: int, decided: object) -> None:
        if self.request is None or request_id != self.request.id:
            return
        request, self.request = self.request, None
        system, history = self._routing
        self.speed_label.setText("")
        if request.stop_event.is_set() or self.conversation_id is None:
            self._update_controls()
            return
        if not decided.calls:
            self._stream_reply(system, history, GenerationParams())
            return
        from assistant.core.chat.display import describe_tool_calls

        text = "\n".join(json.dumps({"name": c.name, "parameters": c.arguments}, ensure_ascii=False) for c in decided.calls)
        self.store.add_message(self.conversation_id, "assistant", text)
        self.chat_view.add_message("assistant", text, display=describe_tool_calls(text))
        self._run_tool_calls(decided.calls)

    def _stream_reply(self, system: str, history: list[dict], params: GenerationParams) -> None:
        conversation_id = self.conversation_id
        assert conversation_id is not None
        self.reply_message = self.store.add_message(conversation_id, "assistant", "", status=STREAMING)
        self.reply_bubble = self.chat_view.add_message("assistant", "", STREAMING)
        self.reply_text = ""
        self._last_save = time.monotonic()
        self.speed_label.setText("thinking…")
        self.request = self.active_bridge.chat(system, history, params)
        self._update_controls()

    @property
    def tools_enabled(self) -> bool:
        return bool(self.store.get_setting(settings.CHAT_TOOLS))

    def stop(self) -> None:
        if self.request is not None:
            self.request.stop()
        elif self.tool_job is not None:  # the calendar has not answered yet: give up on it
            job, self.tool_job = self.tool_job, None
            self.tool_calls.drop(job)
            for done in self.tool_turn.failed(job.calls, "Stopped by the user before the calendar answered."):
                self._add_tool_result(done)
            self._notice("Stopped before the calendar answered; nothing was written.")
            self.speed_label.setText("")
            self._update_controls()

    def _on_planned(self, request_id: int, plan: PromptPlan) -> None:
        if self.request is None or request_id != self.request.id or self.conversation_id is None:
            return
        self._set_context(plan.prompt_tokens)
        previous = self._dropped.get(self.conversation_id, 0)
        self._dropped[self.conversation_id] = plan.dropped
        if plan.dropped and not previous and plan.notice and self.reply_message is not None:
            # The notice goes just before the reply, in the database and on screen.
            notice = self.store.add_message(self.conversation_id, "notice", plan.notice)
            self.store.delete_message(self.reply_message.id)
            self.reply_message = self.store.add_message(self.conversation_id, "assistant", "", status=STREAMING)
            self.chat_view.remove_bubble(self.reply_bubble)
            self.chat_view.add_message("notice", notice.content)
            self.reply_bubble = self.chat_view.add_message("assistant", "", STREAMING)

    def _on_tokens(self, request_id: int, text: str) -> None:
        if self.request is None or request_id != self.request.id:
            return
        self.reply_text += text
        if self.reply_bubble is not None:
            self.reply_bubble.append(text)
        now = time.monotonic()
        if self.reply_message is not None and now - self._last_save >= SAVE_INTERVAL:
            self.store.update_message(self.reply_message.id, content=self.reply_text)
            self._last_save = now

    def _on_finished(self, request_id: int, stats: GenerationStats) -> None:
        if self.request is None or request_id != self.request.id:
            return
        status = PARTIAL if stats.finish_reason == "cancelled" else COMPLETE
        reply = self.reply_text
        self._end_reply(status, stats)
        self.speed_label.setText(
            f"{stats.tokens_per_second:.1f} tokens/s  ·  first token {stats.time_to_first_token:.2f} s"
        )
        self._set_context(stats.prompt_tokens + stats.completion_tokens)
        if status == COMPLETE and self.tools_enabled:
            from assistant.core.chat.actions import uses_routing

            if not uses_routing(self.active_bridge.engine):  # the routed path decided before the reply
                self._after_reply_with_tools(reply)

    # -- calendar tools: Qt work only; the loop itself is core's ToolTurn --------------------------
    @property
    def tool_turn(self) -> ToolTurn:
        if self._tool_turn is None:
            from assistant.core.chat import ToolTurn

            self._tool_turn = ToolTurn()
        return self._tool_turn

    def _begin_turn(self) -> None:
        """The user spoke: the model may call tools again."""
        if self._tool_turn is not None:
            self._tool_turn.begin()

    def _after_reply_with_tools(self, reply: str) -> None:
        """Run the tool calls in a finished reply: reads at once, proposals as cards."""
        from assistant.core.chat.display import describe_tool_calls

        step = self.tool_turn.read_reply(reply)
        if not step.calls:
            if step.rejected:
                self._notice(f"The model's calendar request could not be used, so nothing was done ({step.rejected}).")
            return
        if self.chat_view.bubbles:
            last = self.chat_view.bubbles[-1]
            last.display = describe_tool_calls(reply)
            last.set_text(last.text)
        if step.too_many:
            self._notice("The model kept calling calendar tools without answering, so Llama Desk stopped it.")
            return
        self._run_tool_calls(step.calls)

    def _run_tool_calls(self, calls: list[ToolCall]) -> None:
        """Reads run on a calendar thread; proposals come back as cards."""
        from assistant.core.calendars import local_zone
        from assistant.ui.calendar_jobs import CalendarCalls, ToolCallJob

        if self.tool_calls is None:
            self.tool_calls = CalendarCalls()
        zone = local_zone()
        job = ToolCallJob(calls, self.store.get_setting(settings.CHAT_CALENDAR), zone, datetime.now(zone))
        self.tool_job = self.tool_calls.run(job, self._on_tools_ran)
        self.speed_label.setText("Reading the calendar…")
        self._update_controls()

    def _on_tools_ran(self, job: ToolCallJob, outcomes: list | None, error: str) -> None:
        """The calendar answered: read results go back to the model, proposals become cards."""
        from assistant.ui.event_card import EventCard

        if not self.tool_calls.finished(job) or job is not self.tool_job:  # stopped, or the window closed
            return
        self.tool_job = None
        self.speed_label.setText("")
        if error:
            for done in self.tool_turn.failed(job.calls, error):
                self._add_tool_result(done)
            self._start_reply()
            return
        for outcome in outcomes:
            done = self.tool_turn.take_outcome(outcome)
            if done is not None:
                self._add_tool_result(done)
                continue
            call = outcome.call
            card = EventCard(outcome.draft)
            card.decided.connect(lambda draft, _written, message, call=call: self._on_card_decided(call, draft, message))
            self.pending_cards[call.id] = card
            self.chat_view.add_widget(card)
        self._update_controls()
        if self.tool_turn.ready_for_reply:
            self._start_reply()

    def _on_card_decided(self, call: ToolCall, saved: EventDraft | TaskDraft | None, message: str) -> None:
        self.pending_cards.pop(call.id, None)
        self._add_tool_result(self.tool_turn.decide(call.id, saved))
        self._update_controls()
        if self.tool_turn.ready_for_reply and self.conversation_id is not None:
            self._start_reply()

    def _add_tool_result(self, done: ToolResult) -> None:
        if self.conversation_id is None:
            return
        from assistant.core.chat.display import describe_tool_result

        content = json.dumps(done.result, ensure_ascii=False, default=str)
        self.store.add_message(self.conversation_id, "tool", content)
        self.chat_view.add_message("tool", content, display=describe_tool_result(content))

    def _notice(self, text: str) -> None:
        if self.conversation_id is not None:
            self.store.add_message(self.conversation_id, "notice", text)
            self.chat_view.add_message("notice", text)

    def _on_failed(self, request_id: int, message: str) -> None:
        if self.request is None or request_id != self.request.id:
            return
        self._end_reply(PARTIAL, None)
        self.speed_label.setText("")
        self._notice(message)

    def _end_reply(self, status: str, stats: GenerationStats | None) -> None:
        if self.reply_message is not None:
            if self.reply_text or status == COMPLETE:
                self.store.update_message(
                    self.reply_message.id,
                    content=self.reply_text,
                    status=status,
                    stats=stats.as_dict() if stats else None,
                )
                if self.reply_bubble is not None:
                    self.reply_bubble.set_text(self.reply_text, status)
            else:  # nothing was written: leave no empty reply behind
                self.store.delete_message(self.reply_message.id)
                self.chat_view.remove_bubble(self.reply_bubble)
        self.request = None
        self.reply_message = None
        self.reply_bubble = None
        self._update_controls()

    def add_page(self, title: str, factory: Callable[[], QWidget]) -> None:
        """Add a page beside the chat; it is built the first time it is shown or asked for."""
        placeholder = QWidget()
        self._page_factories[title] = (factory, placeholder)
        self.tabs.addTab(placeholder, title)

    def page(self, title: str) -> QWidget:
        """The page called ``title``, built now if it was not yet."""
        if title not in self._pages:
            factory, placeholder = self._page_factories[title]
            widget = factory()
            self._pages[title] = widget
            index = self.tabs.indexOf(placeholder)
            current = self.tabs.currentIndex()
            self.tabs.blockSignals(True)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, widget, title)
            self.tabs.setCurrentIndex(current)
            self.tabs.blockSignals(False)
            placeholder.deleteLater()
        return self._pages[title]

    def _on_tab_changed(self, index: int) -> None:
        title = self.tabs.tabText(index)
        if title in self._page_factories:
            self.page(title)
            self.tabs.setCurrentIndex(index)

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
        """Stop any reply, save what it wrote, then end the worker thread before closing."""
        if self.request is not None:
            self.request.stop()
        if self.tool_calls is not None:  # answers still to come are dropped
            self.tool_calls.wait_all()
            self.tool_job = None
        for card in self.pending_cards.values():
            card.shutdown()
        for page in self._pages.values():
            shutdown = getattr(page, "shutdown", None)
            if shutdown is not None:
                shutdown()
        calendar_jobs = sys.modules.get("assistant.ui.calendar_jobs")  # imported once calendar work ran
        if calendar_jobs is not None:
            calendar_jobs.wait_for_all()  # calls whose owner is gone, e.g. a decided card (at most the server's timeout)
        self.bridge.shutdown()
        if self.remote_bridge is not None:
            self.remote_bridge.shutdown()
        if self.reply_message is not None:
            self.store.update_message(self.reply_message.id, content=self.reply_text, status=PARTIAL)
        event.accept()


def _display(role: str, content: str) -> str | None:
    """What a stored message shows instead of its raw text (tool calls and results)."""
    if role == "user" or role == "notice" or (role == "assistant" and not any(name in content for name in TOOL_NAMES)):
        return None  # cheap check first: the calendar stack loads only for real tool messages
    from assistant.core.chat.display import describe_tool_calls, describe_tool_result

    if role == "tool":
        return describe_tool_result(content)
    if role == "assistant":
        return describe_tool_calls(content)
    return None


def _title_from(text: str, limit: int = 48) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
