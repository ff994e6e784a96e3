"""Turning a conversation into the prompt the model sees, within its context window.

When the history no longer fits, the oldest turns are left out of the prompt (they
stay in the user's history) and the caller gets a notice to show in the chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.engines.base import ContextOverflowError, Engine, GenerationParams, Message

DEFAULT_SYSTEM_PROMPT = (
    "You are Llama Desk, a helpful assistant that runs privately on the user's computer. "
    "Answer clearly and concisely. Use Markdown for lists, tables and code."
)

#: Roles sent to the model; others (such as "notice") are only shown to the user.
PROMPT_ROLES = ("user", "assistant", "tool")


@dataclass
class PromptPlan:
    """The messages to send and what had to be left out to fit the context."""

    messages: list[Message]
    prompt_tokens: int
    reply_budget: int
    dropped: int = 0  # earlier history messages left out of the prompt

    @property
    def notice(self) -> str | None:
        if not self.dropped:
            return None
        noun = "message" if self.dropped == 1 else "messages"
        return (
            f"The conversation is longer than the model's context, so the {self.dropped} earliest {noun} "
            "are no longer sent to the model. They stay in your history; the model will not remember them."
        )


def reply_reserve(n_ctx: int) -> int:
    """Tokens kept free for the reply: a quarter of the context, at most 1024."""
    return max(64, min(1024, n_ctx // 4))


def plan_prompt(
    engine: Engine,
    system_prompt: str,
    history: Sequence[Message],
    params: GenerationParams | None = None,
    reserve: int | None = None,
) -> PromptPlan:
    """Fit ``system_prompt`` + ``history`` into the engine's context, dropping the oldest turns.

    The newest message is always kept; if it alone does not fit, raise
    :class:`ContextOverflowError` with a message for the user.
    """
    history = [m for m in history if m.get("role") in PROMPT_ROLES]
    n_ctx = engine.context_size
    reserve = reply_reserve(n_ctx) if reserve is None else reserve
    system = [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []

    def build(dropped: int) -> list[Message]:
        return system + list(history[dropped:])

    def tokens(dropped: int) -> int:
        return engine.count_prompt_tokens(build(dropped), params)

    budget = n_ctx - reserve
    full = tokens(0)
    if full <= budget:
        return PromptPlan(build(0), full, n_ctx - full)
    last = max(0, len(history) - 1)
    smallest = tokens(last)
    if smallest > budget:
        raise ContextOverflowError(
            f"This message is too long for the model: it needs about {smallest:,} tokens and the model's "
            f"context holds {n_ctx:,} (with {reserve:,} kept for the reply). Shorten it, or use Meeting notes, "
            "which reads long text in parts."
        )
    # Fewest dropped messages that fit (token count falls as more is dropped).
    low, high = 1, last
    while low < high:
        middle = (low + high) // 2
        if tokens(middle) <= budget:
            high = middle
        else:
            low = middle + 1
    dropped = low
    # Start on a user turn so the model never sees a reply without its question.
    while dropped < last and history[dropped].get("role") != "user":
        dropped += 1
    used = tokens(dropped)
    return PromptPlan(build(dropped), used, n_ctx - used, dropped)
