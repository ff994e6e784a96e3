"""Calendar tools offered to the model, the parser for its tool calls, and running them.

Parser (:func:`parse_tool_calls`) accepts what Llama 3.2 1B/3B emit as text:

1. JSON ``{"name": ..., "parameters": {...}}`` (``"arguments"`` also accepted, as an object
   or a JSON string), also the OpenAI shape ``{"type": "function", "function": {...}}``;
2. the same behind ``<|python_tag|>``, inside a ```json fence, followed by ``<|eom_id|>``
   or ``<|eot_id|>``;
3. a JSON list of such objects, or several objects separated by ``;`` or new lines;
4. the pythonic form ``[create_calendar_event(title="...", start="...")]`` (brackets
   optional, or one call per line), read with ``ast`` — literals only, never evaluated;
5. a Python-literal dict with single quotes (``{'name': ..., 'parameters': ...}``), read
   with ``ast.literal_eval``.

Prose is tolerated only when it is unambiguous: the call block is at the very start or
the very end of the reply, there is exactly one block, and the prose does not mention a
tool name (a model explaining a call is not making one). Anything truncated, malformed,
with arguments that are not an object, or naming an unknown tool is plain text (the
reason is in :attr:`ParsedOutput.rejected`) and is never executed.

Running (:func:`run_tool_call`): read-only tools (``list_calendar_events``,
``find_free_slot``) run directly; ``create_*`` only return a draft for the user to
confirm — nothing is written here (see ``assistant.core.calendars.write_event``).
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from assistant.core.calendars import (
    Calendar,
    CalendarError,
    CalendarEvent,
    CalendarTask,
    EventDraft,
    Problem,
    TaskDraft,
    free_slots,
    write_event,
)
from assistant.core.dates import (
    DateError,
    get_zone,
    parse_duration,
    resolve_datetime,
    system_prompt_date_line,
)
from assistant.core.engines.base import Engine, GenerationParams

_STRING = {"type": "string"}


def _function(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


WHEN = "Date and time as the user said it (e.g. 'next Tuesday at 3pm') or ISO 8601 (2026-12-01T15:00)."

CREATE_CALENDAR_EVENT = _function(
    "create_calendar_event",
    "Propose a calendar event. The user sees it and confirms before it is saved.",
    {
        "title": {"type": "string", "description": "Short title of the event."},
        "start": {"type": "string", "description": "Start. " + WHEN},
        "end": {"type": "string", "description": "End (optional). " + WHEN},
        "duration_minutes": {"type": "integer", "description": "Length in minutes, if no end is given. Default 60."},
        "timezone": {"type": "string", "description": "IANA time zone (e.g. Europe/Berlin); default: the user's."},
        "location": {"type": "string"},
        "attendees": {"type": "array", "items": _STRING, "description": "E-mail addresses of people to invite."},
        "description": {"type": "string"},
        "reminder_minutes": {"type": "integer", "description": "Reminder this many minutes before the start."},
    },
    ["title", "start"],
)
LIST_CALENDAR_EVENTS = _function(
    "list_calendar_events",
    "List the user's events between two times, e.g. to answer 'what do I have on Tuesday?'.",
    {
        "start": {"type": "string", "description": "Beginning of the range. " + WHEN},
        "end": {
            "type": "string",
            "description": "End of the range (optional; default: the end of the start's day). " + WHEN,
        },
    },
    ["start"],
)
FIND_FREE_SLOT = _function(
    "find_free_slot",
    "Find free times of a given length in the user's calendar, within working hours.",
    {
        "duration_minutes": {"type": "integer", "description": "Length of the free time needed, in minutes."},
        "start": {"type": "string", "description": "Search from (default: now). " + WHEN},
        "end": {"type": "string", "description": "Search until (default: 7 days after start). " + WHEN},
        "working_hours_start": {"type": "string", "description": "Earliest time of day, HH:MM (default 09:00)."},
        "working_hours_end": {"type": "string", "description": "Latest time of day, HH:MM (default 17:00)."},
    },
    ["duration_minutes"],
)
CREATE_TASK = _function(
    "create_task",
    "Propose a to-do item (e.g. an action item from a meeting). The user confirms before it is saved.",
    {
        "title": {"type": "string", "description": "What has to be done."},
        "due": {"type": "string", "description": "Due date (optional). " + WHEN},
        "description": {"type": "string"},
    },
    ["title"],
)

TOOLS: list[dict[str, Any]] = [CREATE_CALENDAR_EVENT, LIST_CALENDAR_EVENTS, FIND_FREE_SLOT, CREATE_TASK]
TOOLS_BY_NAME: dict[str, dict[str, Any]] = {t["function"]["name"]: t["function"] for t in TOOLS}
READ_ONLY_TOOLS = frozenset({"list_calendar_events", "find_free_slot"})
MAX_CALLS_PER_REPLY = 4
MAX_TEXT_LENGTH = 20_000
MAX_PROSE_ATTEMPTS = 12  # candidate block positions tried when prose surrounds a call


@dataclass
class ToolCall:
    """One call the model asked for."""

    name: str
    arguments: dict[str, Any]
    id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:12]}")


@dataclass
class ParsedOutput:
    """A model reply split into tool calls or plain text.

    ``text``: the whole reply when there are no calls, else the prose around the calls
    (may be empty). ``rejected``: why a reply that looked like a call is not one.
    """

    calls: list[ToolCall]
    text: str
    rejected: str = ""


# ----------------------------------------------------------------------------- parsing

_SPECIAL = re.compile(r"<\|(eom_id|eot_id|end_of_text|start_header_id|end_header_id)\|>")
_PYTHON_TAG = "<|python_tag|>"
_FENCE = re.compile(r"^```(?:json|python|tool_code)?\s*\n?(.*?)\n?```$", re.DOTALL)


class _NotACall(ValueError):
    """The text is not a well-formed tool call; the message says why."""


def _call_from_object(obj: Any) -> ToolCall:
    if not isinstance(obj, dict):
        raise _NotACall("not an object")
    if isinstance(obj.get("function"), dict):  # OpenAI shape
        obj = obj["function"]
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        raise _NotACall("no tool name")
    extra = set(obj) - {"name", "parameters", "arguments", "type", "id"}
    if extra:
        raise _NotACall(f"unexpected keys {sorted(extra)}")
    arguments = obj.get("parameters", obj.get("arguments", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            raise _NotACall("arguments are not JSON") from None
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise _NotACall("arguments are not an object")
    return ToolCall(name=name, arguments=arguments)


def _parse_json_block(text: str) -> list[ToolCall]:
    """JSON object, JSON list, or objects separated by ';' / new lines, and nothing else."""
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    position = 0
    text = text.strip()
    if not text or text[0] not in "[{":
        raise _NotACall("not JSON")
    while position < len(text):
        try:
            value, end = decoder.raw_decode(text, position)
        except (ValueError, RecursionError):
            raise _NotACall("incomplete or invalid JSON") from None
        items = value if isinstance(value, list) else [value]
        if not items:
            raise _NotACall("empty list")
        calls.extend(_call_from_object(item) for item in items)
        position = end
        separator = re.compile(r"\s*;?\s*").match(text, position)
        position = separator.end() if separator else position
    return calls


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _NotACall("argument is not a plain value") from None


def _call_from_node(node: ast.AST) -> ToolCall:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise _NotACall("not a plain function call")
    if node.args:
        raise _NotACall("positional arguments")
    arguments: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise _NotACall("**arguments")
        arguments[keyword.arg] = _literal(keyword.value)
    return ToolCall(name=node.func.id, arguments=arguments)


def _parse_pythonic(text: str) -> list[ToolCall]:
    """``[f(a="x"), g(b=2)]``, ``f(a="x")`` or such calls on separate lines; keyword literals only, via ast."""
    text = text.strip()
    if not re.match(r"^\[?\s*[A-Za-z_]\w*\s*\(", text):
        raise _NotACall("not a pythonic call")
    try:
        tree = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise _NotACall("incomplete or invalid call syntax") from None
    nodes: list[ast.AST] = []
    for statement in tree.body:
        if not isinstance(statement, ast.Expr):
            raise _NotACall("not a call expression")
        value = statement.value
        nodes.extend(value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value])
    if not nodes:
        raise _NotACall("empty list")
    return [_call_from_node(node) for node in nodes]


def _parse_python_dict(text: str) -> list[ToolCall]:
    """``{'name': ..., 'parameters': {...}}`` written as a Python literal (single quotes), via literal_eval."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _NotACall("incomplete or invalid JSON") from None
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _NotACall("empty list")
    return [_call_from_object(item) for item in items]


