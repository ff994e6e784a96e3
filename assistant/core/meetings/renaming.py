"""Renaming a speaker of one meeting: the transcript's lines, then the notes that name them.

A recording with both sources calls its speakers "You" and "Others", and an imported transcript
has whatever names it came with; the user renames them per meeting. :func:`rename_speaker_in_meeting`
renames the speaker's lines in the transcript text (:func:`~assistant.core.audio.speakers.rename_speaker_in_text`),
the structured notes' action-item owners and proposed-event attendees equal to the old name
(:func:`rename_in_notes`), and the notes' Markdown line by line (:func:`rename_in_markdown`): a
line is replaced only where it is exactly the line the app wrote for that item, so notes the user
edited keep every word they wrote, and lines they changed are counted and left as they are.
Nothing asks the model again. A name already used merges the two speakers.

A new name must read back as a speaker (:func:`check_speaker_name`): one line, no colon (it ends
the name in ``[hh:mm:ss] Name: text``), the short-name form the transcript reader accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.core.audio.speakers import rename_speaker_in_text
from assistant.core.meetings.notes import MeetingNotes, action_line, event_line
from assistant.core.meetings.templates import shown_notes
from assistant.core.meetings.transcript import parse_transcript, split_speaker


class SpeakerNameError(ValueError):
    """A speaker's new name cannot be used; the message is meant for the user."""


def check_speaker_name(name: str) -> str:
    """``name`` with its spaces tidied, or :class:`SpeakerNameError` saying why it cannot be used."""
    if "\n" in name or "\r" in name:
        raise SpeakerNameError("A speaker's name must fit on one line.")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise SpeakerNameError("A speaker needs a name: type the new name.")
    if ":" in cleaned:
        raise SpeakerNameError(f"“{cleaned}” has a colon: in the transcript a colon ends the speaker's name. Leave it out.")
    if split_speaker(f"{cleaned}: x") != (cleaned, "x"):
        raise SpeakerNameError(
            f"“{cleaned}” would not be read back as a speaker: use up to four words of at most 39 characters "
            "that start with a letter (letters, digits, spaces, . ' and - only)."
        )
    return cleaned


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _changed_lines(before: str, after: str) -> int:
    return sum(x != y for x, y in zip(before.split("\n"), after.split("\n"), strict=False))


def transcript_speakers(transcript: str) -> list[str]:
    """The speakers that can be renamed, in order of first appearance: those that begin lines of
    the transcript as ``[hh:mm:ss] Name:`` or ``Name:``."""
    names = parse_transcript(transcript).speakers
    return [name for name in names if rename_speaker_in_text(transcript, name, name + "_") != transcript]


def rename_in_notes(notes: MeetingNotes, old: str, new: str) -> tuple[MeetingNotes, int]:
    """A copy of ``notes`` with owners and attendees equal to ``old`` (spaces and case aside)
    called ``new``, and how many were renamed. An event's attendees are merged when ``new`` is
    already one of them; other text (summary, tasks) is left as it is."""
    count = 0
    items = []
    for item in notes.action_items:
        if item.owner and _same(item.owner, old):
            item, count = replace(item, owner=new), count + 1
        items.append(item)
    events = []
    for event in notes.proposed_events:
        people: list[str] = []
        for person in event.attendees:
            if _same(person, old):
                person, count = new, count + 1
            if not any(_same(person, known) for known in people):
                people.append(person)
        events.append(replace(event, attendees=people))
    return replace(notes, action_items=items, proposed_events=events), count


_CHECKBOX = re.compile(r"^- \[[ xX]\] ")


def _matches(line: str, written: str) -> bool:
    """Whether a Markdown line is still the app's line (a ticked box counts as the same line)."""
    line = line.rstrip()
    if line == written:
        return True
    return bool(_CHECKBOX.match(line) and _CHECKBOX.match(written)) and line[6:] == written[6:]


