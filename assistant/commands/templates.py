"""`llama-desk templates list`: the meeting templates (built-in and the user's own) and their sections.

``--json`` prints them as a JSON list. User templates are JSON files in the data folder's
``templates`` folder (the Meetings page writes them); a file that cannot be read is named on
stderr and left out. Exit codes: 0 listed, 1 the templates folder could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.core.meetings.templates import SECTION_LABELS, list_templates


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "templates",
        help="list the meeting templates",
        description="Meeting templates: what the notes look for in a kind of meeting and which sections they show.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the built-in and your own templates")
    listing.add_argument("--json", action="store_true", help="print the templates as a JSON list")
    listing.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    try:
        templates, problems = list_templates()
    except OSError as exc:
        print(f"llama-desk: the templates folder could not be read ({exc}).", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"Note: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps([{**t.to_dict(), "builtin": t.builtin} for t in templates], ensure_ascii=False, indent=2))
        return 0
    for template in templates:
        kind = "built-in" if template.builtin else "yours"
        sections = ", ".join(SECTION_LABELS[s].lower() for s in template.sections)
        print(f"{template.name:<16} {template.label} ({kind}): {sections}")
        if template.instructions:
            print(f"{'':<16} {template.instructions}")
    return 0
