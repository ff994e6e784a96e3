""""Ask about this meeting": questions answered from the open meeting, through the model worker's chat request.

The prompt is built here from the meeting (:func:`assistant.core.meetings.ask.build_prompt`;
a long transcript is searched, not pasted whole) and sent as a chat request (through a
:class:`~assistant.ui.chat.requests.RequestRouter`, so the panel hears from its own request
only); the worker fits it to the context. Token counts here are a cautious estimate
(three characters a token) because the engine belongs to the worker. Cited times become
links; clicking one emits ``jumpRequested(seconds)`` and the page shows that transcript line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from assistant.core.chat.prompt import reply_reserve
from assistant.core.engines.base import GenerationParams, Message
from assistant.core.meetings.ask import ANSWER_TOKENS, build_prompt, citations
from assistant.ui.chat.requests import ModelRequest, RequestRouter
from assistant.ui.worker import ModelBridge

_CITED = re.compile(r"\[(\d{2}:\d{2}:\d{2})\]")


def rough_tokens(text: str) -> int:
    """A cautious token count for building the prompt on the GUI thread (the worker fits it exactly)."""
    return len(text) // 3 + 1


class MeetingAskPanel(QGroupBox):
    """Questions and answers about one meeting; ``source()`` gives (transcript, notes, language)."""

    jumpRequested = Signal(float)
    busyChanged = Signal(bool)

    def __init__(self, bridge: ModelBridge, source: Callable[[], tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__("Ask about this meeting", parent)
        self.bridge, self.source = bridge, source
        self.router = RequestRouter(bridge)
        self.request: ModelRequest | None = None
        self.history: list[Message] = []
        self.turns: list[tuple[str, str]] = []  # (question, answer) shown
        self.reply = ""
        self.last_error = ""  # the worker's message when the last question failed
        self._transcript = ""
        layout = QVBoxLayout(self)
        self.answers = QTextBrowser()
        self.answers.setOpenLinks(False)
        self.answers.anchorClicked.connect(self._on_link)
        self.answers.setMinimumHeight(90)
        layout.addWidget(self.answers, 1)
        row = QHBoxLayout()
        self.question_edit = QLineEdit()
        self.question_edit.setPlaceholderText("e.g. What did Ruth promise?")
        self.question_edit.returnPressed.connect(self._ask_clicked)
        row.addWidget(self.question_edit, 1)
        self.ask_button = QPushButton("Ask")
        self.ask_button.clicked.connect(self._ask_clicked)
        row.addWidget(self.ask_button)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.stop_button)
        layout.addLayout(row)
        self.set_enabled(True)

    @property
    def busy(self) -> bool:
        return self.request is not None

    def set_enabled(self, allowed: bool) -> None:
        """``allowed``: the page is not busy with other model work."""
        ready = allowed and self.bridge.engine.loaded
        self.ask_button.setEnabled(ready and not self.busy)
        self.ask_button.setToolTip("" if self.bridge.engine.loaded else "Load a model first")
        self.stop_button.setEnabled(self.busy)

    def reset(self) -> None:
        """Another meeting was opened: its questions start afresh (a reply still coming is dropped)."""
        if self.request is not None:
            self.request.stop()
            self._listen(self.request, False)
            self.request = None
        self.history, self.turns, self.reply = [], [], ""
        self.answers.clear()
        self.set_enabled(True)

    def ask(self, question: str) -> bool:
        transcript, notes, language = self.source()
        if self.busy or not question.strip():
            return False
        if not transcript.strip():
            self.answers.setHtml("<i>This meeting has no transcript to answer from yet.</i>")
            return False
        prompt = build_prompt(
            question,
            transcript,
            notes,
            count_tokens=rough_tokens,
            context_size=self.bridge.engine.context_size,
            history=self.history,
            language=language,
            answer_tokens=reply_reserve(self.bridge.engine.context_size),  # what the worker keeps free
        )
        self._transcript = transcript
        self.reply, self.last_error = "", ""
        self.turns.append((question.strip(), ""))
        params = GenerationParams(max_tokens=ANSWER_TOKENS, temperature=0.2)
        self.request = self.router.chat(prompt.system, prompt.messages, params)
        self._listen(self.request, True)
        self.question_edit.clear()
        self._render()
        self.set_enabled(True)
        self.busyChanged.emit(True)
        return True

    def _ask_clicked(self) -> None:
        self.ask(self.question_edit.text())

    def stop(self) -> None:
        if self.request is not None:
            self.request.stop()

    def _listen(self, request: ModelRequest, on: bool) -> None:
        for signal, slot in ((request.tokens, self._on_tokens), (request.finished, self._on_finished), (request.failed, self._on_failed)):
            if on:
                signal.connect(slot)
            else:
                signal.disconnect(slot)

    def _on_tokens(self, text: str) -> None:
        self.reply += text
        self.turns[-1] = (self.turns[-1][0], self.reply)
        self._render()

    def _done(self, note: str = "") -> None:
        question, answer = self.turns[-1]
        answer = answer.strip() + note
        self.turns[-1] = (question, answer)
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        self.request = None
        self._render()
        self.set_enabled(True)
        self.busyChanged.emit(False)

    def _on_finished(self, stats: object) -> None:
        self._done(" (stopped)" if getattr(stats, "finish_reason", "") == "cancelled" else "")

    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self._done(f" ({message})")

    def answer_links(self, answer: str) -> str:
        """The answer as HTML, each cited time that is a line of the transcript a link to it."""
        valid = {c.label for c in citations(answer, self._transcript)}

        def link(match: re.Match[str]) -> str:
            label = match.group(1)
            if label not in valid:
                return match.group(0)
            h, m, s = (int(x) for x in label.split(":"))
            return f'<a href="transcript:{h * 3600 + m * 60 + s}">[{label}]</a>'

        return _CITED.sub(link, html.escape(answer)).replace("\n", "<br>")

    def _render(self) -> None:
        parts = []
        for question, answer in self.turns:
            shown = self.answer_links(answer) if answer else "<i>…</i>"
            parts.append(f"<p><b>{html.escape(question)}</b><br>{shown}</p>")
        self.answers.setHtml("".join(parts))
        bar = self.answers.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == "transcript":
            try:
                self.jumpRequested.emit(float(url.path()))
            except ValueError:
                pass
