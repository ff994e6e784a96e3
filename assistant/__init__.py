"""Llama Desk: a private desktop assistant running Llama 3.2 locally."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed package metadata when first asked for.

    Lazy because importlib.metadata costs about a tenth of the window's start-up.
    """
    if name != "__version__":
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("llama-desk")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        version = "0.1.0"
    globals()["__version__"] = version
    return version