def _parse_block(text: str) -> list[ToolCall]:
    text = text.strip()
    fence = _FENCE.match(text)
    if fence:
        text = fence.group(1).strip()
    if text.startswith(_PYTHON_TAG):  # several calls may each carry the tag
        text = text[len(_PYTHON_TAG) :].replace(_PYTHON_TAG, "\n").strip()
    if text[:1] in "{[":
        try:
            return _parse_json_block(text)
        except _NotACall as json_error:
            try:
                return _parse_python_dict(text)
            except _NotACall:
                if text[:1] == "{":
                    raise json_error from None
    return _parse_pythonic(text)


def _check_names(calls: list[ToolCall]) -> list[ToolCall]:
    for call in calls:
        if call.name not in TOOLS_BY_NAME:
            raise _NotACall(f"unknown tool '{call.name}'")
    if len(calls) > MAX_CALLS_PER_REPLY:
        raise _NotACall(f"{len(calls)} calls in one reply (at most {MAX_CALLS_PER_REPLY})")
    return calls


def _mentions_tool(text: str) -> bool:
    lowered = text.lower()
    return any(name in lowered for name in TOOLS_BY_NAME) or '"name"' in lowered or _PYTHON_TAG in text


def _block_with_prose(text: str) -> tuple[list[ToolCall], str] | None:
    """One call block at the start or the end of the text, the rest prose without tool names."""
    candidates: list[tuple[list[ToolCall], str]] = []
    starts = [m.start() for m in re.finditer(r"```|<\|python_tag\|>|[\[{]|(?m:^)[A-Za-z_]\w*\(", text)]
    for start in starts[:MAX_PROSE_ATTEMPTS]:  # block at the end, prose before
        if start == 0:
            continue
        try:
            calls = _parse_block(text[start:])
        except _NotACall:
            continue
        candidates.append((calls, text[:start]))
        break
    ends = [m.end() for m in re.finditer(r"```|[\]})]", text)]
    for end in list(reversed(ends))[:MAX_PROSE_ATTEMPTS]:  # block at the start, prose after
        if end == len(text):
            continue
        try:
            calls = _parse_block(text[:end])
        except _NotACall:
            continue
        candidates.append((calls, text[end:]))
        break
    valid = [(calls, prose) for calls, prose in candidates if not _mentions_tool(prose)]
    if len(valid) != 1 or len(candidates) != 1:
        return None
    return valid[0]


