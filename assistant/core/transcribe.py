"""Speech to text with faster-whisper (CTranslate2, int8 on the CPU): files and live audio.

:class:`SpeechRecognizer` wraps one loaded model. :meth:`SpeechRecognizer.transcribe_file`
decodes wav/mp3/m4a/mp4/webm through PyAV, reports progress in audio seconds and stops
at a ``threading.Event``. :class:`LiveTranscriber` takes 16 kHz audio as it is recorded,
cuts it at pauses in speech (an energy voice-activity detector), transcribes the pieces in
order on its own thread and hands each span (text with timestamps) to ``on_text``. When
recognition falls behind real time it says so and batches several pieces per call (and
switches to a smaller model if one is given); past ``max_backlog_seconds`` it leaves the
oldest pieces to be transcribed from the recording after the meeting, so the queue is bounded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.paths import models_dir

SAMPLE_RATE = 16000
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


class TranscribeError(Exception):
    """Transcription cannot start or go on; the message is meant for the user."""


def clock(seconds: float) -> str:
    """00:01:23 (or 01:23 under an hour) for a position in the audio."""
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass
class Segment:
    """A piece of transcript with its place in the audio, in seconds."""

    start: float
    end: float
    text: str
    latency: float | None = None  # live only: seconds from the speech being recorded to this text

    @property
    def line(self) -> str:
        return f"[{clock(self.start)}] {self.text}"

    def to_dict(self) -> dict[str, Any]:
        data = {"start": round(self.start, 2), "end": round(self.end, 2), "text": self.text}
        if self.latency is not None:
            data["latency"] = round(self.latency, 3)
        return data


TranscriptSpan = Segment


@dataclass
class TranscriptionResult:
    segments: list[Segment]
    duration: float
    language: str
    cancelled: bool = False
    compute_seconds: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments).strip()

    @property
    def real_time_factor(self) -> float:
        return self.compute_seconds / self.duration if self.duration else 0.0

    def to_json(self) -> str:
        return json.dumps(
            {
                "language": self.language,
                "duration": round(self.duration, 2),
                "cancelled": self.cancelled,
                "segments": [s.to_dict() for s in self.segments],
            },
            ensure_ascii=False,
            indent=1,
        )


# --- models --------------------------------------------------------------------------------------


def physical_cores() -> int:
    try:
        import psutil

        return max(1, psutil.cpu_count(logical=False) or psutil.cpu_count() or 1)
    except Exception:
        return 1


def is_model_folder(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in MODEL_FILES)


def downloaded_speech_models() -> list[Path]:
    """Speech model folders in the models folder (as the downloader leaves them)."""
    root = models_dir()
    return sorted(p for p in root.iterdir() if is_model_folder(p))


def resolve_speech_model(spec: str | Path | None) -> Path:
    """The model folder for a path or a catalog id (downloaded into the models folder)."""
    if spec:
        path = Path(spec).expanduser()
        if is_model_folder(path):
            return path
        if path.exists():
            raise TranscribeError(
                f"{path} is not a speech model folder (it needs {', '.join(MODEL_FILES)}). "
                "Pass a faster-whisper model folder or a speech model id."
            )
        by_id = models_dir() / str(spec)
        if is_model_folder(by_id):
            return by_id
        raise TranscribeError(
            f"The speech model '{spec}' is not downloaded. Download it in the app's model settings first, "
            "or pass --stt-model with the path of a faster-whisper model folder."
        )
    found = downloaded_speech_models()
    if not found:
        raise TranscribeError(
            "No speech model is downloaded yet. Download one in the app's model settings, "
            "or pass --stt-model with the path of a faster-whisper model folder."
        )
    english = [p for p in found if p.name.endswith(".en") or "-en" in p.name]
    return (english or found)[0]


_MODEL_CACHE: dict[tuple[str, int], Any] = {}
_MODEL_LOCK = threading.Lock()


def load_whisper(path: str | Path, threads: int | None = None) -> Any:
    """A faster-whisper model, int8 on the CPU, loaded once per (folder, threads)."""
    threads = threads or physical_cores()
    key = (str(Path(path).resolve()), threads)
    with _MODEL_LOCK:
        if key not in _MODEL_CACHE:
            from faster_whisper import WhisperModel

            try:
                _MODEL_CACHE[key] = WhisperModel(
                    str(path), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True
                )
            except Exception as exc:  # a broken or incomplete model folder
                raise TranscribeError(f"The speech model in {path} could not be loaded ({exc}). Download it again.") from exc
        return _MODEL_CACHE[key]


ProgressCallback = Callable[[float, float], None]  # audio seconds done, total


class Recognizer(Protocol):
    """What :class:`LiveTranscriber` needs: 16 kHz float32 mono in, segments (from 0) out."""

    def transcribe_array(self, samples: np.ndarray) -> list[Segment]: ...


class SpeechRecognizer:
    """One faster-whisper model and how it is run."""

    def __init__(
        self, model: str | Path | None = None, *, threads: int | None = None, language: str | None = None, beam_size: int = 1
    ) -> None:
        self.path = resolve_speech_model(model)
        self.threads = threads or physical_cores()
        self.model = load_whisper(self.path, self.threads)
        multilingual = bool(getattr(self.model.model, "is_multilingual", False))
        self.language = language if multilingual else "en"
        self.beam_size = beam_size

    def _options(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "beam_size": self.beam_size,
            "condition_on_previous_text": False,
        }

    def transcribe_array(self, samples: np.ndarray) -> list[Segment]:
        segments, _ = self.model.transcribe(np.asarray(samples, dtype=np.float32), vad_filter=False, **self._options())
        return [Segment(s.start, s.end, s.text.strip()) for s in segments if s.text.strip()]

    def transcribe_file(
        self,
        path: str | Path,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        on_segment: Callable[[Segment], None] | None = None,
    ) -> TranscriptionResult:
        """The whole file's transcript; stops between segments when ``cancel`` is set."""
        path = Path(path)
        if not path.is_file():
            raise TranscribeError(f"{path} does not exist.")
        started = time.perf_counter()
        try:
            segments, info = self.model.transcribe(str(path), **self._options())
        except Exception as exc:  # PyAV cannot decode it
            raise TranscribeError(
                f"{path.name} could not be read as audio ({exc}). Use a wav, mp3, m4a, mp4 or webm file."
            ) from exc
        result = TranscriptionResult([], float(info.duration), info.language)
        if progress:
            progress(0.0, result.duration)
        try:
            for raw in segments:
                text = raw.text.strip()
                if text:
                    segment = Segment(raw.start, raw.end, text)
                    result.segments.append(segment)
                    if on_segment:
                        on_segment(segment)
                if progress:
                    progress(min(raw.end, result.duration), result.duration)
                if cancel is not None and cancel.is_set():
                    result.cancelled = True
                    break
        except Exception as exc:
            raise TranscribeError(f"Transcribing {path.name} failed part-way ({exc}).") from exc
        finally:
            close = getattr(segments, "close", None)
            if close:
                close()
        if progress and not result.cancelled:
            progress(result.duration, result.duration)
        result.compute_seconds = time.perf_counter() - started
        return result


