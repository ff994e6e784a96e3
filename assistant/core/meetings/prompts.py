"""What the model is told about a meeting: its moment and zone (:class:`MeetingContext`), the plain-text and condense prompts, and the fenced transcript (:func:`fence`).

The system prompt and the extraction prompt live with the extraction rules in :mod:`assistant.core.meetings.extract`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.core.dates import local_zone

# --- prompts ----------------------------------------------------------------------------------

FENCE_BEGIN = "=====BEGIN TRANSCRIPT====="
FENCE_END = "=====END TRANSCRIPT====="


def fence(text: str) -> str:
    """The transcript between the delimiters; delimiter-like runs inside it are defused."""
    safe = re.sub(r"={4,}", "==", text)
    return f"{FENCE_BEGIN}\n{safe}\n{FENCE_END}"


@dataclass
class MeetingContext:
    """What the prompt states so the model can resolve dates and pick the language."""

    meeting_time: datetime
    zone: ZoneInfo
    language: str = "auto"
    instructions: str = ""  # a meeting template's instructions (meetings/templates.py); never the rules
    known_names: tuple[str, ...] = ()  # attendees of the linked calendar event (meetings/linking.py)

    @classmethod
    def create(
        cls,
        now: datetime | None = None,
        zone: str | ZoneInfo | None = None,
        language: str = "auto",
        instructions: str = "",
        known_names: tuple[str, ...] = (),
    ) -> MeetingContext:
        """``now`` (naive: in ``zone``) defaults to the current time, ``zone`` to the computer's zone.

        ``language`` "auto" means: detect it from the transcript.
        """
        zone = ZoneInfo(zone) if isinstance(zone, str) else zone or local_zone()
        moment = now or datetime.now(zone)
        moment = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
        return cls(moment, zone, language, instructions, tuple(known_names))

    def date_line(self) -> str:
        local = self.meeting_time
        offset = local.strftime("%z")
        return (
            f"The meeting took place on {local.strftime('%A')}, {local.strftime('%Y-%m-%d')} at {local.strftime('%H:%M')}, "
            f"time zone {self.zone.key} (UTC{offset[:3]}:{offset[3:]})."
        )


def retry_note(problems: list[str]) -> str:
    listed = "; ".join(problems)[:300]
    return f"\nYour previous reply could not be used ({listed}). Reply again with only the JSON object."


# The longest retry note, for budgeting: digits and brackets tokenize densely.
RETRY_PLACEHOLDER = ["proposed_events[10].duration_minutes must be a whole number of minutes up to 1440"] * 4


def plain_user_prompt(text: str) -> str:
    return (
        f"{fence(text)}\nWrite the notes for the transcript above as plain text, not JSON: a short summary, "
        "decisions, action items with owners, open questions."
    )


def condense_user_prompt(bullets: list[str]) -> str:
    listed = "\n".join(f"- {b}" for b in bullets)
    return (
        f"These are the summary bullets of the notes of one whole meeting:\n{fence(listed)}\n"
        "Reply with a JSON object with the keys title (a short title for the whole meeting) and summary "
        "(the most important points, as fewer short bullet sentences)."
    )