def parse_model_output(text: str) -> ParsedOutput:
    """Split a model reply into tool calls, or keep it as plain text with the reason."""
    cleaned = _SPECIAL.sub("", text or "").strip()
    if not cleaned or len(cleaned) > MAX_TEXT_LENGTH:
        return ParsedOutput([], text or "")
    looks_like_call = _mentions_tool(cleaned) or cleaned[:1] in "[{"
    try:
        return ParsedOutput(_check_names(_parse_block(cleaned)), "")
    except _NotACall as exc:
        reason = str(exc)
    if _PYTHON_TAG in cleaned:
        before, after = cleaned.split(_PYTHON_TAG, 1)
        try:
            return ParsedOutput(_check_names(_parse_block(after)), before.strip())
        except _NotACall as exc:
            return ParsedOutput([], text, f"after <|python_tag|>: {exc}")
    if looks_like_call:
        found = _block_with_prose(cleaned)
        if found is not None:
            try:
                return ParsedOutput(_check_names(found[0]), found[1].strip())
            except _NotACall as exc:
                reason = str(exc)
        return ParsedOutput([], text, reason)
    return ParsedOutput([], text)


def parse_tool_calls(text: str) -> list[ToolCall]:
    """The tool calls in a model reply; an empty list means plain text (nothing to run)."""
    return parse_model_output(text).calls


