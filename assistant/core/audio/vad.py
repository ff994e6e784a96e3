"""Voice activity: :class:`EnergyVad` cuts a 16 kHz stream into speech pieces at pauses, from frame energy against the noise floor."""

from __future__ import annotations

import numpy as np

from assistant.core.audio.stt import SAMPLE_RATE

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

    @property
    def open_since(self) -> float | None:
        """Where the speech piece not yet closed starts (seconds), or None when there is none."""
        return self._piece_start / SAMPLE_RATE if self._frames else None

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
