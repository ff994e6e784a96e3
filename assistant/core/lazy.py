"""Lazy re-exports for the domain packages' ``__init__`` (PEP 562).

``from assistant.core.meetings import Summarizer`` works, but importing one module of a
domain (``assistant.core.audio.recordings`` at start-up, say) does not import the rest of it
(numpy, faster-whisper, the calendar stack): a name is imported the first time it is asked for.

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"summarizer": ["Summarizer"], ...})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, modules: dict[str, list[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for a package whose names live in its modules."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__, sorted(where)
