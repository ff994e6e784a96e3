"""Running a tool call: arguments checked against the tool's schema (:func:`validate_arguments`), read-only tools run directly, ``create_*`` only return a draft for the user to confirm (:func:`run_tool_call`); and the messages that carry a call and its result back to the model."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from assistant.core.calendars import (
    Calendar,
    CalendarError,
    EventDraft,
    Problem,
    TaskDraft,
    free_slots,
)
from assistant.core.chat.parse import ToolCall
from assistant.core.chat.tools import TOOLS_BY_NAME
from assistant.core.dates import (
    DateError,
    get_zone,
    parse_duration,
    resolve_datetime,
    resolve_period,
)

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
    """The [start, end) asked for. The start may name a period ("next week", "this afternoon",
    "between January 18 and 22"), which also gives the end. A date-only end includes that whole
    day. Otherwise: ``default_length`` after the start, or (None) up to the end of the start's day."""
    start_text = arguments.get("start")
    period_end = None
    if start_text:
        period = resolve_period(start_text, now, zone)
        if not period.ok:
            raise DateError(f"start: {period.reason}")
        start = period.start.value
        period_end = period.end.value if period.end is not None else None
    else:
        start = now.astimezone(get_zone(zone))
    assert start is not None
    end_text = arguments.get("end")
    if period_end is not None and not end_text:
        end = period_end
    elif end_text:
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
