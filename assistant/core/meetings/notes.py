"""Structured meeting notes: the data model, its JSON schema, validation, merging and Markdown.

The model is asked for JSON matching :func:`notes_schema`; :meth:`MeetingNotes.from_dict`
validates what came back and lists every problem in plain words. Notes of several parts of a
meeting are combined with :func:`merge_notes`, which keeps every action item, decision and
proposed event (exact repeats, e.g. from chunk overlap, are dropped). Relative dates the model
left as phrases ("next Tuesday") are resolved by :func:`resolve_dates`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

NOTE_KEYS = ("title", "summary", "decisions", "action_items", "open_questions", "proposed_events")


@dataclass(frozen=True)
class NotesLimits:
    """List sizes written into the schema (and checked by validation); text longer than its
    limit is clipped by validation."""

    title_chars: int = 120
    item_chars: int = 400
    name_chars: int = 80
    date_chars: int = 60
    summary_items: int = 10
    list_items: int = 12
    events: int = 5
    attendees: int = 12


DEFAULT_LIMITS = NotesLimits()
#: For notes merged from many parts (and stored ones): no list limits, generous text limits.
UNLIMITED = NotesLimits(10_000, 100_000, 10_000, 10_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000)


@dataclass
class ActionItem:
    task: str
    owner: str = ""
    due: str = ""  # ISO date (YYYY-MM-DD) when resolved, else "" (older notes may hold the words used)
    due_said: str = ""  # the due date as it was said ("by Friday"), "" when not said
    check: str = ""  # why the user should check the date ("" when it was resolved or not said)


@dataclass
class ProposedEvent:
    """A follow-up meeting the calendar feature may offer to create; never created by itself."""

    title: str
    start: str = ""  # ISO date-time with offset when resolved, else the words used
    end: str = ""
    duration_minutes: int = 0  # 0: not said
    attendees: list[str] = field(default_factory=list)
    start_said: str = ""  # the time as it was said ("Thursday at ten"), "" when not said
    check: str = ""  # why the user should check the time ("" when it was resolved)


@dataclass
class MeetingNotes:
    title: str = ""
    summary: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)
    proposed_events: list[ProposedEvent] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.title
            or self.summary
            or self.decisions
            or self.action_items
            or self.open_questions
            or self.proposed_events
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object shown by ``--json``: unknown owners, dates and durations are null."""
        return {
            "title": self.title,
            "summary": list(self.summary),
            "decisions": list(self.decisions),
            "action_items": [
                {
                    "task": a.task,
                    "owner": a.owner or None,
                    "due": a.due or None,
                    "due_said": a.due_said or None,
                    "check": a.check or None,
                }
                for a in self.action_items
            ],
            "open_questions": list(self.open_questions),
            "proposed_events": [
                {
                    "title": e.title,
                    "start": e.start or None,
                    "end": e.end or None,
                    "duration_minutes": e.duration_minutes or None,
                    "attendees": list(e.attendees),
                    "start_said": e.start_said or None,
                    "check": e.check or None,
                }
                for e in self.proposed_events
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Any, limits: NotesLimits = DEFAULT_LIMITS) -> MeetingNotes:
        """Validate a decoded JSON object; raises :class:`NotesValidationError` listing the problems."""
        return _Validator(limits).notes(data)

    @classmethod
    def from_json(cls, text: str, limits: NotesLimits = DEFAULT_LIMITS) -> MeetingNotes:
        """Parse and validate the model's reply (surrounding prose or a code fence is tolerated)."""
        return cls.from_dict(decode_json_object(text), limits)

    def to_markdown(self) -> str:
        return notes_to_markdown(self)


class NotesValidationError(ValueError):
    """The reply is not valid notes; :attr:`problems` says what is wrong, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def decode_json_object(text: str) -> Any:
    """The JSON value in ``text``, tolerating a code fence or words around one object."""
    stripped = text.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", stripped, re.DOTALL)
    if fence:
        stripped = fence.group(1)
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as exc:
        first, last = stripped.find("{"), stripped.rfind("}")
        if 0 <= first < last:
            try:
                return json.loads(stripped[first : last + 1])
            except json.JSONDecodeError:
                pass
        if not stripped:
            raise NotesValidationError(["the reply was empty"]) from None
        raise NotesValidationError([f"the reply is not valid JSON ({exc.msg} at character {exc.pos})"]) from None


def close_truncated_json(text: str, max_depth: int = 2) -> Any | None:
    """The longest complete prefix of a JSON object cut off mid-way, closed and decoded.

    For a reply stopped at the token limit (grammar-constrained, so every prefix is valid JSON
    so far): cut after the last finished element at nesting depth <= ``max_depth`` (whole
    list entries, never half an action item), close the open brackets. None if nothing is left.
    """
    start = text.find("{")
    if start < 0:
        return None
    stack: list[str] = []
    in_string = escaped = False
    best: tuple[int, str] | None = None
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
            if len(stack) <= max_depth:
                best = (index + 1, "".join(reversed(stack)))
        elif char in "}]":
            if not stack:
                return None
            stack.pop()
            if not stack:
                return json.loads(text[start : index + 1])
            if len(stack) <= max_depth:
                best = (index + 1, "".join(reversed(stack)))
        elif char == "," and len(stack) <= max_depth:
            best = (index, "".join(reversed(stack)))
    if best is None:
        return None
    try:
        return json.loads(text[start : best[0]] + best[1])
    except json.JSONDecodeError:
        return None


class _Validator:
    def __init__(self, limits: NotesLimits) -> None:
        self.limits = limits
        self.problems: list[str] = []

    def notes(self, data: Any) -> MeetingNotes:
        if not isinstance(data, dict):
            raise NotesValidationError([f"the reply must be a JSON object, not {_kind(data)}"])
        unknown = sorted(set(data) - set(NOTE_KEYS))
        if unknown:
            self.problems.append(f"unexpected keys: {', '.join(unknown)}")
        for key in NOTE_KEYS:
            if key not in data:
                self.problems.append(f"missing key '{key}'")
        limits = self.limits
        notes = MeetingNotes(
            title=self.text(data.get("title", ""), "title", limits.title_chars),
            summary=self.texts(data.get("summary", []), "summary", limits.summary_items),
            decisions=self.texts(data.get("decisions", []), "decisions", limits.list_items),
            action_items=[
                action
                for i, item in enumerate(self.array(data.get("action_items", []), "action_items", limits.list_items))
                if (action := self.action(item, f"action_items[{i}]")).task  # an entry without a task says nothing
            ],
            open_questions=self.texts(data.get("open_questions", []), "open_questions", limits.list_items),
            proposed_events=[
                event
                for i, item in enumerate(self.array(data.get("proposed_events", []), "proposed_events", limits.events))
                if (event := self.event(item, f"proposed_events[{i}]")).title
            ],
        )
        if self.problems:
            raise NotesValidationError(self.problems)
        return notes

    def text(self, value: Any, where: str, max_chars: int, optional: bool = False) -> str:
        if value is None and optional:
            return ""
        if not isinstance(value, str):
            self.problems.append(f"{where} must be text, not {_kind(value)}")
            return ""
        return clip(" ".join(value.split()), max_chars)

    def array(self, value: Any, where: str, max_items: int) -> list[Any]:
        if not isinstance(value, list):
            self.problems.append(f"{where} must be a list, not {_kind(value)}")
            return []
        if len(value) > max_items:
            self.problems.append(f"{where} has {len(value)} entries; at most {max_items} are allowed")
        return value

    def texts(self, value: Any, where: str, max_items: int) -> list[str]:
        items = [self.text(v, f"{where}[{i}]", self.limits.item_chars) for i, v in enumerate(self.array(value, where, max_items))]
        return [item for item in items if item]

    def fields(self, value: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problems.append(f"{where} must be an object, not {_kind(value)}")
            return {}
        for key in sorted(required - set(value)):
            self.problems.append(f"{where} is missing '{key}'")
        for key in sorted(set(value) - allowed):
            self.problems.append(f"{where} has an unexpected key '{key}'")
        return value

    def action(self, value: Any, where: str) -> ActionItem:
        data = self.fields(value, where, {"task", "owner", "due", "due_said", "check"}, {"task"})
        return ActionItem(
            task=self.text(data.get("task", ""), f"{where}.task", self.limits.item_chars),
            owner=self.text(data.get("owner"), f"{where}.owner", self.limits.name_chars, optional=True),
            due=self.text(data.get("due"), f"{where}.due", self.limits.date_chars, optional=True),
            due_said=self.text(data.get("due_said"), f"{where}.due_said", self.limits.date_chars, optional=True),
            check=self.text(data.get("check"), f"{where}.check", self.limits.item_chars, optional=True),
        )

    def event(self, value: Any, where: str) -> ProposedEvent:
        allowed = {"title", "start", "end", "duration_minutes", "attendees", "start_said", "check"}
        data = self.fields(value, where, allowed, {"title"})
        duration = data.get("duration_minutes")
        if duration is None:
            duration = 0
        elif isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= 24 * 60:
            self.problems.append(f"{where}.duration_minutes must be a whole number of minutes up to 1440")
            duration = 0
        attendees = data.get("attendees")
        return ProposedEvent(
            title=self.text(data.get("title", ""), f"{where}.title", self.limits.item_chars),
            start=self.text(data.get("start"), f"{where}.start", self.limits.date_chars, optional=True),
            end=self.text(data.get("end"), f"{where}.end", self.limits.date_chars, optional=True),
            duration_minutes=duration,
            attendees=[
                self.text(a, f"{where}.attendees[{i}]", self.limits.name_chars)
                for i, a in enumerate(self.array(attendees, f"{where}.attendees", self.limits.attendees))
            ]
            if attendees is not None
            else [],
            start_said=self.text(data.get("start_said"), f"{where}.start_said", self.limits.date_chars, optional=True),
            check=self.text(data.get("check"), f"{where}.check", self.limits.item_chars, optional=True),
        )


def clip(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` at a word boundary, with an ellipsis when cut."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0] if " " in text[: max_chars - 1] else text[: max_chars - 1]
    return cut.rstrip(" ,;:") + "…"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


# --- schema ---------------------------------------------------------------------------------


def summary_schema(limits: NotesLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Schema of a condensing step: only a title and summary bullets."""
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "summary": {"type": "array", "items": {"type": "string"}, "maxItems": limits.summary_items},
        },
        "required": ["title", "summary"],
        "additionalProperties": False,
    }


