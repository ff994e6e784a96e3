"""The Meetings page: transcripts in, structured notes out, saved with the meeting.

The page holds the open meeting and puts its parts together: the list of meetings
(:mod:`~assistant.ui.meeting_list`), the template and language bar
(:mod:`~assistant.ui.meeting_options`), the recorder, the notes and their editor
(:mod:`~assistant.ui.meeting_notes_editor`), the model work that writes them
(:mod:`~assistant.ui.meeting_notes_writer`: a summary, or live notes while text
arrives), the follow-up buttons (:mod:`~assistant.ui.meeting_proposals`) and the
questions panel (:mod:`~assistant.ui.meeting_ask`). Two mixins hold the page's methods for
bringing a transcript in (:mod:`~assistant.ui.meeting_sources`: recording, audio import,
transcript files), for the meeting's options, edited notes and calendar event
(:mod:`~assistant.ui.meeting_extras`) and for renaming its speakers
(:mod:`~assistant.ui.meeting_speakers`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from assistant.core.calendars import local_zone
from assistant.core.meetings import MeetingContext, SummaryProgress, SummaryResult
from assistant.core.meetings.linking import LinkedEvent
from assistant.core.meetings.live import LiveFeed, live_notes_of
from assistant.core.meetings.notes import UNLIMITED, ActionItem, MeetingNotes, ProposedEvent, notes_to_markdown
from assistant.core.meetings.templates import shown_notes
from assistant.core.meetings.transcript import long_transcript_notice
from assistant.core.store import Meeting, Store
from assistant.ui.calendar_jobs import CalendarCalls
from assistant.ui.chat.requests import ModelRequest
from assistant.ui.event_card import EventDialog
from assistant.ui.meeting_ask import MeetingAskPanel
from assistant.ui.meeting_extras import MeetingExtras
from assistant.ui.meeting_list import MeetingList
from assistant.ui.meeting_notes_editor import NotesEditor
from assistant.ui.meeting_notes_writer import NotesWriter
from assistant.ui.meeting_options import MeetingOptionsBar
from assistant.ui.meeting_proposals import ProposalButtons
from assistant.ui.meeting_sources import MeetingSources
from assistant.ui.meeting_speakers import MeetingSpeakers
from assistant.ui.worker import ModelBridge


class MeetingsPage(MeetingSources, MeetingExtras, MeetingSpeakers, QWidget):
    """List of meetings; transcript editor; notes view; summarize, live mode, export."""

    notesChanged = Signal()

    def __init__(self, store: Store, bridge: ModelBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.bridge = store, bridge
        self.meeting_id: int | None = None
        self.result: SummaryResult | None = None
        self.notes: MeetingNotes | None = None
        self.linked_event: LinkedEvent | None = None
        self.calendar_calls = CalendarCalls()
        self.writer = NotesWriter(bridge, self)
        self.writer.progressed.connect(self._on_progress)
        self.writer.answered.connect(self._on_finished)
        self.writer.failed.connect(self._on_failed)
        self.writer.liveEnded.connect(lambda: self.status.setText("Meeting ended: finishing the notes…"))
        self._build()
        bridge.worker.loaded.connect(lambda _info: self._update_controls())
        self.reload_list()

    @property
    def request(self) -> ModelRequest | None:
        """The model work on this meeting's notes, while it runs."""
        return self.writer.request

    @property
    def live_feed(self) -> LiveFeed | None:
        return self.writer.live_feed

    # -- layout ---------------------------------------------------------------
    def _build(self) -> None:
        splitter = QSplitter()
        self.meeting_column = MeetingList(self.store)
        self.meeting_column.picked.connect(self._on_meeting_clicked)
        self.meeting_column.newRequested.connect(self._new_clicked)
        self.meeting_column.deleteRequested.connect(self.delete_meeting)
        self.meeting_column.renamed.connect(self._renamed)
        self.meeting_list = self.meeting_column.list  # one row per meeting
        splitter.addWidget(self.meeting_column)

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
        self.rename_button = QPushButton("Rename speaker…")
        self.rename_button.setToolTip("Give a speaker of this meeting (You, Others, …) a name; the notes' owners follow")
        self.rename_button.clicked.connect(self._rename_speaker_clicked)
        tools.addWidget(self.rename_button)
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
        self.proposals = ProposalButtons(self.store)
        notes_layout.addWidget(self.proposals)
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

    def _update_controls(self) -> None:
        self.ask_panel.set_enabled(self.request is None)
        busy = self.request is not None or self.ask_panel.busy
        self.summarize_button.setEnabled(not busy and self.bridge.engine.loaded)
        self.summarize_button.setToolTip("" if self.bridge.engine.loaded else "Load a model first")
        self.cancel_button.setEnabled(busy)
        self.open_button.setEnabled(not busy)
        self.rename_button.setEnabled(not busy)
        self.meeting_column.set_busy(busy)
        has_notes = bool(self.markdown())
        self.copy_button.setEnabled(has_notes)
        self.export_button.setEnabled(has_notes)

    # -- meetings -------------------------------------------------------------
    def reload_list(self) -> None:
        self.meeting_column.reload(self.meeting_id)

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
                self.notes = MeetingNotes.from_dict(saved["notes"], UNLIMITED)  # as stored: nothing clipped
            except ValueError:
                self.notes = None
        self.linked_event = LinkedEvent.from_dict(saved.get("event") or {})
        options = saved.get("options") or {}
        self.options.set_template(str(options.get("template") or "general"), quiet=True)
        self.options.set_language(str(options.get("language") or "auto"), quiet=True)
        self._markdown = saved.get("markdown", "")  # as written (with the template of the time) or as edited
        self.notes_editor.set_markdown(self._markdown, edited=bool(saved.get("edited")))
        self.proposals.show_notes(self.notes)

    def _on_meeting_clicked(self, meeting_id: int) -> None:
        self._save_transcript()
        self.open_meeting(meeting_id)

    def _renamed(self, meeting_id: int, title: str) -> None:
        if meeting_id == self.meeting_id:
            self.title_edit.setText(title)
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
            self.linked_event = None
            self.proposals.show_notes(self.notes)
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
        self.progress.setRange(0, 0)
        self.status.setText("Reading the transcript…")
        self.writer.summarize(text, self._context())
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
        context = self._context()
        self.progress.setRange(0, 0)
        self.status.setText("Live: notes update as the meeting goes on.")
        feed = self.writer.start_live(context, feed=feed, pasted=pasted)
        self._update_controls()
        return feed

    def feed_live(self, text: str) -> None:
        """Text from the recorder (or a test) for the running live session."""
        self.writer.feed(text)

    def end_live(self) -> None:
        """The meeting ended: only the tail is left to process."""
        self.writer.end_live()

    def cancel(self) -> None:
        job = getattr(self, "transcribe_job", None)
        if job is not None:
            job.stop()
        self.writer.stop()

    def _on_progress(self, update: object) -> None:
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

    def _on_finished(self, result: object) -> None:
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
            self.proposals.show_notes(self.notes)
            self.notesChanged.emit()
        self._update_controls()

    def _on_failed(self, message: str) -> None:
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

    def propose_event(self, event: ProposedEvent) -> EventDialog:
        """Open the confirmation dialog for a proposed follow-up; nothing is written without its click."""
        return self.proposals.propose_event(event)

    def propose_task(self, item: ActionItem) -> EventDialog:
        return self.proposals.propose_task(item)
