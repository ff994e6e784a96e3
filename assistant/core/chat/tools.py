"""The calendar tools offered to the model: their JSON schemas (:data:`TOOLS`) and names (:data:`TOOL_NAMES`, the one set the app uses)."""

from __future__ import annotations

from typing import Any

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
        "start": {"type": "string", "description": "Beginning of the range (optional; default: now). " + WHEN},
        "end": {
            "type": "string",
            "description": "End of the range (optional; default: the end of the start's day). " + WHEN,
        },
    },
    [],
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
#: The tools' names: the one set the app uses (the chat window tells tool calls from prose with it).
TOOL_NAMES = frozenset(TOOLS_BY_NAME)
READ_ONLY_TOOLS = frozenset({"list_calendar_events", "find_free_slot"})
