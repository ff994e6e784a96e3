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
from dataclasses import dataclass, field
from typing import Any

from assistant.core.chat.tools import TOOLS_BY_NAME

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
# The same tokens where a model writes them: at the start, at the end, or before the next call.
# Inside an argument ("note": "<|eot_id|>") they are data and stay.
_SPECIAL_AT_EDGES = re.compile(rf"\A(?:\s*{_SPECIAL.pattern})+|(?:{_SPECIAL.pattern}\s*)+(?=<\|python_tag\|>|\Z)")
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


def mentions_tool(reply: str) -> bool:
    """Whether a reply talks about the tools (so a refused call in it is worth telling the user about)."""
    return _mentions_tool(_SPECIAL.sub("", reply))


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
    cleaned = _SPECIAL_AT_EDGES.sub("", text or "").strip()
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

