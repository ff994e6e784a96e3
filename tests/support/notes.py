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
