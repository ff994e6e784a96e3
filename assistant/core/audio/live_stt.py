"""Live speech to text: :class:`LiveTranscriber` takes audio as it is recorded, cuts it at pauses (:mod:`.vad`), transcribes the pieces in order on its own thread and hands each segment to ``on_text``; when recognition falls behind it batches pieces, switches to a smaller model if given one, and past ``max_backlog_seconds`` leaves the oldest pieces to the recording."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.core.audio.stt import SAMPLE_RATE, Recognizer
from assistant.core.audio.vad import EnergyVad
from assistant.core.meetings.transcript import Segment, clock

# --- live ----------------------------------------------------------------------------------------


@dataclass
class LiveStatus:
    behind: bool
    backlog_seconds: float
    message: str = ""


@dataclass
class _Piece:
    start: float
    samples: np.ndarray
    recorded_at: float  # monotonic time its last sample arrived

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


#: Silence put before and between the pieces of one recognizer call.
GAP_SECONDS = 0.3


def _buffer_seconds(pieces: list[_Piece]) -> float:
    return GAP_SECONDS + sum(p.seconds + GAP_SECONDS for p in pieces)


@dataclass
class LiveStats:
    pieces: int = 0
    calls: int = 0
    batched_calls: int = 0
    compute_seconds: float = 0.0
    skipped: list[tuple[float, float]] = field(default_factory=list)  # recording seconds left for later
    switched_model: bool = False


class LiveTranscriber:
    """Transcribes audio as it is recorded; emits spans in order to ``on_text``.

    Call :meth:`feed` (from any thread, e.g. as a :class:`~assistant.core.audio.recorder.Recorder`
    listener) with 16 kHz mono samples, :meth:`start` once, and :meth:`finish` at the end.
    """

    def __init__(
        self,
        recognizer: Recognizer,
        on_text: Callable[[Segment], None],
        *,
        on_status: Callable[[LiveStatus], None] | None = None,
        fallback: Recognizer | None = None,
        vad: EnergyVad | None = None,
        behind_seconds: float = 10.0,
        max_batch_seconds: float = 28.0,
        max_backlog_seconds: float = 90.0,
        audio_file: str | Path | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.on_text = on_text
        self.on_status = on_status
        self.fallback = fallback
        self.vad = vad or EnergyVad()
        self.behind_seconds = behind_seconds
        self.max_batch_seconds = max_batch_seconds
        self.max_backlog_seconds = max_backlog_seconds
        self.audio_file = Path(audio_file) if audio_file else None
        self.spans: list[Segment] = []
        self.stats = LiveStats()
        self.behind = False
        self.error = ""
        self._queue: list[_Piece] = []
        self._cond = threading.Condition()
        self._closed = False
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._fed_seconds = 0.0
        self._busy_from: float | None = None  # start of the batch being transcribed

    # -- input side --------------------------------------------------------------------------
    def feed(self, samples: np.ndarray, start: float | None = None) -> None:
        """Add recorded samples (``start`` is ignored: time is counted from the samples fed)."""
        now = time.monotonic()
        with self._cond:  # one step, so :attr:`settled_until` never sees a piece in between
            pieces = self.vad.push(np.asarray(samples, dtype=np.float32))
            if pieces:
                self._enqueue([_Piece(s, a, now) for s, a in pieces])
            self._fed_seconds += len(samples) / SAMPLE_RATE

    __call__ = feed  # usable directly as a Recorder listener

    @property
    def settled_until(self) -> float:
        """Recording seconds before which every word fed has been handed to ``on_text`` (endless
        once recognition has stopped with an error: nothing more will come)."""
        if self.error:
            return float("inf")
        with self._cond:
            times = [self._fed_seconds]
            if self.vad.open_since is not None:
                times.append(self.vad.open_since)
            if self._queue:
                times.append(self._queue[0].start)
            if self._busy_from is not None:
                times.append(self._busy_from)
            return min(times)

    def _enqueue(self, pieces: list[_Piece]) -> None:
        with self._cond:
            self._queue.extend(pieces)
            self.stats.pieces += len(pieces)
            self._bound_backlog()
            self._cond.notify()

    def _backlog(self) -> float:
        return sum(p.seconds for p in self._queue)

    def _bound_backlog(self) -> None:
        """Past the limit, leave the oldest pieces for the pass over the file after the meeting."""
        skipped = []
        while len(self._queue) > 1 and self._backlog() > self.max_backlog_seconds:
            piece = self._queue.pop(0)
            skipped.append((piece.start, piece.start + piece.seconds))
        if skipped:
            self.stats.skipped.extend(skipped)
            self._status(
                True,
                f"Live transcript skipped {clock(skipped[0][0])}–{clock(skipped[-1][1])} to catch up; "
                "that part is transcribed from the recording when you stop.",
            )

    # -- worker ------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-transcriber", daemon=True)
        self._thread.start()

    def _status(self, behind: bool, message: str = "") -> None:
        self.behind = behind
        if self.on_status:
            self.on_status(LiveStatus(behind, self._backlog(), message))

    def _take_batch(self) -> list[_Piece] | None:
        with self._cond:
            while not self._queue and not self._closed and not self._cancel.is_set():
                self._cond.wait(0.5)
            if self._cancel.is_set() or not self._queue:
                return None
            backlog = self._backlog()
            if backlog > self.behind_seconds and not self.behind:
                self._status(True, "Speech recognition is behind real time; catching up with larger batches.")
            elif self.behind and backlog <= self.behind_seconds / 2:
                self._status(False)
            batch = [self._queue.pop(0)]
            if self.behind:  # many pieces per call: the model's per-call cost is paid once
                while self._queue and _buffer_seconds([*batch, self._queue[0]]) <= self.max_batch_seconds:
                    batch.append(self._queue.pop(0))
            self._busy_from = batch[0].start
            return batch

    def _run(self) -> None:
        try:
            while True:
                batch = self._take_batch()
                if batch is None:
                    return
                try:
                    self._transcribe(batch)
                finally:
                    with self._cond:
                        self._busy_from = None
                if self.behind and self.fallback is not None and not self.stats.switched_model:
                    with self._cond:
                        still_behind = self._backlog() > self.behind_seconds
                    if still_behind:
                        self.recognizer, self.stats.switched_model = self.fallback, True
                        self._status(True, "Speech recognition is behind real time; switched to a smaller, faster model.")
        except Exception as exc:  # keep the recording going; the file is transcribed later
            self.error = f"Live transcription stopped ({exc}). The recording goes on and can be transcribed afterwards."
            self._status(self.behind, self.error)

    def _transcribe(self, batch: list[_Piece]) -> None:
        gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), np.float32)
        parts: list[np.ndarray] = [gap]  # leading silence: the first word is heard whole
        offsets: list[tuple[float, float, float]] = []  # (position in buffer, recording start, length)
        position = len(gap) / SAMPLE_RATE
        for piece in batch:
            offsets.append((position, piece.start, piece.seconds))
            parts += [piece.samples, gap]
            position += piece.seconds + len(gap) / SAMPLE_RATE
        started = time.perf_counter()
        segments = self.recognizer.transcribe_array(np.concatenate(parts))
        self.stats.compute_seconds += time.perf_counter() - started
        self.stats.calls += 1
        self.stats.batched_calls += len(batch) > 1
        now = time.monotonic()
        for segment in segments:
            # the piece this text overlaps most (whisper's times may reach into the gaps)
            overlaps = [min(segment.end, p + n) - max(segment.start, p) for p, _, n in offsets]
            index = int(np.argmax(overlaps))
            pos, origin, length = offsets[index]
            start = origin + min(max(0.0, segment.start - pos), length)
            end = origin + min(max(0.0, segment.end - pos), length)
            span = Segment(segment.text, start=start, end=max(start, end), latency=now - batch[index].recorded_at)
            self._emit(span)

    def _emit(self, span: Segment) -> None:
        self.spans.append(span)
        self.on_text(span)

    # -- end ---------------------------------------------------------------------------------
    def finish(self, timeout: float | None = None) -> list[Segment]:
        """The recording stopped: transcribe what is left (and skipped parts, from the file)."""
        tail = self.vad.flush()
        if tail:
            self._enqueue([_Piece(s, a, time.monotonic()) for s, a in tail])
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        else:  # never started: do it here
            self._run()
        self._transcribe_skipped()
        if self.behind:
            self._status(False)
        return self.spans

    def cancel(self) -> None:
        self._cancel.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    def _transcribe_skipped(self) -> None:
        if not self.stats.skipped or self.audio_file is None or not self.audio_file.exists():
            return
        from assistant.core.audio.wav import read_wav_range

        for start, end in self.stats.skipped:
            piece = read_wav_range(self.audio_file, start, end)
            for segment in self.recognizer.transcribe_array(piece):
                self._emit(Segment(segment.text, start=start + segment.start, end=start + segment.end))
        self.spans.sort(key=lambda s: s.start)


def transcribe_in_pieces(recognizer: Recognizer, samples: np.ndarray) -> list[Segment]:
    """A whole 16 kHz recording the way live mode hears it: cut at pauses and each piece decoded on
    its own, so each segment's times are those of its own speech (whole-file decoding, or pieces
    batched into one call, give coarser times, which two sources need to line up)."""
    spans: list[Segment] = []
    endless = float("inf")  # never "behind": no batching, nothing skipped
    live = LiveTranscriber(recognizer, spans.append, behind_seconds=endless, max_backlog_seconds=endless)
    live.feed(np.asarray(samples, dtype=np.float32))
    live.finish()
    for span in spans:
        span.latency = None
    return sorted(spans, key=lambda s: s.start or 0.0)
