"""Guards against a known-bad Qt binding: PySide6 6.12.0 dropped a reference to True on
every Python-side Signal.emit(), which crashes the interpreter at exit after enough
signals (pyproject pins PySide6-Essentials below 6.12 for this)."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    ping = Signal(str)


def test_emitting_signals_keeps_reference_counts_of_booleans(qapp):
    emitter = _Emitter()
    gc.collect()
    before = (sys.getrefcount(True), sys.getrefcount(False))
    for _ in range(50):
        emitter.ping.emit("x")
    gc.collect()
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