# -------------------------------------------------------------------------- validation

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def validate_arguments(call: ToolCall) -> tuple[dict[str, Any], list[str]]:
    """Check arguments against the tool's schema. Returns (cleaned arguments, problems).

    Lenient where small models are sloppy: numbers given as strings ("30") become
    integers, a single attendee string becomes a list, empty optional values are dropped.
    Unknown argument names are problems (they would otherwise be silently lost).
    """
    schema = TOOLS_BY_NAME.get(call.name)
    if schema is None:
        return {}, [f"There is no tool called '{call.name}'."]
    properties = schema["parameters"]["properties"]
    problems: list[str] = []
    cleaned: dict[str, Any] = {}
    for key, value in call.arguments.items():
        if key not in properties:
            problems.append(f"Unknown argument '{key}' for {call.name}.")
            continue
        if value is None or value == "" or value == []:
            continue
        wanted = properties[key]["type"]
        if wanted == "integer" and isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            value = int(value)
        if wanted == "integer" and isinstance(value, float) and value.is_integer():
            value = int(value)
        if wanted == "integer" and key == "duration_minutes" and isinstance(value, str):
            try:
                value = int(parse_duration(value).total_seconds() // 60)
            except DateError:
                pass
        if wanted == "array" and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, bool) and wanted != "boolean" or not isinstance(value, _JSON_TYPES[wanted]):
            problems.append(
                f"'{key}' should be {'an' if wanted[0] in 'aeiou' else 'a'} {wanted}, not {type(value).__name__}."
            )
            continue
        if wanted == "array" and not all(isinstance(item, str) for item in value):
            problems.append(f"'{key}' should be a list of strings.")
            continue
        if wanted == "string" and len(value) > 2000:
            problems.append(f"'{key}' is too long.")
            continue
        cleaned[key] = value
    for key in schema["parameters"]["required"]:
        if key not in cleaned:
            problems.append(f"'{key}' is required for {call.name}.")
    return cleaned, problems


# ----------------------------------------------------------------------------- running


@dataclass
class ToolOutcome:
    """What running a call produced.

    ``result`` goes back to the model (see :func:`tool_result_message`); for create_* it
    is None until the user decided — then use :func:`confirmation_result`. ``draft`` is
    the proposal for the confirmation card. ``error`` is set when the call was refused.
    """

    call: ToolCall
    result: dict[str, Any] | None = None
    draft: EventDraft | TaskDraft | None = None
    error: str = ""

    @property
    def needs_confirmation(self) -> bool:
        return self.draft is not None


def _range(
    arguments: dict[str, Any], now: datetime, zone: str, default_length: timedelta | None
) -> tuple[datetime, datetime]:
    """The [start, end) asked for. A date-only end includes that whole day. Without an end:
    ``default_length`` after the start, or (None) up to the end of the start's day."""
    start_text = arguments.get("start")
    if start_text:
        start_result = resolve_datetime(start_text, now, zone)
        if not start_result.ok:
            raise DateError(f"start: {start_result.reason}")
        start = start_result.value
    else:
        start = now.astimezone(get_zone(zone))
    assert start is not None
    end_text = arguments.get("end")
    if end_text:
        end_result = resolve_datetime(end_text, now, zone)
        if not end_result.ok:
            raise DateError(f"end: {end_result.reason}")
        assert end_result.value is not None
        end = end_result.value + (timedelta(days=1) if end_result.date_only else timedelta(0))
    elif default_length is not None:
        end = start + default_length
    else:
        tz = get_zone(zone)
        end = datetime.combine(start.astimezone(tz).date() + timedelta(days=1), time(0), tz)
    if end <= start:
        raise DateError("The end of the range is not after its start.")
    if end - start > timedelta(days=366):
        raise DateError("The range is longer than a year; ask for a shorter one.")
    return start, end


