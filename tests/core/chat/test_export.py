"""A conversation as Markdown."""

from __future__ import annotations

from assistant.core.chat.export import conversation_markdown
from assistant.core.store import PARTIAL, Conversation, StoredMessage


def test_markdown_has_each_message_under_its_speaker_and_marks_what_was_cut_short():
    conversation = Conversation(1, "Trip plans", "", created=0.0, updated=0.0)
    messages = [
        StoredMessage(1, 1, "user", "Where to?"),
        StoredMessage(2, 1, "notice", "Older turns are left out.\nSee above."),
        StoredMessage(3, 1, "tool", '{"events": []}'),
        StoredMessage(4, 1, "assistant", "Lisbon, I think", status=PARTIAL),
    ]
    text = conversation_markdown(conversation, messages, lambda role, content: "Calendar: 0 events" if role == "tool" else None)
    assert text == (
        "# Trip plans\n\n## You\n\nWhere to?\n\n## Notice\n\n> Older turns are left out.\n> See above.\n\n"
        "## Calendar\n\nCalendar: 0 events\n\n## Assistant (cut short)\n\nLisbon, I think\n"
    )
