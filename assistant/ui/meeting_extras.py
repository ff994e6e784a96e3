"""The Meetings page's template and language choice, edited notes and questions, kept apart from its core flow.

:class:`MeetingExtras` is mixed into :class:`assistant.ui.meetings_page.MeetingsPage`; it stores
the meeting's options and edited notes in the meeting's notes record (``options``, ``edited``,
``markdown``) and moves the transcript to a cited time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QMessageBox

from assistant.core import settings
from assistant.core.dates import local_zone
from assistant.core.meetings.language import speech_model_for
from assistant.core.meetings.linking import LinkedEvent, find_linked_event
from assistant.core.meetings.summarizer import SummaryResult
from assistant.core.meetings.templates import TemplateError, remember_for_event, shown_notes, template_for_event
from assistant.core.meetings.transcript import format_timestamp


class MeetingExtras:
    """Methods of the Meetings page for options, edited notes and "Ask about this meeting"."""

    def ask_replace_edited(self) -> bool:
        """Before new notes replace notes the user edited (tests replace this)."""
        answer = QMessageBox.question(
            self,
            "Replace your edited notes?",
            "You edited these notes. Summarizing again replaces your edits with new notes from the model.\n\nReplace them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _payload(self) -> dict[str, Any]:
        meeting = self.store.get_meeting(self.meeting_id) if self.meeting_id is not None else None
        return dict(meeting.notes or {}) if meeting is not None else {}

    def _save_payload(self, **changes: Any) -> None:
        """Store changed parts of the meeting's notes record, keeping the rest (and the options)."""
        if self.meeting_id is None:
            return
        payload = self._payload()
        payload.update(changes)
        payload["options"] = {"template": self.options.template_name(), "language": self.options.language()}
        self.store.update_meeting(self.meeting_id, notes=payload)

    def speech_for_meeting(self) -> tuple[str | None, str | None]:
        """The speech model and spoken language (None: detected) for this meeting's language choice.

        A language other than English needs a multilingual model; without one the status line
        links to the Models page and the English-capable default is kept.
        """
        language = self.options.language()
        preferred = self.store.get_setting(settings.SPEECH_MODEL) or None
        model, problem = speech_model_for(language, preferred)
        if problem:
            self.status.setText(f"{problem} <a href='models:multilingual'>Open the Models page</a>")
            return preferred, None
        return model, None if language == "auto" else language

    def _status_link(self, link: str) -> None:
        if link == "models:multilingual":
            window = self.window()
            tabs = getattr(window, "tabs", None)
            page = getattr(window, "models_page", None)  # built on first use
            if tabs is not None and page is not None:
                tabs.setCurrentWidget(page)
                want = getattr(page, "want_multilingual", None)
                if want is not None:
                    want()

    def link_calendar_event(self, moment: datetime, then: Callable[[], None] | None = None) -> None:
        """Look (on a calendar thread) for the event the meeting starting at ``moment`` belongs to; then call ``then``."""
        meeting_id = self.meeting_id

        def done(call: Any, result: Any, error: str) -> None:
            if not self.calendar_calls.finished(call):
                return
            event, problems = result if result is not None else (None, [error])
            if event is not None and meeting_id is not None:
                self._apply_linked_event(meeting_id, event)
            elif problems:
                self.status.setText("Calendars could not all be read: " + "; ".join(p for p in problems if p))
            if then is not None:
                then()

        self.calendar_calls.start(lambda: find_linked_event(moment, local_zone()), done)

    def _apply_linked_event(self, meeting_id: int, event: LinkedEvent) -> None:
        """The meeting takes the event's title and attendees, and the template remembered for that title."""
        self.store.update_meeting(meeting_id, title=event.title)
        if meeting_id != self.meeting_id:  # another meeting was opened meanwhile: only stored
            meeting = self.store.get_meeting(meeting_id)
            payload = dict((meeting.notes if meeting else None) or {})
            self.store.update_meeting(meeting_id, notes={**payload, "event": event.to_dict()})
            return
        self.linked_event = event
        self.title_edit.setText(event.title)
        remembered = template_for_event(event.title)
        if remembered:
            self.options.set_template(remembered, quiet=True)
        self._save_payload(event=event.to_dict())
        people = f" with {', '.join(event.attendees)}" if event.attendees else ""
        self.status.setText(f"Linked to the calendar event “{event.title}”{people}.")
        self.reload_list()

    def _options_changed(self) -> None:
        """A template or language was picked: kept with the meeting; the sections shown follow the template."""
        self._save_payload()
        if self.linked_event is not None:
            try:
                remember_for_event(self.linked_event.title, self.options.template_name())
            except TemplateError as exc:
                self.status.setText(f"<span style='color:#c5221f'>{exc}</span>")
        if self.recorder is not None:
            self.recorder.stt_model, self.recorder.language = self.speech_for_meeting()  # the next recording hears this language
        payload = self._payload()
        if self.notes is not None and not payload.get("edited") and self.request is None:
            shown = shown_notes(self.notes, self.options.template().sections)
            notices = [str(n) for n in payload.get("notices") or []]
            self._markdown = SummaryResult(shown, self.options.language(), notices=notices).to_markdown()
            self.notes_editor.set_markdown(self._markdown)
            if self.meeting_id is not None:
                self._save_payload(markdown=self._markdown)
            self._update_controls()

    def _editing_changed(self, editing: bool) -> None:
        if editing:
            self._editing_meeting = self.meeting_id  # an edit is saved to the meeting it was started on

    def _notes_saved(self, markdown: str) -> None:
        """The user's edit of the notes: saved with the meeting, shown and exported from now on."""
        target = getattr(self, "_editing_meeting", None)
        if target is not None and target != self.meeting_id:  # another meeting is open now
            meeting = self.store.get_meeting(target)
            if meeting is not None:
                self.store.update_meeting(target, notes={**(meeting.notes or {}), "markdown": markdown, "edited": True})
                self.status.setText(f"Your notes are saved with “{meeting.title}”.")
            self.notes_editor.set_markdown(self.markdown())  # this meeting's notes stay on show
            return
        self._ensure_meeting()
        self._markdown = markdown
        self._save_payload(markdown=markdown, edited=True)
        self.status.setText("Your notes are saved with the meeting.")
        self._update_controls()

    def _ask_source(self) -> tuple[str, str, str]:
        return self.transcript_edit.toPlainText(), self.markdown(), self.options.language()

    def jump_to(self, seconds: float) -> bool:
        """Show and select the transcript line that starts at ``seconds`` (or the last one before it)."""
        wanted = f"[{format_timestamp(seconds)}]"
        document = self.transcript_edit.document()
        block = document.firstBlock()
        found = None
        while block.isValid():
            text = block.text()
            if text.startswith("[") and text[:10] <= wanted:
                found = block
            block = block.next()
        if found is None:
            return False
        cursor = self.transcript_edit.textCursor()
        cursor.setPosition(found.position())
        cursor.movePosition(cursor.MoveOperation.EndOfBlock, cursor.MoveMode.KeepAnchor)
        self.transcript_edit.setTextCursor(cursor)
        self.transcript_edit.ensureCursorVisible()
        return True