def _clock(text: str | None, default: time) -> time:
    if not text:
        return default
    match = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*", str(text))
    if not match or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
        raise DateError(f"'{text}' is not a time of day like 09:00.")
    return time(int(match.group(1)), int(match.group(2) or 0))


def run_tool_call(
    call: ToolCall,
    calendar: Calendar,
    *,
    now: datetime,
    zone: str,
    others: list[Calendar] | None = None,
) -> ToolOutcome:
    """Validate and run one call. Never writes: create_* return a draft to confirm."""
    arguments, problems = validate_arguments(call)
    if problems:
        return ToolOutcome(call, result={"error": " ".join(problems)}, error=" ".join(problems))
    try:
        if call.name == "create_calendar_event":
            draft = EventDraft.from_arguments(arguments, now=now, zone=zone, calendar=calendar.name)
            try:
                draft.check_calendar(calendar, others=others)
            except CalendarError as exc:  # still show the card: the user may pick another calendar
                draft.problems.append(Problem("calendar", str(exc)))
            return ToolOutcome(call, draft=draft)
        if call.name == "create_task":
            return ToolOutcome(
                call, draft=TaskDraft.from_arguments(arguments, now=now, zone=zone, calendar=calendar.name)
            )
        if call.name == "list_calendar_events":
            start, end = _range(arguments, now, zone, None)
            events = [e for source in [calendar, *(others or [])] for e in source.list_events(start, end)]
            events.sort(key=lambda e: e.start)
            return ToolOutcome(
                call,
                result={
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "events": [e.to_dict() for e in events[:50]],
                },
            )
        if call.name == "find_free_slot":
            duration = parse_duration(arguments["duration_minutes"])
            start, end = _range(arguments, now, zone, timedelta(days=7))
            start = max(start, now)
            hours = (
                _clock(arguments.get("working_hours_start"), time(9)),
                _clock(arguments.get("working_hours_end"), time(17)),
            )
            if hours[1] <= hours[0]:
                raise DateError("Working hours must end after they start.")
            events = [e for source in [calendar, *(others or [])] for e in source.list_events(start, end)]
            slots = free_slots(events, start, end, duration, get_zone(zone), hours)
            return ToolOutcome(
                call, result={"free_slots": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in slots]}
            )
    except (DateError, CalendarError) as exc:
        return ToolOutcome(call, result={"error": str(exc)}, error=str(exc))
    return ToolOutcome(call, result={"error": f"There is no tool called '{call.name}'."}, error="unknown tool")


def confirmation_result(draft: EventDraft | TaskDraft, *, saved: bool, detail: str = "") -> dict[str, Any]:
    """The tool result after the user decided on a proposal (to tell the model)."""
    if saved:
        return {"status": "saved", "uid": draft.written_uid, **draft.summary()}
    return {"status": "cancelled by the user", "detail": detail or "Nothing was saved."}


def assistant_tool_call_message(call: ToolCall) -> dict[str, Any]:
    """The assistant turn that made the call, in the shape the Llama 3.2 template renders.

    ``arguments`` stays a dict: the template writes it with ``tojson``.
    """
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
        ],
    }


def tool_result_message(call: ToolCall, result: dict[str, Any]) -> dict[str, Any]:
    """The ``role: "tool"`` message carrying a result back to the model (JSON text)."""
    return {
        "role": "tool",
        "tool_call_id": call.id,
        "name": call.name,
        "content": json.dumps(result, ensure_ascii=False),
    }


# ------------------------------------------------------------------------ conversation