# --- merging --------------------------------------------------------------------------------


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def _unique_texts(groups: list[list[str]]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for group in groups:
        for item in group:
            key = _key(item)
            if key and key not in seen:
                seen.add(key)
                result.append(item)
    return result


def merge_notes(parts: list[MeetingNotes], title: str | None = None) -> MeetingNotes:
    """Combine notes of consecutive parts in order, keeping every distinct item.

    An action item repeated (same task and owner, e.g. read twice in an overlap) is kept once,
    with the due date filled from whichever copy has one. Nothing is dropped for size.
    """
    actions: dict[tuple[str, str], ActionItem] = {}
    for part in parts:
        for item in part.action_items:
            key = (_key(item.task), _key(item.owner))
            known = actions.get(key)
            if known is None:
                actions[key] = replace(item)
            elif not known.due and item.due:
                known.due, known.due_said, known.check = item.due, item.due_said, item.check
    events: dict[tuple[str, str], ProposedEvent] = {}
    for part in parts:
        for event in part.proposed_events:
            # The same resolved start is the same session, however it was titled (a second look may
            # find again what the first reading named differently); unresolved ones go by title.
            key = ("", _key(event.start)) if event.start else (_key(event.title), _key(event.start_said))
            known_event = events.get(key)
            if known_event is None:
                events[key] = replace(event, attendees=list(event.attendees))
            else:
                for person in event.attendees:
                    if _key(person) not in {_key(p) for p in known_event.attendees}:
                        known_event.attendees.append(person)
    first_title = next((p.title for p in parts if p.title), "")
    return MeetingNotes(
        title=title if title is not None else first_title,
        summary=_unique_texts([p.summary for p in parts]),
        decisions=_unique_texts([p.decisions for p in parts]),
        action_items=list(actions.values()),
        open_questions=_unique_texts([p.open_questions for p in parts]),
        proposed_events=list(events.values()),
    )


# --- Markdown -------------------------------------------------------------------------------


def notes_to_markdown(notes: MeetingNotes) -> str:
    lines = [f"# {notes.title or 'Meeting notes'}", ""]

    def section(heading: str, items: list[str]) -> None:
        if items:
            lines.extend([f"## {heading}", "", *(f"- {item}" for item in items), ""])

    section("Summary", notes.summary)
    section("Decisions", notes.decisions)
    if notes.action_items:
        lines.extend(["## Action items", ""])
        lines.extend(action_line(item) for item in notes.action_items)
        lines.append("")
    section("Open questions", notes.open_questions)
    if notes.proposed_events:
        lines.extend(["## Proposed follow-up events", ""])
        lines.extend(event_line(event) for event in notes.proposed_events)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def action_line(item: ActionItem) -> str:
    """An action item's line in the notes' Markdown (renaming a speaker finds it again by it)."""
    due = f"due {item.due}" if item.due else ""
    if item.due_said and item.due_said != item.due:
        due = f"{due} — “{item.due_said}”" if due else f"“{item.due_said}”"
    details = [part for part in (item.owner, due) if part]
    suffix = f" ({', '.join(details)})" if details else ""
    check = f" ⚠ {item.check}" if item.check else ""
    return f"- [ ] {item.task}{suffix}{check}"


def event_line(event: ProposedEvent) -> str:
    """A proposed event's line in the notes' Markdown."""
    when = event.start or "time not set"
    if event.start_said and event.start_said != event.start:
        when = f"{event.start} — “{event.start_said}”" if event.start else f"“{event.start_said}”"
    if event.end:
        when += f" – {event.end}"
    elif event.duration_minutes:
        when += f", {event.duration_minutes} min"
    who = f"; with {', '.join(event.attendees)}" if event.attendees else ""
    check = f" ⚠ {event.check}" if event.check else ""
    return f"- {event.title} ({when}{who}){check}"