def rename_in_markdown(markdown: str, before: MeetingNotes, after: MeetingNotes) -> tuple[str, int, int]:
    """``markdown`` with each line written for an item of ``before`` that differs in ``after``
    replaced by the line for ``after`` (its checkbox kept); returns the text, the lines replaced,
    and the items whose line was not found (the user changed or removed it: left as it is)."""
    pairs = [(action_line(a), action_line(b)) for a, b in zip(before.action_items, after.action_items, strict=True)]
    pairs += [(event_line(a), event_line(b)) for a, b in zip(before.proposed_events, after.proposed_events, strict=True)]
    pairs = list(dict.fromkeys((old, new) for old, new in pairs if old != new))  # identical items: one line each
    lines = markdown.split("\n")
    done: set[int] = set()  # a line is rewritten once
    missing = 0
    for written, renamed in pairs:
        found = [i for i, line in enumerate(lines) if i not in done and _matches(line, written)]
        for index in found:
            box = lines[index][:6] if _CHECKBOX.match(lines[index]) else ""
            lines[index] = box + renamed[len(box) :]
        done.update(found)
        missing += not found
    replaced = len(done)
    return "\n".join(lines), replaced, missing


@dataclass
class SpeakerRename:
    """What renaming a speaker changed; :meth:`message` tells the user."""

    old: str
    new: str
    transcript: str
    lines: int  # transcript lines renamed
    merged: bool  # ``new`` already spoke in the transcript
    notes: MeetingNotes | None
    names_in_notes: int  # owners and attendees renamed
    markdown: str
    markdown_lines: int  # Markdown lines rewritten
    left_as_is: int  # items whose line the user's edited notes no longer hold as written
    edited: bool

    def message(self) -> str:
        parts = [f"Renamed “{self.old}” to “{self.new}” on {_count(self.lines, 'line')} of the transcript."]
        if self.merged:
            parts.append(f"{self.new} already spoke in it: the two are one speaker now.")
        if self.names_in_notes:
            parts.append(f"Owners and attendees renamed in the notes: {self.names_in_notes}.")
        if self.edited and self.markdown:
            if self.left_as_is:
                parts.append(
                    f"Your edited notes: {_count(self.left_as_is, 'line')} naming “{self.old}” that you changed "
                    "stayed as you wrote them."
                )
            elif not self.markdown_lines:
                parts.append("Your edited notes stayed as you wrote them.")
        elif self.markdown and self.notes is None:
            parts.append("The notes hold no owners to rename; they stayed as they are.")
        return " ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"1 {noun}" if number == 1 else f"{number} {noun}s"


def rename_speaker_in_meeting(
    transcript: str,
    old: str,
    new: str,
    *,
    notes: MeetingNotes | None = None,
    markdown: str = "",
    edited: bool = False,
    sections: tuple[str, ...] | None = None,
) -> SpeakerRename:
    """Rename ``old`` to ``new`` in a meeting's transcript, structured notes and notes' Markdown.

    ``sections`` are the note sections the Markdown shows (the template's; None: all), so that
    items it hides are not looked for. Raises :class:`SpeakerNameError` for a name that cannot
    be used, a speaker not in the transcript, or no change; then nothing is changed.
    """
    new = check_speaker_name(new)
    speakers = transcript_speakers(transcript)
    if old not in speakers:
        raise SpeakerNameError(f"No line of the transcript is by “{old}”.")
    if new == old:
        raise SpeakerNameError(f"The speaker is already called “{old}”.")
    merged_with = next((name for name in speakers if name != old and _same(name, new)), None)
    new = merged_with or new  # "ruth" joins the "Ruth" already there
    renamed_text = rename_speaker_in_text(transcript, old, new)
    result = SpeakerRename(
        old=old,
        new=new,
        transcript=renamed_text,
        lines=_changed_lines(transcript, renamed_text),
        merged=merged_with is not None,
        notes=notes,
        names_in_notes=0,
        markdown=markdown,
        markdown_lines=0,
        left_as_is=0,
        edited=edited,
    )
    if notes is None:
        return result
    result.notes, result.names_in_notes = rename_in_notes(notes, old, new)
    if result.names_in_notes and markdown:
        show = (lambda n: shown_notes(n, sections)) if sections is not None else (lambda n: n)
        result.markdown, result.markdown_lines, result.left_as_is = rename_in_markdown(markdown, show(notes), show(result.notes))
    return result