def transcribe_file(
    path: str | Path,
    model: str | Path | None = None,
    *,
    threads: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> TranscriptionResult:
    return SpeechRecognizer(model, threads=threads).transcribe_file(path, progress=progress, cancel=cancel)


# --- voice activity ------------------------------------------------------------------------------


class EnergyVad:
    """Cuts a stream into speech pieces at pauses, from frame energy against the noise floor.

    A piece ends after ``pause_seconds`` below the threshold, or at ``max_seconds`` (then at the
    quietest frame of its last seconds, so words are rarely cut). Pieces with less than
    ``min_speech_seconds`` of speech (clicks, coughs) are dropped.
    """

    FRAME = 480  # 30 ms at 16 kHz

    def __init__(
        self,
        *,
        pause_seconds: float = 0.3,
        max_seconds: float = 12.0,
        min_speech_seconds: float = 0.3,
        preroll_seconds: float = 0.3,
        floor_margin_db: float = 12.0,
        min_threshold_db: float = -55.0,
    ) -> None:
        self.pause_frames = int(pause_seconds * SAMPLE_RATE / self.FRAME)
        self.max_frames = int(max_seconds * SAMPLE_RATE / self.FRAME)
        self.min_speech_frames = int(min_speech_seconds * SAMPLE_RATE / self.FRAME)
        self.preroll_frames = int(preroll_seconds * SAMPLE_RATE / self.FRAME)
        self.floor_margin_db = floor_margin_db
        self.min_threshold_db = min_threshold_db
        self.noise_floor_db = -60.0
        self._rest = np.zeros(0, np.float32)
        self._position = 0  # samples consumed into frames
        self._frames: list[np.ndarray] = []  # the open piece (with pre-roll)
        self._levels: list[float] = []  # dB of each frame of the open piece
        self._piece_start = 0
        self._speech_frames = 0
        self._silent_run = 0
        self._preroll: list[np.ndarray] = []

    def _threshold(self) -> float:
        return max(self.noise_floor_db + self.floor_margin_db, self.min_threshold_db)

    def push(self, samples: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """Feed samples; returns the pieces that closed, as (start seconds, samples)."""
        data = np.concatenate([self._rest, samples]) if self._rest.size else samples
        whole = len(data) // self.FRAME * self.FRAME
        self._rest = data[whole:].copy()
        closed = []
        for i in range(0, whole, self.FRAME):
            piece = self._frame(data[i : i + self.FRAME])
            if piece is not None:
                closed.append(piece)
        return closed

    def _frame(self, frame: np.ndarray) -> tuple[float, np.ndarray] | None:
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64))))
        db = 20 * np.log10(rms) if rms > 1e-9 else -120.0
        speech = db > self._threshold()
        if not speech:  # follow the floor down fast, up slowly
            self.noise_floor_db += (db - self.noise_floor_db) * (0.3 if db < self.noise_floor_db else 0.02)
        start = self._position
        self._position += len(frame)
        if not self._frames:
            if speech:
                self._frames = [*self._preroll, frame]
                self._levels = [-120.0] * len(self._preroll) + [db]
                self._piece_start = start - sum(len(f) for f in self._preroll)
                self._speech_frames, self._silent_run = 1, 0
                self._preroll = []
            else:
                self._preroll = (self._preroll + [frame])[-self.preroll_frames :] if self.preroll_frames else []
            return None
        self._frames.append(frame)
        self._levels.append(db)
        if speech:
            self._speech_frames += 1
            self._silent_run = 0
        else:
            self._silent_run += 1
        if self._silent_run >= self.pause_frames:
            return self._close(len(self._frames))
        if len(self._frames) >= self.max_frames:
            window = self._levels[-self.max_frames // 4 :]
            return self._close(len(self._frames) - len(window) + int(np.argmin(window)) + 1)
        return None

    def _close(self, keep: int) -> tuple[float, np.ndarray] | None:
        """Close the piece after its first ``keep`` frames; the rest opens the next piece."""
        frames, rest = self._frames[:keep], self._frames[keep:]
        levels_rest = self._levels[keep:]
        start = self._piece_start
        threshold = self._threshold()
        speech = sum(1 for level in self._levels[:keep] if level > threshold)
        self._frames, self._levels = rest, levels_rest
        self._piece_start = start + sum(len(f) for f in frames)
        self._speech_frames = sum(1 for level in levels_rest if level > threshold)
        self._silent_run = 0
        if not rest:
            self._speech_frames = 0
        if speech < self.min_speech_frames:
            return None
        return start / SAMPLE_RATE, np.concatenate(frames)

    def flush(self) -> list[tuple[float, np.ndarray]]:
        """Close the open piece at the end of the stream."""
        if self._rest.size and self._frames:
            self._frames.append(self._rest)
        self._rest = np.zeros(0, np.float32)
        if not self._frames:
            return []
        piece = self._close(len(self._frames))
        return [piece] if piece else []


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

    Call :meth:`feed` (from any thread, e.g. as a :class:`~assistant.core.recording.Recorder`
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

    # -- input side --------------------------------------------------------------------------
    def feed(self, samples: np.ndarray, start: float | None = None) -> None:
        """Add recorded samples (``start`` is ignored: time is counted from the samples fed)."""
        now = time.monotonic()
        pieces = self.vad.push(np.asarray(samples, dtype=np.float32))
        self._fed_seconds += len(samples) / SAMPLE_RATE
        if pieces:
            self._enqueue([_Piece(s, a, now) for s, a in pieces])

    __call__ = feed  # usable directly as a Recorder listener

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
            return batch

    def _run(self) -> None:
        try:
            while True:
                batch = self._take_batch()
                if batch is None:
                    return
                self._transcribe(batch)
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
            span = Segment(start, max(start, end), segment.text, latency=now - batch[index].recorded_at)
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
        from assistant.core.wav_writer import read_wav_range

        for start, end in self.stats.skipped:
            piece = read_wav_range(self.audio_file, start, end)
            for segment in self.recognizer.transcribe_array(piece):
                self._emit(Segment(start + segment.start, start + segment.end, segment.text))
        self.spans.sort(key=lambda s: s.start)
