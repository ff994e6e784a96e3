"""A scripted engine for tests: replies are given up front, tokens are words."""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from assistant.core.engines.base import (
    ContextOverflowError,
    Engine,
    EngineError,
    GenerationParams,
    GenerationStats,
    LoadInfo,
    Message,
    ProgressCallback,
    common_prefix_length,
)
from assistant.core.engines.gguf import check_model_file

Script = Sequence[str] | Callable[[list[Message], GenerationParams], str]

_TOKEN = re.compile(r"\s*\S+|\s+")


def fake_tokens(text: str) -> list[str]:
    """Split text the way FakeEngine counts it: one token per word with its leading space."""
    return _TOKEN.findall(text)


class FakeEngine(Engine):
    """Streams scripted replies word by word.

    ``replies`` is either a list used in turn (the last one repeats) or a function of
    the messages and parameters. Every request is recorded in :attr:`calls`.
    ``validate_files`` makes :meth:`load` check the file like the real engine does.
    """

    kind = "fake"

    def __init__(
        self,
        replies: Script = ("Hello from the fake engine.",),
        *,
        n_ctx: int = 2048,
        token_delay: float = 0.0,
        validate_files: bool = False,
        per_message_overhead: int = 4,
        constrained_output: bool = False,
    ) -> None:
        super().__init__()
        self.constrained_output = constrained_output  # scripts then answer the routed path's questions
        self._replies = replies
        self._reply_index = 0
        self._n_ctx = n_ctx
        self.token_delay = token_delay
        self.validate_files = validate_files
        self.per_message_overhead = per_message_overhead
        self.calls: list[tuple[list[Message], GenerationParams]] = []
        self._cached_prompt: list[str] = []
        self.loads = 0  # how many times a model was loaded (idle unload reloads)

    def load(self, path: str | Path, *, n_ctx: int | None = None, progress: ProgressCallback | None = None) -> LoadInfo:
        started = time.perf_counter()
        if self.validate_files:
            check_model_file(path)
        if progress:
            progress(1.0)
        self.info = LoadInfo(
            model_name=Path(str(path)).stem or "fake",
            path=str(path),
            n_ctx=min(n_ctx or self._n_ctx, self._n_ctx),  # like a model's trained context
            n_threads=1,
            load_seconds=time.perf_counter() - started,
            architecture="fake",
        )
        self._cached_prompt = []
        self.loads += 1
        self._released = False
        return self.info

    def _free(self) -> bool:
        self._cached_prompt = []
        return True

    def count_tokens(self, text: str) -> int:
        return len(fake_tokens(text))

    def _prompt_tokens(self, messages: list[Message]) -> list[str]:
        tokens: list[str] = []
        for message in messages:
            tokens.append(f"<{message['role']}>")
            tokens.extend(fake_tokens(str(message.get("content") or "")))
            tokens.extend(["<end>"] * max(0, self.per_message_overhead - 1))
        return tokens

    def count_prompt_tokens(self, messages: list[Message], params: GenerationParams | None = None) -> int:
        return len(self._prompt_tokens(messages))

    def _next_reply(self, messages: list[Message], params: GenerationParams) -> str:
        if callable(self._replies):
            return self._replies(messages, params)
        replies = list(self._replies)
        reply = replies[min(self._reply_index, len(replies) - 1)]
        self._reply_index += 1
        return reply

    def stream_chat(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        params = params or GenerationParams()
        if self.released:
            raise EngineError("The model was unloaded while idle; it loads again with the next request.")
        started = time.perf_counter()
        self.calls.append((copy.deepcopy(messages), params))
        prompt = self._prompt_tokens(messages)
        n_ctx = self.context_size or self._n_ctx
        if len(prompt) >= n_ctx:
            raise ContextOverflowError(f"The prompt has {len(prompt)} tokens; the context holds {n_ctx}.")
        reused = common_prefix_length(self._cached_prompt, prompt)
        stats = GenerationStats(prompt_tokens=len(prompt), prompt_tokens_evaluated=len(prompt) - reused)
        self.last_stats = stats
        reply = self._next_reply(messages, params)
        limit = n_ctx - len(prompt)
        if params.max_tokens is not None:
            limit = min(limit, params.max_tokens)
        produced: list[str] = []
        stats.finish_reason = "stop"
        for index, piece in enumerate(fake_tokens(reply)):
            if stop_event is not None and stop_event.is_set():
                stats.finish_reason = "cancelled"
                break
            if index >= limit:
                stats.finish_reason = "length"
                break
            if self.token_delay:
                time.sleep(self.token_delay)
            if index == 0:
                stats.time_to_first_token = time.perf_counter() - started
            produced.append(piece)
            stats.completion_tokens = len(produced)
            stats.total_seconds = time.perf_counter() - started
            yield piece
        stats.total_seconds = time.perf_counter() - started
        self._cached_prompt = prompt + produced
