"""Guards against a known-bad Qt binding: PySide6 6.12.0 dropped a reference to True on
every Python-side Signal.emit(), which crashes the interpreter at exit after enough
signals (pyproject pins PySide6-Essentials below 6.12 for this)."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    ping = Signal(str)


EMITS = 2000


def test_emitting_signals_keeps_reference_counts_of_booleans(qapp):
    emitter = _Emitter()
    gc.collect()
    before = (sys.getrefcount(True), sys.getrefcount(False))
    for _ in range(EMITS):
        emitter.ping.emit("x")
    gc.collect()
    after = (sys.getrefcount(True), sys.getrefcount(False))
    # The bad binding loses one reference per emit (2000 here). Threads left by earlier tests
    # may still let go of a few booleans meanwhile, so only a loss in the order of the emits counts.
    assert all(abs(b - a) < EMITS // 10 for a, b in zip(before, after, strict=True)), (before, after)
