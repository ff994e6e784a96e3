"""The local engine: a GGUF model run in-process by llama-cpp-python.

One ``Llama`` instance lives as long as the model is loaded, so a new turn only
evaluates the tokens after the prompt prefix already in the KV cache. Prompts are
rendered with the chat template stored in the GGUF file.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from assistant.core.engines.base import (
    ContextOverflowError,
    Engine,
    EngineError,
    GenerationParams,
    GenerationStats,
    LoadInfo,
    Message,
    ModelFileError,
    ProgressCallback,
    common_prefix_length,
)
from assistant.core.engines.gguf import check_model_file
from assistant.core.engines.scheduler import PreemptibleStop
from assistant.core.models.hardware import physical_cores

#: Background prompts are evaluated in slices of about this many seconds (see LlamaCppEngine._prefill).
BACKGROUND_SLICE_SECONDS = 0.25
MIN_SLICE = 16

# Used only when a GGUF carries no chat template of its own.
FALLBACK_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class LlamaCppEngine(Engine):
    """Runs a GGUF model on this computer.

    Defaults: threads = physical cores minus one (see :func:`default_threads`); ``use_mmap=False`` so weights repacked at load
    time do not sit beside a still-resident mapped copy of the file (about a third
    less memory for Q4 builds at the same speed); all layers offloaded to a GPU when
    this build of llama.cpp can offload.
    """

    kind = "local"
    constrained_output = True  # json_schema becomes a llama.cpp grammar

    def __init__(
        self,
        *,
        n_threads: int | None = None,
        use_mmap: bool = False,
        n_gpu_layers: int | Callable[[], int | None] | None = None,
        n_batch: int = 512,
        prefill_slice: int = 512,
    ) -> None:
        """``n_gpu_layers``: None offloads everything when this llama.cpp can, -1 all, 0 none, N layers;
        or a function asked at every load (the app passes the GPU setting, so a change applies next load)."""
        super().__init__()
        self.n_threads = n_threads or default_threads()
        self.use_mmap = use_mmap
        self.n_gpu_layers = n_gpu_layers
        self.n_batch = n_batch
        self.prefill_slice = max(1, min(prefill_slice, n_batch))
        self._prefill_rate: float | None = None  # prompt tokens a second, measured while slicing
        self._llm: Any = None
        self._formatter: Any = None
        self._bos_id: int | None = None

    # -- loading --------------------------------------------------------------
    def load(self, path: str | Path, *, n_ctx: int = 8192, progress: ProgressCallback | None = None) -> LoadInfo:
        summary = check_model_file(path)
        import llama_cpp  # heavy: imported only when a model is loaded
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        from assistant.core.engines.backends import load_backends

        load_backends()  # installer builds: pick the CPU variant for this processor first

        self.unload()  # before the new load: two models rarely fit in memory. A failure below leaves none loaded.
        if progress:
            progress(0.0)
        started = time.perf_counter()
        trained_ctx = summary.context_length
        if trained_ctx:
            n_ctx = min(n_ctx, trained_ctx)
        total_layers = int(summary.get("{arch}.block_count", 0) or 0) + 1
        gpu_layers = offloaded_layers(self.n_gpu_layers() if callable(self.n_gpu_layers) else self.n_gpu_layers,
                                      bool(llama_cpp.llama_supports_gpu_offload()), total_layers)
        try:
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_batch=self.n_batch,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_gpu_layers=gpu_layers,
                use_mmap=self.use_mmap,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelFileError(
                f"llama.cpp could not load {Path(path).name} (architecture '{summary.architecture}'): {exc}. "
                "The file may be damaged or made for a newer llama.cpp; try another build. "
                "No model is loaded now (the previous one was unloaded first)."
            ) from None
        self._llm = llm
        template = summary.chat_template or FALLBACK_TEMPLATE
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._token_text(llm.token_eos()),
            bos_token=self._token_text(llm.token_bos()),
        )
        self._bos_id = llm.token_bos() if llm._model.add_bos_token() else None
        self.info = LoadInfo(
            model_name=summary.name,
            path=str(path),
            n_ctx=llm.n_ctx(),
            n_threads=self.n_threads,
            load_seconds=time.perf_counter() - started,
            architecture=summary.architecture,
            file_size=summary.file_size,
            gpu_layers=gpu_layers,
            total_layers=total_layers,
        )
        if progress:
            progress(1.0)
        return self.info

    def _token_text(self, token: int) -> str:
        if token is None or token < 0:
            return ""
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def unload(self) -> None:
        if self._llm is not None:
            self._llm.close()
        self._llm = None
        self._formatter = None
        super().unload()

    def _free(self) -> bool:
        """Idle unload: the weights and the KV cache go; :meth:`restore` loads the same file again."""
        if self._llm is None:
            return False
        self._llm.close()
        self._llm = None
        return True

    def _require_model(self) -> Any:
        if self._llm is None:
            if self.released:
                raise EngineError("The model was unloaded while idle; it loads again with the next request.")
            raise EngineError("No model is loaded.")
        return self._llm

    # -- tokens ---------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        return len(self._require_model().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def render_prompt(self, messages: list[Message], params: GenerationParams | None = None) -> str:
        """The prompt text the chat template makes of these messages."""
        self._require_model()
        params = params or GenerationParams()
        try:
            response = self._formatter(
                messages=messages,
                tools=params.tools,
                date_string=date.today().strftime("%d %b %Y"),
            )
        except Exception as exc:  # a broken template must not take the app down
            raise EngineError(f"The model's chat template failed to render: {exc}") from None
        return response.prompt

    def prompt_tokens(self, messages: list[Message], params: GenerationParams | None = None) -> list[int]:
        llm = self._require_model()
        tokens = llm.tokenize(self.render_prompt(messages, params).encode("utf-8"), add_bos=False, special=True)
        if self._bos_id is not None and (not tokens or tokens[0] != self._bos_id):
            tokens.insert(0, self._bos_id)
        return tokens

    def count_prompt_tokens(self, messages: list[Message], params: GenerationParams | None = None) -> int:
        return len(self.prompt_tokens(messages, params))

    def cached_prefix(self, tokens: list[int]) -> int:
        """How many leading tokens of ``tokens`` are already in the KV cache."""
        llm = self._require_model()
        cached = llm.input_ids[: llm.n_tokens]
        return common_prefix_length(cached, tokens)

    # -- generation -----------------------------------------------------------
    def stream_chat(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        import llama_cpp

        llm = self._require_model()
        params = params or GenerationParams()
        started = time.perf_counter()
        tokens = self.prompt_tokens(messages, params)
        n_ctx = llm.n_ctx()
        if len(tokens) >= n_ctx:
            raise ContextOverflowError(f"The prompt has {len(tokens):,} tokens; the model's context holds {n_ctx:,}.")
        reused = self.cached_prefix(tokens)
        stats = GenerationStats(prompt_tokens=len(tokens), prompt_tokens_evaluated=len(tokens) - min(reused, len(tokens) - 1))
        self.last_stats = stats
        budget = n_ctx - len(tokens)
        max_tokens = budget if params.max_tokens is None else max(1, min(params.max_tokens, budget))
        stop_event = stop_event or threading.Event()

        def per_token(_input_ids: Any, _logits: Any) -> bool:
            # Called once for every sampled token, before it is turned into text.
            if stats.completion_tokens == 0:
                stats.time_to_first_token = time.perf_counter() - started
            stats.completion_tokens += 1
            return stop_event.is_set()

        self._prefill(llm, tokens, stop_event)
        grammar = None
        if params.json_schema is not None:
            import json

            grammar = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(params.json_schema), verbose=False)
        stream = llm.create_completion(
            tokens,
            max_tokens=max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            seed=params.seed,
            stop=list(params.stop) or None,
            stream=True,
            grammar=grammar,
            stopping_criteria=llama_cpp.StoppingCriteriaList([per_token]),
        )
        finish_reason = "stop"
        try:
            # The event is checked before asking for the next piece (a stop set by the
            # consumer costs no further token) and, by `per_token`, at every sampled token.
            while not stop_event.is_set():
                chunk = next(stream, None)
                if chunk is None:
                    break
                choice = chunk["choices"][0]
                text = choice.get("text") or ""
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
                if stop_event.is_set():
                    break
                if text:
                    stats.total_seconds = time.perf_counter() - started
                    yield text
        finally:
            stream.close()
            if stop_event.is_set():
                finish_reason = "cancelled"
            stats.finish_reason = finish_reason
            stats.total_seconds = time.perf_counter() - started

    def _prefill(self, llm: Any, tokens: list[int], stop_event: threading.Event) -> None:
        """Evaluate the prompt's uncached tokens in slices, checking ``stop_event`` between them.

        llama.cpp evaluates a prompt in one call that cannot be interrupted; in slices a stop
        waits for one slice at most. A chat's own prompt is read in slices of ``prefill_slice``
        (n_batch by default: as fast as one call); a background prompt (its stop event a
        :class:`PreemptibleStop`) in slices of about :data:`BACKGROUND_SLICE_SECONDS`, so a chat
        reply queued meanwhile waits about that long (see :mod:`assistant.core.engines.scheduler`). The slices
        evaluated stay in the KV cache: a step tried again right away starts where it ended.
        The last token is left to ``create_completion``, which needs its logits to sample.
        """
        start = self.cached_prefix(tokens)
        end = len(tokens) - 1
        size = self._background_slice() if isinstance(stop_event, PreemptibleStop) else self.prefill_slice
        if end - start <= size:
            return
        llm.n_tokens = start  # eval() drops the cache from here on
        for begin in range(start, end, size):
            if stop_event.is_set():
                return
            piece = tokens[begin : min(end, begin + size)]
            began = time.perf_counter()
            llm.eval(piece)
            seconds = time.perf_counter() - began
            if seconds > 0:
                rate = len(piece) / seconds
                self._prefill_rate = rate if self._prefill_rate is None else 0.7 * self._prefill_rate + 0.3 * rate

    def _background_slice(self) -> int:
        """Background prompts (live notes) are read in slices of about BACKGROUND_SLICE_SECONDS, so a
        chat reply queued meanwhile waits about that long at most, on a fast machine or a slow one."""
        if self._prefill_rate is None:
            return MIN_SLICE
        return max(MIN_SLICE, min(self.prefill_slice, int(self._prefill_rate * BACKGROUND_SLICE_SECONDS)))

    # -- keeping background work's cache warm ----------------------------------------------------
    def save_cache(self) -> Any:
        """The KV cache and the tokens it holds, copied (a few tens of MB), to put back with
        :meth:`restore_cache` after other work used the model: a background step then goes on
        without reading its prompt again."""
        llm = self._llm
        if llm is None or llm.n_tokens == 0:
            return None
        import ctypes

        import llama_cpp

        size = llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm._ctx.ctx, buffer, size, 0)
        if not written:
            return None
        return _SavedCache(llm, list(llm.input_ids[: llm.n_tokens]), buffer, written)

    def restore_cache(self, saved: Any) -> bool:
        """Put back what :meth:`save_cache` copied; False (and an empty cache) when that is not possible."""
        llm = self._llm
        if not isinstance(saved, _SavedCache) or llm is None or saved.llm is not llm:
            return False
        import llama_cpp

        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        llm.n_tokens = 0
        if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, saved.data, saved.size, 0) != saved.size:
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            return False
        llm.input_ids[: len(saved.tokens)] = saved.tokens
        llm.n_tokens = len(saved.tokens)
        llm._requires_eval = True  # the logits are not restored: the next prompt evaluates at least one token
        return True


@dataclass
class _SavedCache:
    llm: Any  # the Llama it came from: a reloaded model cannot take it back
    tokens: list[int]
    data: Any
    size: int


def default_threads() -> int:
    """Generation threads: the physical cores less one, at least one.

    llama.cpp's OpenMP threads meet at a barrier for every step of the graph; when the
    GUI, audio capture or speech recognition take a core the barrier waits for a time
    slice, and speed collapses (measured on 2 cores in the app's worker: 2 threads
    ~3 tokens/s, 1 thread 52 tokens/s on SmolLM2; see BENCHMARKS.md). One core is left
    for the rest of the app. ``LLAMA_DESK_THREADS`` overrides it.
    """
    override = os.environ.get("LLAMA_DESK_THREADS", "").strip()
    if override.isdigit() and int(override) > 0:
        return int(override)
    return max(1, (physical_cores() or os.cpu_count() or 1) - 1)


def offloaded_layers(requested: int | None, can_offload: bool, total_layers: int) -> int:
    """Layers to put on the GPU: none when this llama.cpp cannot offload; None (auto) and -1 mean all."""
    if not can_offload or requested == 0:
        return 0
    if requested is None or requested < 0:
        return total_layers
    return min(requested, total_layers)
