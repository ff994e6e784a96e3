"""The Meetings page: transcripts in, structured notes out, saved with the meeting.

Summaries run on the model worker as tasks (progress per chunk, cancel with the
request's stop event). Live mode keeps notes current while text arrives: from the
recorder, or from pasted text fed in steps ("Simulate live").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core import settings
from assistant.core.calendars import EventDraft, TaskDraft, local_zone
from assistant.core.meetings import MeetingContext, Summarizer, SummaryProgress, SummaryResult
from assistant.core.meetings.linking import LinkedEvent
from assistant.core.meetings.live import LiveFeed, live_notes_of, run_live_session
from assistant.core.meetings.notes import MeetingNotes, notes_to_markdown
from assistant.core.meetings.templates import shown_notes
from assistant.core.meetings.transcript import TranscriptError, load_transcript, long_transcript_notice
from assistant.core.store import Meeting, Store
from assistant.ui.calendar_jobs import CalendarCalls
from assistant.ui.event_card import EventDialog
from assistant.ui.meeting_ask import MeetingAskPanel
from assistant.ui.meeting_extras import MeetingExtras
from assistant.ui.meeting_notes_editor import NotesEditor
from assistant.ui.meeting_options import MeetingOptionsBar
from assistant.ui.worker import ModelBridge, Request

AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".mp4", ".webm", ".ogg", ".flac", ".mkv", ".mov"}
LIVE_STEP_WORDS = 60  # "Simulate live": words fed per step
LIVE_STEP_MS = 1000


class MeetingsPage(MeetingExtras, QWidget):
    """List of meetings; transcript editor; notes view; summarize, live mode, export."""

    notesChanged = Signal()

    def __init__(self, store: Store, bridge: ModelBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.bridge = store, bridge
        self.meeting_id: int | None = None
        self.request: Request | None = None
        self.result: SummaryResult | None = None
        self.notes: MeetingNotes | None = None
        self.live_feed: LiveFeed | None = None
        self._live_words: list[str] = []
        self._live_timer = QTimer(self)
        self._live_timer.timeout.connect(self._feed_next_step)
        self.last_dialog: EventDialog | None = None
        self.linked_event: LinkedEvent | None = None
        self.calendar_calls = CalendarCalls()
        self._build()
        bridge.worker.taskProgress.connect(self._on_progress)
        bridge.worker.taskFinished.connect(self._on_finished)
        bridge.worker.failed.connect(self._on_failed)
        bridge.worker.loaded.connect(lambda _info: self._update_controls())
        self.reload_list()

    # -- layout ---------------------------------------------------------------
    def _build(self) -> None:
        splitter = QSplitter()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search meetings")
        self.search.textChanged.connect(lambda _text: self.reload_list())
        side_layout.addWidget(self.search)
        self.meeting_list = QListWidget()
        self.meeting_list.currentItemChanged.connect(self._on_meeting_clicked)
        self.meeting_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.meeting_list.customContextMenuRequested.connect(self._meeting_menu)
        side_layout.addWidget(self.meeting_list, 1)
        self.new_button = QPushButton("New meeting")
        self.new_button.clicked.connect(self._new_clicked)
        side_layout.addWidget(self.new_button)
        splitter.addWidget(side)

        main = QWidget()
        column = QVBoxLayout(main)
        header = QHBoxLayout()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Meeting title")
        self.title_edit.editingFinished.connect(self._title_edited)
        header.addWidget(self.title_edit, 1)
        header.addWidget(QLabel("Held"))
        self.date_edit = QDateTimeEdit(QDateTime.currentDateTime())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy HH:mm")
        header.addWidget(self.date_edit)
        column.addLayout(header)
        self.options = MeetingOptionsBar()
        self.options.changed.connect(self._options_changed)
        column.addWidget(self.options)

        tools = QHBoxLayout()
        self.open_button = QPushButton("Open transcript or recording…")
        self.open_button.clicked.connect(self._open_clicked)
        tools.addWidget(self.open_button)
        self.summarize_button = QPushButton("Summarize")
        self.summarize_button.clicked.connect(self._summarize_clicked)
        tools.addWidget(self.summarize_button)
        self.live_box = QCheckBox("Simulate live")
        self.live_box.setToolTip("Developer option: feed the pasted text in steps, as a live meeting would")
        tools.addWidget(self.live_box)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        tools.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        tools.addWidget(self.progress, 1)
        column.addLayout(tools)

        panes = QSplitter()
        self.transcript_edit = QPlainTextEdit()
        self.transcript_edit.setPlaceholderText("Paste a transcript or discussion here, or open a .txt, .md, .vtt or .srt file.")
        panes.addWidget(self.transcript_edit)
        notes_side = QWidget()
        notes_layout = QVBoxLayout(notes_side)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        self.notes_view = QTextBrowser()
        self.notes_view.setOpenExternalLinks(True)
        self.notes_editor = NotesEditor(self.notes_view, self.markdown)
        self.notes_editor.saved.connect(self._notes_saved)
        self.notes_editor.editingChanged.connect(self._editing_changed)
        notes_layout.addWidget(self.notes_editor, 1)
        self.proposals = QVBoxLayout()
        notes_layout.addLayout(self.proposals)
        export = QHBoxLayout()
        self.copy_button = QPushButton("Copy as Markdown")
        self.copy_button.clicked.connect(self.copy_markdown)
        export.addWidget(self.copy_button)
        self.export_button = QPushButton("Export .md…")
        self.export_button.clicked.connect(self._export_clicked)
        export.addWidget(self.export_button)
        export.addStretch(1)
        notes_layout.addLayout(export)
        self.ask_panel = MeetingAskPanel(self.bridge, self._ask_source)
        self.ask_panel.jumpRequested.connect(self.jump_to)
        self.ask_panel.busyChanged.connect(lambda _busy: self._update_controls())
        notes_layout.addWidget(self.ask_panel)
        panes.addWidget(notes_side)
        column.addWidget(panes, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.linkActivated.connect(self._status_link)
        column.addWidget(self.status)
        splitter.addWidget(main)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.recorder_slot = QVBoxLayout()
        column.insertLayout(3, self.recorder_slot)
        self.recorder = self._make_recorder()
        self._update_controls()

    def _make_recorder(self) -> QWidget:
        from assistant.ui.recorder import RecorderPanel

        panel = RecorderPanel(stt_model=self.speech_for_meeting()[0])
        panel.recordingStarted.connect(self._on_recording_started)
        panel.transcriptSpan.connect(self._on_span)
        panel.finished.connect(self._on_recording_finished)
        panel.errorOccurred.connect(lambda message: self.status.setText(f"<span style='color:#c5221f'>{message}</span>"))
        self.recorder_slot.addWidget(panel)
        return panel

    def _update_controls(self) -> None:
        self.ask_panel.set_enabled(self.request is None)
        busy = self.request is not None or self.ask_panel.busy
        self.summarize_button.setEnabled(not busy and self.bridge.engine.loaded)
        self.summarize_button.setToolTip("" if self.bridge.engine.loaded else "Load a model first")
        self.cancel_button.setEnabled(busy)
        self.open_button.setEnabled(not busy)
        self.meeting_list.setEnabled(not busy)
        self.new_button.setEnabled(not busy)
        has_notes = bool(self.markdown())
        self.copy_button.setEnabled(has_notes)
        self.export_button.setEnabled(has_notes)

    # -- meetings -------------------------------------------------------------
    def reload_list(self) -> None:
        self.meeting_list.blockSignals(True)
        self.meeting_list.clear()
        for meeting in self.store.list_meetings(self.search.text().strip()):
            item = QListWidgetItem(meeting.title)
            item.setData(Qt.ItemDataRole.UserRole, meeting.id)
            self.meeting_list.addItem(item)
            if meeting.id == self.meeting_id:
                self.meeting_list.setCurrentItem(item)
        self.meeting_list.blockSignals(False)

    def _new_clicked(self) -> None:
        self.new_meeting()

    def new_meeting(self, title: str = "New meeting", transcript: str = "") -> int:
        meeting = self.store.add_meeting(title, transcript, datetime.now(local_zone()).isoformat(timespec="minutes"))
        self.open_meeting(meeting.id)
        return meeting.id

    def open_meeting(self, meeting_id: int) -> None:
        if self.notes_editor.editing:  # like the transcript, an edit in progress is saved on leaving
            self.notes_editor.save()
        meeting = self.store.get_meeting(meeting_id)
        if meeting is None:
            return
        self.meeting_id = meeting.id
        self.ask_panel.reset()
        self.title_edit.setText(meeting.title)
        self.transcript_edit.setPlainText(meeting.transcript)
        if meeting.meeting_date:
            self.date_edit.setDateTime(QDateTime.fromString(meeting.meeting_date[:16], "yyyy-MM-ddTHH:mm"))
        self._show_saved_notes(meeting)
        self.reload_list()
        self._update_controls()

    def _show_saved_notes(self, meeting: Meeting) -> None:
        saved = meeting.notes or {}
        self.notes = None
        if saved.get("notes"):
            try:
                self.notes = MeetingNotes.from_dict(saved["notes"])
            except ValueError:
                self.notes = None
        self.linked_event = LinkedEvent.from_dict(saved.get("event") or {})
        options = saved.get("options") or {}
        self.options.set_template(str(options.get("template") or "general"), quiet=True)
        self.options.set_language(str(options.get("language") or "auto"), quiet=True)
        self._markdown = saved.get("markdown", "")  # as written (with the template of the time) or as edited
        self.notes_editor.set_markdown(self._markdown, edited=bool(saved.get("edited")))
        self._show_proposals()

    def _on_meeting_clicked(self, item: QListWidgetItem | None, _previous) -> None:
        if item is not None:
            self._save_transcript()
            self.open_meeting(int(item.data(Qt.ItemDataRole.UserRole)))

    def _meeting_menu(self, position) -> None:
        item = self.meeting_list.itemAt(position)
        if item is None:
            return
        meeting_id = int(item.data(Qt.ItemDataRole.UserRole))
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self._rename(meeting_id))
        menu.addAction("Delete", lambda: self.delete_meeting(meeting_id))
        menu.exec(self.meeting_list.mapToGlobal(position))

    def _rename(self, meeting_id: int) -> None:
        meeting = self.store.get_meeting(meeting_id)
        title, ok = QInputDialog.getText(self, "Rename meeting", "Title:", text=meeting.title if meeting else "")
        if ok and title.strip():
            self.store.update_meeting(meeting_id, title=title.strip())
            if meeting_id == self.meeting_id:
                self.title_edit.setText(title.strip())
            self.reload_list()

    def delete_meeting(self, meeting_id: int) -> None:
        self.store.delete_meeting(meeting_id)
        if meeting_id == self.meeting_id:
            self.meeting_id = None
            self.title_edit.clear()
            self.transcript_edit.clear()
            self.notes_view.clear()
            self._markdown = ""
            self.notes = None
            self._show_proposals()
        self.reload_list()

    def _title_edited(self) -> None:
        if self.meeting_id is not None and self.title_edit.text().strip():
            self.store.update_meeting(self.meeting_id, title=self.title_edit.text().strip())
            self.reload_list()

    def _save_transcript(self) -> None:
        if self.meeting_id is not None:
            self.store.update_meeting(self.meeting_id, transcript=self.transcript_edit.toPlainText())

    def _ensure_meeting(self) -> int:
        if self.meeting_id is None:
            title = self.title_edit.text().strip() or "Meeting " + datetime.now().strftime("%d %b %H:%M")
            meeting = self.store.add_meeting(title, self.transcript_edit.toPlainText(), self._meeting_time().isoformat(timespec="minutes"))
            self.meeting_id = meeting.id
            self.title_edit.setText(title)
            self.reload_list()
        else:
            self._save_transcript()
        return self.meeting_id

    # -- recording ------------------------------------------------------------
    def _on_recording_started(self, _folder: str) -> None:
        """A new meeting whose transcript and notes grow while people speak."""
        self.meeting_id = None
        self.title_edit.setText("Meeting " + datetime.now().strftime("%d %b %H:%M"))
        self.date_edit.setDateTime(QDateTime.currentDateTime())
        self.transcript_edit.clear()
        self.notes_view.clear()
        self._markdown, self.notes = "", None
        self.linked_event = None
        self._ensure_meeting()
        if self.bridge.engine.loaded and self.request is None:
            feed = self.live_feed = LiveFeed()  # text is kept from the start; the notes start once the calendars are read
            self.link_calendar_event(self._meeting_time(), then=lambda: self._start_recording_notes(feed))
        else:
            self.link_calendar_event(self._meeting_time())
            self.status.setText("Recording. Load a model to get notes while the meeting goes on.")

    def _start_recording_notes(self, feed: LiveFeed) -> None:
        """Live notes for the recording, with the linked event's attendees and template."""
        if self.live_feed is feed and self.request is None:
            linked = self.status.text() if self.linked_event is not None else ""
            self.start_live(feed=feed)
            if linked:
                self.status.setText(f"{linked} {self.status.text()}")

    def _on_span(self, text: str) -> None:
        self.transcript_edit.appendPlainText(text)
        self.feed_live(text + "\n")

    def _on_recording_finished(self, audio_path: str) -> None:
        self._save_transcript()
        self.end_live()
        self.status.setText(f"Recording saved to {audio_path}. " + self.status.text())

    def transcribe_audio(self, path: str) -> bool:
        """Import an audio or video file: transcribe on its own thread, then summarize.

        One transcription at a time: a second import while one runs is refused (stop the first)."""
        from assistant.ui.transcribe_job import TranscribeJob

        running = getattr(self, "transcribe_job", None)
        if running is not None:
            self.status.setText(f"Still transcribing {Path(running.path).name}: stop it first, then open {Path(path).name}.")
            return False
        self.meeting_id = None
        self.title_edit.setText(Path(path).stem.replace("_", " ").strip().capitalize())
        self.transcript_edit.clear()
        self.notes_view.clear()
        self._markdown, self.notes = "", None
        model, language = self.speech_for_meeting()
        job = TranscribeJob(path, model=model, language=language)
        job.progressed.connect(lambda update: self._on_transcribe_progress(*update))
        job.done.connect(lambda result, error: self._on_transcribe_done(job, result, error))
        self.transcribe_job = job
        self.cancel_button.setEnabled(True)
        job.start()
        return True

    def _on_transcribe_done(self, job, result: tuple[str, bool] | None, error: str) -> None:
        if job is not getattr(self, "transcribe_job", None):
            return  # the page was shut down meanwhile
        self.transcribe_job = None
        self._update_controls()
        if error:
            self.status.setText(f"<span style='color:#c5221f'>{error}</span>")
        else:
            self._on_transcribed(*result)

    def _on_transcribe_progress(self, done: float, total: float) -> None:
        self.progress.setRange(0, max(1, int(total)))
        self.progress.setValue(int(done))
        self.progress.setFormat(f"Transcribing: {int(done)} of {int(total)} s")

    def _on_transcribed(self, text: str, cancelled: bool) -> None:
        self.transcript_edit.setPlainText(text)
        self._ensure_meeting()
        self.status.setText("Transcription stopped; what was heard so far is kept." if cancelled else "Transcribed.")
        if text.strip() and not cancelled and self.bridge.engine.loaded:
            self.live_box.setChecked(False)
            self.summarize()

    def shutdown(self) -> None:
        """End the recorder's and the transcription's threads (before the app exits)."""
        self.cancel()
        job = getattr(self, "transcribe_job", None)
        if job is not None:
            job.wait()
            self.transcribe_job = None  # its late answer is not wanted
        if self.recorder is not None:
            self.recorder.shutdown()
        self.calendar_calls.wait_all()

    # -- files ----------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        if Path(path).suffix.lower() in AUDIO_SUFFIXES:
            return self.transcribe_audio(path)
        try:
            transcript = load_transcript(path)
        except TranscriptError as exc:
            self.status.setText(f"<span style='color:#c5221f'>{exc}</span>")
            return False
        self.meeting_id = None
        self.title_edit.setText(Path(path).stem.replace("_", " ").replace("-", " ").strip().capitalize())
        self.transcript_edit.setPlainText(transcript.render())
        self.notes_view.clear()
        self._markdown = ""
        self.notes = None
        self._ensure_meeting()
        speakers = ", ".join(transcript.speakers[:6])
        self.status.setText(
            f"{transcript.word_count:,} words"
            + (f", speakers: {speakers}" if speakers else "")
            + "".join(f". {warning}" for warning in transcript.warnings)
        )
        self._update_controls()
        return True

    def _open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open transcript or recording",
            "",
            "Transcripts and recordings (*.txt *.md *.vtt *.srt *.wav *.mp3 *.m4a *.mp4 *.webm *.ogg *.flac);;All files (*)",
        )
        if path:
            self.open_file(path)

    # -- summarizing ----------------------------------------------------------
    def _meeting_time(self) -> datetime:
        zone = local_zone()
        moment = self.date_edit.dateTime().toPython()
        return moment.replace(tzinfo=zone)

    def _context(self) -> MeetingContext:
        zone = local_zone()
        instructions = self.options.template().instructions
        names = tuple(self.linked_event.attendees) if self.linked_event else ()
        return MeetingContext.create(self._meeting_time(), zone, self.options.language(), instructions, names)

    def summarize(self) -> bool:
        """Summarize the transcript in one go (or live, with "Simulate live")."""
        text = self.transcript_edit.toPlainText()
        if self.request is not None or not text.strip():
            if not text.strip():
                self.status.setText("There is no text to summarize. Paste or open a transcript first.")
            return False
        if self._payload().get("edited"):
            if not self.ask_replace_edited():
                self.status.setText("Kept your edited notes; nothing was started.")
                return False
            self._save_payload(edited=False)
        notice = long_transcript_notice(len(text.split()))
        if notice and not self.ask_long(notice):
            self.status.setText("Not started: the transcript is long. Shorten it or start again to go ahead.")
            return False
        self._ensure_meeting()
        if self.live_box.isChecked():
            self.start_live(text)
            return True
        context = self._context()

        def task(engine, stop, progress):
            return Summarizer(engine, context).summarize(text, progress=progress, stop=stop)

        self.progress.setRange(0, 0)
        self.status.setText("Reading the transcript…")
        self.request = self.bridge.run_task(task)
        self._update_controls()
        return True

    def ask_long(self, notice: str) -> bool:
        """Before a long summary starts: the user sees the estimate and chooses (tests replace this)."""
        answer = QMessageBox.question(
            self,
            "Long transcript",
            f"{notice}\n\nStart summarizing now?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _summarize_clicked(self) -> None:
        self.summarize()

    def start_live(self, pasted: str | None = None, feed: LiveFeed | None = None) -> LiveFeed:
        """Start a live session; ``pasted`` text is fed in steps (else the recorder feeds ``feed`` or a new one)."""
        self._ensure_meeting()
        feed = feed or LiveFeed()
        self.live_feed = feed
        context = self._context()

        def task(engine, stop, progress):
            return run_live_session(engine, stop, progress, feed, context)

        self.progress.setRange(0, 0)
        self.status.setText("Live: notes update as the meeting goes on.")
        self.request = self.bridge.run_task(task)
        if pasted is not None:
            self._live_words = pasted.split(" ")
            self._live_timer.start(LIVE_STEP_MS)
        self._update_controls()
        return feed

    def feed_live(self, text: str) -> None:
        """Text from the recorder (or a test) for the running live session."""
        if self.live_feed is not None:
            self.live_feed.put(text)

    def end_live(self) -> None:
        """The meeting ended: only the tail is left to process."""
        self._live_timer.stop()
        if self.live_feed is not None:
            if self._live_words:
                self.live_feed.put(" ".join(self._live_words))
                self._live_words = []
            self.live_feed.close()
            self.status.setText("Meeting ended: finishing the notes…")

    def _feed_next_step(self) -> None:
        if self.live_feed is None:
            self._live_timer.stop()
            return
        step, self._live_words = self._live_words[:LIVE_STEP_WORDS], self._live_words[LIVE_STEP_WORDS:]
        self.live_feed.put(" ".join(step) + " ")
        if not self._live_words:
            self.end_live()

    def cancel(self) -> None:
        job = getattr(self, "transcribe_job", None)
        if job is not None:
            job.stop()
        self._live_timer.stop()
        if self.request is not None:
            self.request.stop()
        if self.live_feed is not None:
            self.live_feed.close()

    def _on_progress(self, request_id: int, update: object) -> None:
        if self.request is None or request_id != self.request.id:
            return
        if isinstance(update, SummaryProgress):
            self.progress.setRange(0, max(update.total, 1))
            self.progress.setValue(update.done)
            self.progress.setFormat(update.message)
        notes = live_notes_of(update)
        if notes is not None and not notes.is_empty:
            self.notes = notes
            if not self._payload().get("edited"):  # notes the user edited meanwhile stay as they are
                self._markdown = notes_to_markdown(shown_notes(notes, self.options.template().sections))
                self.notes_editor.set_markdown(self._markdown)

    def _on_finished(self, request_id: int, result: object) -> None:
        if self.request is None or request_id != self.request.id:
            return
        self.request = None
        self.live_feed = None
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat("done")
        if isinstance(result, SummaryResult):
            self.result = result
            self.notes = result.notes if result.structured else None
            kept = bool(self._payload().get("edited"))  # edited while the notes were being written
            if not kept:
                self._markdown = replace(result, notes=shown_notes(result.notes, self.options.template().sections)).to_markdown()
                self.notes_editor.set_markdown(self._markdown)
            status = f"Notes ready in {result.seconds:.1f} s ({result.model_calls} model calls)."
            if result.cancelled:
                status = "Stopped: the notes cover only what was read so far."
            if kept:
                status += " Your edited notes are kept; summarize again to replace them."
            self.status.setText(" ".join([status, *result.notices]))
            if self.meeting_id is not None:
                self._save_payload(notes=result.notes.to_dict(), markdown=self._markdown, notices=result.notices, edited=kept)
                if result.notes.title and self.title_edit.text().startswith(("New meeting", "Meeting ")):
                    self.store.update_meeting(self.meeting_id, title=result.notes.title)
                    self.title_edit.setText(result.notes.title)
                self.reload_list()
            self._show_proposals()
            self.notesChanged.emit()
        self._update_controls()

    def _on_failed(self, request_id: int, message: str) -> None:
        if self.request is None or request_id != self.request.id:
            return
        self.request = None
        self.live_feed = None
        self._live_timer.stop()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText(f"<span style='color:#c5221f'>{message}</span>")
        self._update_controls()

    # -- notes out ------------------------------------------------------------
    def markdown(self) -> str:
        return getattr(self, "_markdown", "")

    def copy_markdown(self) -> None:
        QGuiApplication.clipboard().setText(self.markdown())

    def export_markdown(self, path: str) -> Path:
        target = Path(path)
        if target.suffix.lower() != ".md":
            target = target.with_suffix(".md")
        title = self.title_edit.text().strip()
        body = self.markdown()
        text = body if body.lstrip().startswith("#") else f"# {title}\n\n{body}"
        target.write_text(text, encoding="utf-8")
        return target

    def _export_clicked(self) -> None:
        suggested = (self.title_edit.text().strip() or "meeting-notes").replace("/", "-") + ".md"
        path, _ = QFileDialog.getSaveFileName(self, "Export notes", str(Path.home() / suggested), "Markdown (*.md)")
        if path:
            self.status.setText(f"Saved {self.export_markdown(path)}")

    def _show_proposals(self) -> None:
        while self.proposals.count():
            widget = self.proposals.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        if self.notes is None:
            return
        for event in self.notes.proposed_events:
            button = QToolButton()
            button.setText(f"Add “{event.title}” to calendar…")
            button.clicked.connect(lambda _checked=False, e=event: self.propose_event(e))
            self.proposals.addWidget(button)
        for item in self.notes.action_items:
            button = QToolButton()
            owner = f" ({item.owner})" if item.owner else ""
            button.setText(f"Add task “{item.task}”{owner}…")
            button.clicked.connect(lambda _checked=False, i=item: self.propose_task(i))
            self.proposals.addWidget(button)

    def propose_event(self, event) -> EventDialog:
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

    def propose_task(self, item) -> EventDialog:
        zone = local_zone()
        title = f"{item.task} ({item.owner})" if item.owner else item.task
        calendar = self.store.get_setting(settings.CHAT_CALENDAR)
        draft = TaskDraft.from_arguments({"title": title, "due": item.due or ""}, now=datetime.now(zone), zone=zone.key, calendar=calendar)
        return self._open_dialog(draft)

    def _open_dialog(self, draft) -> EventDialog:
        dialog = EventDialog(draft, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        self.last_dialog = dialog
        return dialog

