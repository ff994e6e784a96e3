"""Llama Desk: a private desktop assistant running Llama 3.2 locally."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("llama-desk")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