SYSTEM_PROMPT = (
    "You are Llama Desk, a helpful assistant running privately on the user's computer. "
    "You can read the user's calendar and propose events and tasks with the tools. "
    "When you call a tool, answer with only the call as JSON: "
    '{"name": "<tool name>", "parameters": {...}}. '
    "Events and tasks you propose are shown to the user, who confirms them; never say an event "
    "was saved unless the tool result says so."
)

Confirm = Callable[[EventDraft | TaskDraft], "EventDraft | TaskDraft | None"]


def build_system_prompt(now: datetime, zone: str, extra: str = "", *, with_time: bool = True) -> str:
    """The system message for a chat with tools: role, call format, today's date and zone."""
    date_line = system_prompt_date_line(now, zone, with_time=with_time)
    return " ".join(part for part in (SYSTEM_PROMPT, date_line, extra) if part)


@dataclass
class TurnResult:
    """The end of one user turn: the text to show, the transcript, what was proposed and saved."""

    reply: str
    messages: list[dict[str, Any]]
    proposals: list[ToolOutcome] = field(default_factory=list)
    written: list[CalendarEvent | CalendarTask] = field(default_factory=list)
    rejected: str = ""  # why a reply that looked like a tool call was not run


def decide_proposal(
    calendar: Calendar, draft: EventDraft | TaskDraft, decision: EventDraft | TaskDraft | None
) -> tuple[dict[str, Any], CalendarEvent | CalendarTask | None]:
    """Apply the user's decision on a proposal: save it (once) or not. Returns (tool result, written)."""
    if decision is None:
        return confirmation_result(draft, saved=False), None
    if not decision.ready:
        return confirmation_result(
            decision, saved=False, detail="The user's edits still need fixing: " + " ".join(decision.questions)
        ), None
    if not decision.confirmed:
        decision.confirm()
    try:
        written = write_event(calendar, decision)
    except CalendarError as exc:
        return {"status": "not saved", "error": str(exc)}, None
    return confirmation_result(decision, saved=True), written


def chat_with_tools(
    engine: Engine,
    messages: list[dict[str, Any]],
    calendar: Calendar,
    *,
    now: datetime,
    zone: str,
    confirm: Confirm,
    params: GenerationParams | None = None,
    others: list[Calendar] | None = None,
    max_rounds: int = 4,
) -> TurnResult:
    """Run one user turn: the model may call tools; proposals go through ``confirm``.

    ``confirm(draft)`` is the user's decision: return the draft (possibly edited) to save
    it, or None to cancel. It is the only way anything is written. Read-only tools run
    directly. Each call gets its own assistant message (the Llama 3.2 template renders one
    call per message), followed by its ``tool`` result; then the model answers again.
    """
    transcript = list(messages)
    params = params or GenerationParams()
    params = replace(params, tools=params.tools or TOOLS)
    result = TurnResult(reply="", messages=transcript)
    for _ in range(max_rounds):
        reply = engine.chat(transcript, params)
        parsed = parse_model_output(reply)
        if not parsed.calls:
            result.reply = reply
            if parsed.rejected and _mentions_tool(_SPECIAL.sub("", reply)):
                result.rejected = parsed.rejected
                result.reply = (
                    "I tried to use the calendar in a way that is not allowed, so nothing was done "
                    f"({parsed.rejected}). Please rephrase your request."
                )
            transcript.append({"role": "assistant", "content": reply})
            return result
        for call in parsed.calls:
            outcome = run_tool_call(call, calendar, now=now, zone=zone, others=others)
            tool_result = outcome.result
            if outcome.draft is not None:
                result.proposals.append(outcome)
                tool_result, written = decide_proposal(calendar, outcome.draft, confirm(outcome.draft))
                if written is not None:
                    result.written.append(written)
            transcript.append(assistant_tool_call_message(call))
            transcript.append(tool_result_message(call, tool_result or {}))
    result.reply = "I could not finish this with the calendar tools. Please try again with more details."
    transcript.append({"role": "assistant", "content": result.reply})
    return result
