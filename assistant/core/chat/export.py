"""A conversation as Markdown: a heading, then each message under who said it.

Calendar steps are written the way the chat shows them (``display``), notices as quotes,
and replies cut short are marked, so the file reads like the window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from assistant.core.store import PARTIAL, STREAMING, Conversation, StoredMessage

ROLE_HEADINGS = {"user": "You", "assistant": "Assistant", "tool": "Calendar", "notice": "Notice"}

#: (role, content) -> the text the chat shows instead of the raw content, or None
Display = Callable[[str, str], "str | None"]


def conversation_markdown(conversation: Conversation, messages: list[StoredMessage], display: Display | None = None) -> str:
    """The whole conversation as one Markdown document (the system prompt is left out)."""
    when = datetime.fromtimestamp(conversation.created).strftime("%Y-%m-%d %H:%M") if conversation.created else ""
    lines = [f"# {conversation.title.strip() or 'Conversation'}", ""]
    if when:
        lines += [f"*Started {when}*", ""]
    for message in messages:
        shown = (display(message.role, message.content) if display else None) or message.content
        heading = ROLE_HEADINGS.get(message.role, message.role.title())
        if message.status in (PARTIAL, STREAMING):
            heading += " (cut short)"
        lines.append(f"## {heading}")
        lines.append("")
        body = shown.strip() or "…"
        if message.role == "notice":
            body = "\n".join(f"> {line}" if line else ">" for line in body.splitlines())
        lines += [body, ""]
    return "\n".join(lines).rstrip() + "\n"
