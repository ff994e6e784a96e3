"""What a fake model answers when asked to extract meeting notes (the extraction schema of meetings/extract.py)."""

from __future__ import annotations

import json


def extraction_json(
    title: str = "Notes",
    summary=(),
    commitments=(),
    sessions=(),
    decisions=(),
    questions=(),
) -> str:
    """``commitments`` as (owner, task, due as said); ``sessions`` as (title, when as said)."""
    return json.dumps(
        {
            "commitments": [{"owner": o, "task": t, "due": d} for o, t, d in commitments],
            "sessions": [{"title": t, "when": w} for t, w in sessions],
            "decisions": list(decisions),
            "open_questions": list(questions),
            "summary": list(summary),
            "title": title,
        }
    )


NOT_A_PROMISE = json.dumps({"promise": False, "task": "", "due": ""})
NO_SESSION = json.dumps({"sessions": []})
SAME_TITLE = json.dumps({"title": ""})  # an empty title: the session keeps the one it has


def answering_checks(script):
    """``script`` (a list of replies or a function) for a FakeEngine, plus answers to the second look.

    The notes pipeline asks about each line that sounds like a promise or names a time
    (meetings/second_look.py); this fake says "nothing there", so the replies of ``script`` go
    to the other calls in order (the last one repeats, as FakeEngine does with a list).
    """
    from assistant.core.meetings.second_look import AGREED_SCHEMA, CHECK_SCHEMA, SESSION_SCHEMA
    from assistant.core.meetings.titles import TITLE_SCHEMA

    replies = None if callable(script) else list(script)
    taken = 0

    def run(messages, params) -> str:
        nonlocal taken
        if params.json_schema == CHECK_SCHEMA:
            return NOT_A_PROMISE
        if params.json_schema in (SESSION_SCHEMA, AGREED_SCHEMA):
            return NO_SESSION
        if params.json_schema == TITLE_SCHEMA:
            return SAME_TITLE
        if replies is None:
            return script(messages, params)
        reply = replies[min(taken, len(replies) - 1)]
        taken += 1
        return reply

    return run


def notes_calls(engine) -> list:
    """The engine's calls other than the second look's checks and title questions."""
    from assistant.core.meetings.second_look import AGREED_SCHEMA, CHECK_SCHEMA, SESSION_SCHEMA
    from assistant.core.meetings.titles import TITLE_SCHEMA

    checks = (CHECK_SCHEMA, SESSION_SCHEMA, AGREED_SCHEMA, TITLE_SCHEMA)
    return [call for call in engine.calls if call[1].json_schema not in checks]
