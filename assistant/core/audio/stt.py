"""Speech to text with faster-whisper (CTranslate2, int8 on the CPU): the model and whole files.

:class:`SpeechRecognizer` wraps one loaded model. :meth:`SpeechRecognizer.transcribe_file`
decodes wav/mp3/m4a/mp4/webm through PyAV, reports progress in audio seconds and stops
at a ``threading.Event``; the result's segments are the meetings' own
:class:`~assistant.core.meetings.transcript.Segment`, so a recorded transcript reads like an
imported one. Live audio goes through :mod:`assistant.core.audio.live_stt`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.meetings.transcript import Segment
from assistant.core.models.hardware import physical_cores
from assistant.core.paths import models_dir

SAMPLE_RATE = 16000
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


class TranscribeError(Exception):
    """Transcription cannot start or go on; the message is meant for the user."""


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
        return [Segment(s.text.strip(), start=s.start, end=s.end) for s in segments if s.text.strip()]

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
                    segment = Segment(text, start=raw.start, end=raw.end)
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


