"""Meeting notes from a transcript of any length, one-shot or live, through the Engine seam.

One-shot (:class:`Summarizer`): the transcript is cut into overlapping chunks that fit the
model's context (map); from each chunk the model extracts commitments, sessions, decisions
and a summary as said, under a grammar (:mod:`assistant.core.meetings.extract`), and the code
resolves dates and checks owners; the parts are merged in Python, so no action item, decision or proposed event from an early chunk
can be lost (reduce); only when the merged summary is too long does the model condense the
summary bullets (and give the whole meeting a title).

Live (:class:`RollingSummarizer`): text is fed as it arrives; each step folds the newest span
into the running notes. When processing falls behind, the next step takes a larger span (up
to one full chunk) instead of queueing many small ones, so the backlog is always one text
buffer, and :meth:`RollingSummarizer.finish` only has the tail left to do.

Every model reply is validated; an invalid one is retried once, then the part is written as
plain text and a notice says so. Nothing here starts a thread: callers (a QThread worker, the
CLI) call these methods and get plain callbacks; cancelling is a ``threading.Event``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.core.engines.base import (
    ContextOverflowError,
    Engine,
    GenerationParams,
    Message,
)
from assistant.core.meetings.agreed import line_words, settle, title_by_start, without_sessions
from assistant.core.meetings.extract import (
    extraction_schema,
    map_messages,
    notes_from_extraction,
    system_prompt,
)
from assistant.core.meetings.language import detect_language
from assistant.core.meetings.linking import owners_from_attendees
from assistant.core.meetings.notes import (
    DEFAULT_LIMITS,
    UNLIMITED,
    MeetingNotes,
    NotesLimits,
    NotesValidationError,
    close_truncated_json,
    decode_json_object,
    merge_notes,
    notes_to_markdown,
    summary_schema,
)
from assistant.core.meetings.prompts import (
    RETRY_PLACEHOLDER,
    MeetingContext,
    condense_user_prompt,
    plain_user_prompt,
    retry_note,
)
from assistant.core.meetings.second_look import look_again
from assistant.core.meetings.templates import with_instructions
from assistant.core.meetings.titles import name_as_said
from assistant.core.meetings.transcript import Chunk, Transcript, chunk_text

# --- results and progress ---------------------------------------------------------------------


@dataclass
class SummaryProgress:
    """Reported after every model call: ``done`` of ``total`` steps, and the notes so far."""

    done: int
    total: int
    stage: str  # "map", "condense", "live"
    message: str
    notes: MeetingNotes


ProgressCallback = Callable[[SummaryProgress], None]


@dataclass
class SummaryResult:
    """The notes, and what the user must be told about how they were made."""

    notes: MeetingNotes
    language: str
    chunks: int = 0
    plain_text: str = ""  # notes the model wrote as plain text where structured notes failed
    notices: list[str] = field(default_factory=list)
    cancelled: bool = False
    model_calls: int = 0
    seconds: float = 0.0

    @property
    def structured(self) -> bool:
        """True when at least part of the notes came back as validated structured notes."""
        return not self.notes.is_empty

    def to_dict(self) -> dict[str, Any]:
        """What to store with a meeting (the lead's ``meetings.notes`` column) as JSON."""
        return {
            "notes": self.notes.to_dict(),
            "language": self.language,
            "plain_text": self.plain_text,
            "notices": list(self.notices),
            "cancelled": self.cancelled,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummaryResult:
        """Reverse of :meth:`to_dict`; raises :class:`NotesValidationError` for damaged notes."""
        return cls(
            notes=MeetingNotes.from_dict(data.get("notes", {}), UNLIMITED),
            language=str(data.get("language", "en")),
            plain_text=str(data.get("plain_text", "")),
            notices=[str(n) for n in data.get("notices", [])],
            cancelled=bool(data.get("cancelled", False)),
        )

    def to_markdown(self) -> str:
        parts = []
        if self.notices:
            parts.append("\n".join(f"> **Note:** {notice}" for notice in self.notices) + "\n")
        if self.structured or not self.plain_text:
            parts.append(notes_to_markdown(self.notes))
        if self.plain_text:
            parts.append("## Notes as plain text\n\n" + self.plain_text.strip() + "\n")
        return "\n".join(parts)


class SummarizeError(Exception):
    """Summarizing cannot start or go on; the message is meant for the user."""


# --- the model calls --------------------------------------------------------------------------


@dataclass
class _Reply:
    notes: MeetingNotes | None
    raw: str
    problems: list[str]
    cancelled: bool = False
    truncated: bool = False  # cut at the token limit; the finished part was kept


def _salvage(raw: str, schema: dict[str, Any], parse: Callable[[Any], MeetingNotes]) -> MeetingNotes | None:
    """Notes from the complete part of a reply cut off at the token limit, or None."""
    data = close_truncated_json(raw)
    if not isinstance(data, dict):
        return None
    for key, spec in schema.get("properties", {}).items():
        data.setdefault(key, [] if spec.get("type") == "array" else "")
    try:
        notes = parse(data)
    except NotesValidationError:
        return None
    return None if notes.is_empty else notes


class ModelCaller:
    """Sends prompts within the context budget and validates JSON replies (one retry)."""

    def __init__(self, engine: Engine, limits: NotesLimits, temperature: float) -> None:
        if not engine.loaded or engine.context_size <= 0:
            raise SummarizeError("No model is loaded. Choose a model first, then summarize again.")
        self.engine = engine
        self.limits = limits
        self.temperature = temperature
        self.calls = 0

    @property
    def n_ctx(self) -> int:
        return self.engine.context_size

    def fit_max_tokens(self, messages: list[Message], wanted: int, minimum: int = 32) -> int:
        """``wanted`` output tokens, lowered so prompt + output stays within the context."""
        prompt = self.engine.count_prompt_tokens(messages)
        room = self.n_ctx - prompt
        if room < minimum:
            raise ContextOverflowError(
                f"The prompt needs {prompt:,} of the model's {self.n_ctx:,} context tokens, leaving too little for the notes."
            )
        return min(wanted, room)

    def generate(
        self, messages: list[Message], max_tokens: int, schema: dict[str, Any] | None, stop: threading.Event | None
    ) -> tuple[str, bool]:
        max_tokens = self.fit_max_tokens(messages, max_tokens)
        params = GenerationParams(max_tokens=max_tokens, temperature=self.temperature, json_schema=schema)
        self.calls += 1
        text = "".join(self.engine.stream_chat(messages, params, stop))
        cancelled = (stop is not None and stop.is_set()) or self.engine.last_stats.finish_reason == "cancelled"
        return text, cancelled

    def notes_reply(
        self,
        messages: list[Message],
        max_tokens: int,
        stop: threading.Event | None,
        schema: dict[str, Any],
        parse: Callable[[Any], MeetingNotes],
    ) -> _Reply:
        """JSON for ``messages`` under ``schema``, read by ``parse``; on an invalid reply, one retry naming the problems."""
        attempt_messages = messages
        problems: list[str] = []
        raw = ""
        for attempt in range(2):
            raw, cancelled = self.generate(attempt_messages, max_tokens, schema, stop)
            if cancelled:
                return _Reply(None, raw, [], cancelled=True)
            try:
                return _Reply(parse(decode_json_object(raw)), raw, [])
            except NotesValidationError as exc:
                problems = exc.problems
            if self.engine.last_stats.finish_reason == "length":
                salvaged = _salvage(raw, schema, parse)
                if salvaged is not None:
                    return _Reply(salvaged, raw, [], truncated=True)
                problems = ["the reply was cut off at the length limit; keep it shorter", *problems[:3]]
            if attempt == 0:
                attempt_messages = [*messages[:-1], {**messages[-1], "content": messages[-1]["content"] + retry_note(problems)}]
        return _Reply(None, raw, problems)


# --- one-shot map-reduce ----------------------------------------------------------------------


@dataclass
class Budget:
    """How the context is shared out: prompt overhead, transcript chunk, reserved output."""

    n_ctx: int
    overhead: int
    output: int
    chunk: int
    overlap: int


class Summarizer:
    """One-shot notes for a whole transcript (map over chunks, merge in Python)."""

    def __init__(
        self,
        engine: Engine,
        context: MeetingContext | None = None,
        *,
        limits: NotesLimits = DEFAULT_LIMITS,
        max_output_tokens: int | None = None,
        overlap_tokens: int | None = None,
        temperature: float = 0.2,
        condense: bool = True,
        second_look: bool = True,
    ) -> None:
        self.engine = engine
        self.context = context or MeetingContext.create()
        self.limits = limits
        self.max_output_tokens = max_output_tokens
        self.overlap_tokens = overlap_tokens
        self.temperature = temperature
        self.condense = condense
        self.second_look = second_look

    # -- budget ---------------------------------------------------------------------------
    def budget(self, live: bool = False) -> Budget:
        """Token budget of one map call; raises :class:`SummarizeError` when the context is too small."""
        n_ctx = self.engine.context_size
        if n_ctx <= 0:
            raise SummarizeError("No model is loaded. Choose a model first, then summarize again.")
        output = self.max_output_tokens or max(128, min(1024, n_ctx // 4))
        worst = with_instructions(map_messages(self.context, "", 999, 999, live), self.context)
        worst[-1]["content"] += retry_note(RETRY_PLACEHOLDER)
        overhead = self.engine.count_prompt_tokens(worst)
        margin = 16 + n_ctx // 100  # the chunk may tokenize a little differently inside the prompt
        chunk = n_ctx - overhead - output - margin
        if chunk < 64:
            raise SummarizeError(
                f"The model's context of {n_ctx:,} tokens is too small to summarize with. "
                "Choose a larger context size (4096 or more) in the settings."
            )
        overlap = self.overlap_tokens if self.overlap_tokens is not None else min(200, chunk // 10)
        return Budget(n_ctx=n_ctx, overhead=overhead, output=output, chunk=chunk, overlap=min(overlap, chunk // 2))

    def chunks(self, text: str) -> list[Chunk]:
        budget = self.budget()
        return chunk_text(text, self.engine.count_tokens, budget.chunk, budget.overlap)

    # -- run ------------------------------------------------------------------------------
    def summarize(
        self,
        transcript: Transcript | str,
        *,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> SummaryResult:
        """Notes for the whole transcript. With ``stop`` set, returns what was done so far."""
        started = time.perf_counter()
        text = transcript.render() if isinstance(transcript, Transcript) else transcript
        if not text.strip():
            raise SummarizeError("There is no text to summarize. Paste or open a transcript first.")
        context = self.context
        if context.language == "auto":
            context = replace(context, language=detect_language(text))
        caller = ModelCaller(self.engine, self.limits, self.temperature)
        budget = self.budget()
        chunks = chunk_text(text, self.engine.count_tokens, budget.chunk, budget.overlap)
        state = FoldState(context, self.limits, second_look=self.second_look)
        total = len(chunks)
        result = SummaryResult(notes=MeetingNotes(), language=context.language, chunks=total)
        for index, chunk in enumerate(chunks, start=1):
            if stop is not None and stop.is_set():
                result.cancelled = True
                break
            cancelled = state.fold(caller, chunk.text, budget.output, stop, part=index, parts=total)
            if cancelled:
                result.cancelled = True
                break
            if progress:
                progress(SummaryProgress(index, total, "map", f"Read part {index} of {total}", state.notes()))
        if not result.cancelled and self.condense and len(state.summary_bullets()) > self.limits.summary_items:
            if progress:
                progress(SummaryProgress(total, total, "condense", "Condensing the summary", state.notes()))
            state.condense(caller, budget, stop)
        return state.result(result, caller, started)


class FoldState:
    """Notes of the parts read so far, merged in Python, plus plain-text fallbacks and notices."""

    def __init__(self, context: MeetingContext, limits: NotesLimits, *, second_look: bool = True) -> None:
        self.context = context
        self.limits = limits
        self.second_look = second_look  # check lines that sound like a promise (meetings/second_look.py)
        self.parts: list[MeetingNotes] = []
        self.title: str | None = None
        self.plain: list[str] = []
        self.notices: list[str] = []
        self._merged: MeetingNotes | None = None
        self._said: list[set[str]] = []  # the words of every line read, for titles across parts

    def notes(self) -> MeetingNotes:
        if self._merged is None:
            self._merged = self._merge()
        return self._merged

    def _merge(self) -> MeetingNotes:
        title_by_start([event for part in self.parts for event in part.proposed_events], self._said)
        return merge_notes(self.parts, title=self.title)

    def summary_bullets(self) -> list[str]:
        return self.notes().summary

    def add(self, notes: MeetingNotes) -> None:
        self.parts.append(notes)
        self._merged = None

    def fold(
        self,
        caller: ModelCaller,
        text: str,
        output: int,
        stop: threading.Event | None,
        *,
        part: int = 1,
        parts: int = 1,
        live: bool = False,
    ) -> bool:
        """Read one span of transcript into the notes; returns True when cancelled."""
        label = f"part {part} of {parts}" if parts > 1 and not live else ""
        reply = caller.notes_reply(
            with_instructions(map_messages(self.context, text, part, parts, live), self.context),
            output,
            stop,
            schema=extraction_schema(self.limits),
            parse=lambda data: owners_from_attendees(
                notes_from_extraction(data, self.context, text, self.limits), data, self.context.known_names
            ),
        )
        if reply.cancelled:
            return True
        if reply.notes is not None:
            if self.second_look and look_again(caller.generate, self.context, self.limits, text, reply.notes, stop):
                return True
            reply.notes.proposed_events = settle(reply.notes.proposed_events, text, self.context)
            if self.second_look and name_as_said(caller.generate, self.context, text, reply.notes.proposed_events, stop):
                return True
            reply.notes.action_items = without_sessions(reply.notes.action_items, reply.notes.proposed_events, self.context)
            self._said.extend(line_words(text))
            self.add(reply.notes)
            if reply.truncated:
                where = f" for {label}" if label else ""
                self.notices.append(
                    f"The model's answer{where} reached its length limit; the notes keep what it finished, "
                    "so a few points may be missing."
                )
            return False
        plain_messages: list[Message] = with_instructions(
            [{"role": "system", "content": system_prompt(self.context)}, {"role": "user", "content": plain_user_prompt(text)}],
            self.context,
        )
        try:
            plain, cancelled = caller.generate(plain_messages, output, None, stop)
        except ContextOverflowError:
            plain, cancelled = "", False
        if cancelled:
            return True
        plain = plain.strip() or reply.raw.strip()
        self.plain.append(f"{label.capitalize()}:\n{plain}" if label else plain)
        where = f" for {label}" if label else ""
        self.notices.append(
            f"The model's answer{where} could not be read as structured notes (tried twice), so it is shown as "
            "plain text; its action items and events are not listed separately."
        )
        return False

    def condense(self, caller: ModelCaller, budget: Budget, stop: threading.Event | None) -> None:
        """Ask the model for a title and fewer summary bullets; keep the long list if that fails."""
        bullets = self.summary_bullets()
        limits = self.limits
        while len(bullets) > limits.summary_items:
            groups = self._bullet_groups(caller, bullets, budget)
            condensed: list[str] = []
            title = None
            for group in groups:
                reply = self._condense_group(caller, group, budget, stop)
                if reply is None:
                    return
                title = title or reply.title
                condensed.extend(reply.summary)
            if len(condensed) >= len(bullets):
                return
            bullets = condensed
            if len(groups) == 1:
                self.title = title or self.title
        merged = self._merge()
        merged.summary = bullets
        self.parts = [merged]
        self._merged = None

    def _bullet_groups(self, caller: ModelCaller, bullets: list[str], budget: Budget) -> list[list[str]]:
        room = budget.chunk
        groups: list[list[str]] = [[]]
        used = 0
        for bullet in bullets:
            cost = caller.engine.count_tokens(bullet) + 2
            if groups[-1] and used + cost > room:
                groups.append([])
                used = 0
            groups[-1].append(bullet)
            used += cost
        return groups

    def _condense_group(
        self, caller: ModelCaller, bullets: list[str], budget: Budget, stop: threading.Event | None
    ) -> MeetingNotes | None:
        messages: list[Message] = [
            {"role": "system", "content": system_prompt(self.context)},
            {"role": "user", "content": condense_user_prompt(bullets)},
        ]

        def parse(data: Any) -> MeetingNotes:
            if not isinstance(data, dict):
                raise NotesValidationError(["the reply must be a JSON object"])
            full = {"decisions": [], "action_items": [], "open_questions": [], "proposed_events": [], **data}
            return MeetingNotes.from_dict(full, self.limits)

        try:
            reply = caller.notes_reply(messages, budget.output, stop, schema=summary_schema(self.limits), parse=parse)
        except ContextOverflowError:
            return None
        if reply.notes is None or not reply.notes.summary:
            return None
        return reply.notes

    def result(self, result: SummaryResult, caller: ModelCaller, started: float) -> SummaryResult:
        result.notes = self.notes()
        result.plain_text = "\n\n".join(self.plain)
        result.notices = list(self.notices)
        if result.cancelled:
            result.notices.append("Summarizing was stopped; these notes cover only the part read before that.")
        result.model_calls = caller.calls
        result.seconds = time.perf_counter() - started
        return result


