"""Where a meeting's transcript comes from: the recorder, an imported audio or video file, or a transcript file.

:class:`MeetingSources` is mixed into :class:`assistant.ui.meetings_page.MeetingsPage`. A
recording starts a new meeting whose transcript and live notes grow while people speak (once
the calendars were read for the event it belongs to); an audio import is transcribed on its own
thread (one at a time) and then summarized; a transcript file is read at once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QFileDialog, QWidget

from assistant.core.meetings.live import LiveFeed
from assistant.core.meetings.transcript import TranscriptError, load_transcript

AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".mp4", ".webm", ".ogg", ".flac", ".mkv", ".mov"}


class MeetingSources:
    """Methods of the Meetings page that bring a transcript in."""

    def _clear_for_new(self, title: str) -> None:
        """Empty the page for a meeting that is not stored yet (``_ensure_meeting`` stores it); it is linked to no event."""
        self.meeting_id = None
        self.title_edit.setText(title)
        self.transcript_edit.clear()
        self.notes_view.clear()
        self._markdown, self.notes = "", None
        self.linked_event = None

    def _make_recorder(self) -> QWidget:
        from assistant.ui.recorder import RecorderPanel

        model, language = self.speech_for_meeting()
        panel = RecorderPanel(stt_model=model)
        panel.language = language
        panel.recordingStarted.connect(self._on_recording_started)
        panel.transcriptSpan.connect(self._on_span)
        panel.finished.connect(self._on_recording_finished)
        panel.errorOccurred.connect(lambda message: self.status.setText(f"<span style='color:#c5221f'>{message}</span>"))
        self.recorder_slot.addWidget(panel)
        return panel

    # -- recording ------------------------------------------------------------
    def _on_recording_started(self, _folder: str) -> None:
        """A new meeting whose transcript and notes grow while people speak."""
        self._clear_for_new("Meeting " + datetime.now().strftime("%d %b %H:%M"))
        self.date_edit.setDateTime(QDateTime.currentDateTime())
        self._ensure_meeting()
        if self.bridge.engine.loaded and self.request is None:
            feed = self.writer.live_feed = LiveFeed()  # text is kept from the start; the notes start once the calendars are read
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
        self._clear_for_new(Path(path).stem.replace("_", " ").strip().capitalize())
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

    # -- files ----------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        if Path(path).suffix.lower() in AUDIO_SUFFIXES:
            return self.transcribe_audio(path)
        try:
            transcript = load_transcript(path)
        except TranscriptError as exc:
            self.status.setText(f"<span style='color:#c5221f'>{exc}</span>")
            return False
        self._clear_for_new(Path(path).stem.replace("_", " ").replace("-", " ").strip().capitalize())
        self.transcript_edit.setPlainText(transcript.render())
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
