"""Choosing the engine from command-line options: a local GGUF file or a model server.

    add_engine_arguments(parser)      # --model PATH | --server URL [--server-model NAME]
    engine = engine_from_args(args)   # a loaded LlamaCppEngine or a connected RemoteEngine

The options use their own ``dest`` names (``engine_model``, ``engine_server``,
``engine_server_model``) so that a subcommand's ``--model`` does not overwrite the
top-level ``llama-desk --model PATH`` (argparse copies a subparser's defaults over the
parent's values); :func:`engine_from_args` falls back to ``args.model``, then to the model
remembered by the app. The server's API key comes from ``LLAMA_DESK_API_KEY`` or the keyring
(see :mod:`assistant.core.engines.remote`) — never from the command line, where other users
of the computer could see it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from assistant.core.engines.base import Engine, EngineError, ProgressCallback


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--model PATH``, ``--server URL`` and ``--server-model NAME`` (model and server exclude each other)."""
    group = parser.add_argument_group("model")
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        "--model", dest="engine_model", metavar="PATH", help="GGUF model file to run on this computer (default: the remembered one)"
    )
    choice.add_argument(
        "--server",
        dest="engine_server",
        metavar="URL",
        help="use an OpenAI-compatible server instead, e.g. http://127.0.0.1:8080/v1 (llama.cpp), "
        "http://127.0.0.1:11434/v1 (Ollama); API key from LLAMA_DESK_API_KEY or the keyring",
    )
    group.add_argument(
        "--server-model", dest="engine_server_model", metavar="NAME", help="model name on the server (default: the first it lists)"
    )


def load_local(path: str, n_ctx: int, *, threads: int | None = None, progress: ProgressCallback | None = None) -> Engine:
    """A GGUF file loaded with llama-cpp-python (``threads``: CPU threads, default physical cores - 1),
    with the app's GPU setting (auto, all, none or N layers), as the app loads it."""
    from assistant.core import settings
    from assistant.core.engines.llama import LlamaCppEngine

    engine = LlamaCppEngine(n_threads=threads, n_gpu_layers=settings.gpu_layers)
    engine.load(path, n_ctx=n_ctx, progress=progress)
    return engine


def engine_from_args(
    args: argparse.Namespace,
    n_ctx: int | None = None,
    *,
    progress: ProgressCallback | None = None,
    model: str | None = None,
    threads: int | None = None,
    load: Callable[..., Engine] | None = None,
) -> Engine:
    """A ready engine for these options: connected to ``--server`` or loaded from ``--model``.

    The one way ``ask``, ``summarize`` and ``bench`` build their engine. ``n_ctx``: context size
    (default: the app's context-size setting, read without opening the app's store; a server that
    reports its own context size overrides it). ``model``: the command's own model option, before
    ``--model`` and the remembered model. ``load(path, n_ctx)`` loads a local file (default
    :func:`load_local`; the commands' test seam). Raises :class:`EngineError` with a message for the user.
    """
    from assistant.core import settings

    n_ctx = n_ctx or settings.context_size()
    server = getattr(args, "engine_server", None)
    server_model = getattr(args, "engine_server_model", None)
    if server:
        from assistant.core.engines.remote import RemoteEngine

        remote = RemoteEngine(server, model=server_model)
        try:
            remote.load(server_model or "", n_ctx=n_ctx, progress=progress)
        except BaseException:
            remote.close()
            raise
        return remote
    if server_model:
        raise EngineError("--server-model needs --server URL (the address of the model server).")
    path = model or getattr(args, "engine_model", None) or getattr(args, "model", None) or settings.remembered_model()
    if not path:
        raise EngineError(
            "No model given. Pass --model PATH.gguf, or --server URL to use a model server, "
            "or open a model once in the app."
        )
    if load is not None:
        return load(path, n_ctx)
    return load_local(path, n_ctx, threads=threads, progress=progress)
