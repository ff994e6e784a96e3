"""The Engine seam: one interface for every way Llama Desk runs a model.

Implementations: :class:`assistant.core.engines.llama.LlamaCppEngine` (local GGUF via
llama-cpp-python), a remote OpenAI-compatible engine, and
:class:`assistant.core.engines.fake.FakeEngine` (scripted tokens, for tests).

Messages are OpenAI-style dicts: ``{"role": "system"|"user"|"assistant"|"tool",
"content": str}``. Streaming yields text pieces; the statistics of the finished
reply are then available from :attr:`Engine.last_stats`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

Message = dict[str, Any]
ProgressCallback = Callable[[float], None]


class EngineError(Exception):
    """A model could not be loaded or run; the message is meant for the user."""


class ModelFileError(EngineError):
    """The model file is missing, truncated, not a GGUF, or of an unsupported kind."""


class ContextOverflowError(EngineError):
    """The prompt does not fit the model's context window."""


@dataclass
class LoadInfo:
    """What the engine knows about the model it has loaded."""

    model_name: str
    path: str
    n_ctx: int
    n_threads: int
    load_seconds: float
    architecture: str = ""
    file_size: int = 0
    gpu_layers: int = 0  # layers offloaded to a GPU
    total_layers: int = 0  # repeating layers plus the output layer, when known

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def where(self) -> str:
        """Where the model runs, for the status bar: "CPU", "GPU, 29 layers" or "GPU, 10 of 29 layers"."""
        if self.gpu_layers <= 0:
            return "CPU"
        if self.total_layers and self.gpu_layers < self.total_layers:
            return f"GPU, {self.gpu_layers} of {self.total_layers} layers"
        return f"GPU, {self.gpu_layers} layers"


@dataclass
class GenerationStats:
    """Measurements of one generated reply."""

    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0  # tokens actually run through the model (prefix reuse lowers it)
    completion_tokens: int = 0
    time_to_first_token: float = 0.0  # seconds from the request to the first token
    total_seconds: float = 0.0
    finish_reason: str = "stop"  # "stop", "length" or "cancelled"

    @property
    def tokens_per_second(self) -> float:
        """Decode speed: tokens after the first, over the time after the first token."""
        decode_time = self.total_seconds - self.time_to_first_token
        if self.completion_tokens <= 1 or decode_time <= 0:
            return 0.0
        return (self.completion_tokens - 1) / decode_time

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tokens_per_second"] = self.tokens_per_second
        return data


@dataclass
class GenerationParams:
    """Sampling and output options for one reply."""

    max_tokens: int | None = None  # None: up to the end of the context
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int | None = None
    json_schema: dict[str, Any] | None = None  # constrain output to this JSON schema
    tools: list[dict[str, Any]] | None = None  # OpenAI-style tool definitions, rendered by the template
    stop: list[str] = field(default_factory=list)


def common_prefix_length(cached: Sequence[Any], new: Sequence[Any]) -> int:
    """How many leading items of ``new`` match ``cached`` (the prompt prefix a KV cache can reuse)."""
    length = 0
    for old, item in zip(cached, new, strict=False):
        if old != item:
            break
        length += 1
    return length


class Engine(ABC):
    """A chat model that streams replies token by token."""

    #: Short name of the implementation, shown in the UI ("local", "remote", "fake").
    kind: str = "engine"
    #: Whether ``GenerationParams.json_schema`` is enforced token by token (a grammar), so a
    #: reply always parses. Chat then takes the constrained path for calendar requests
    #: (:mod:`assistant.core.chat.route`) instead of free-form tool calls.
    constrained_output: bool = False

    def __init__(self) -> None:
        self.last_stats = GenerationStats()
        self.info: LoadInfo | None = None
        self._released = False

    @property
    def loaded(self) -> bool:
        return self.info is not None

    @abstractmethod
    def load(self, path: str | Path, *, n_ctx: int = 8192, progress: ProgressCallback | None = None) -> LoadInfo:
        """Load a model; raises :class:`ModelFileError` or :class:`EngineError`."""

    def unload(self) -> None:
        """Free the model."""
        self.info = None
        self._released = False

    def close(self) -> None:
        """Free the model and every connection the engine holds (its owner is done with it)."""
        self.unload()

    def release(self) -> bool:
        """Free the model's memory while it is idle, keeping :attr:`info` so :meth:`restore` brings it back.

        Returns False when there is nothing to free (a remote server keeps its own model).
        """
        if self.info is None or self.released or not self._free():
            return False
        self._released = True
        return True

    def _free(self) -> bool:
        """Free what :meth:`release` frees; False when the engine holds nothing worth freeing."""
        return False

    @property
    def released(self) -> bool:
        """Whether :meth:`release` freed the model and it was not loaded again since."""
        return getattr(self, "_released", False)

    def restore(self) -> None:
        """Load the released model again (nothing to do unless :attr:`released`)."""
        if self.released and self.info is not None:
            self.load(self.info.path, n_ctx=self.info.n_ctx)
            self._released = False

    def save_cache(self) -> object | None:
        """A copy of what the model has cached (the KV cache), for :meth:`restore_cache`; None when
        the engine keeps nothing worth saving."""
        return None

    def restore_cache(self, saved: object | None) -> bool:
        """Put back a :meth:`save_cache` copy after other work used the model; False if not possible."""
        return False

    @property
    def context_size(self) -> int:
        """The context window in tokens (0 when nothing is loaded)."""
        return self.info.n_ctx if self.info else 0

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens in plain text, without special tokens."""

    @abstractmethod
    def count_prompt_tokens(self, messages: list[Message], params: GenerationParams | None = None) -> int:
        """Tokens of the prompt these messages render to (with the chat template)."""

    @abstractmethod
    def stream_chat(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield the reply piece by piece; stop within one token once ``stop_event`` is set.

        When the iterator ends, :attr:`last_stats` describes the reply.
        """

    def chat(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> str:
        """The whole reply as one string."""
        return "".join(self.stream_chat(messages, params, stop_event))
