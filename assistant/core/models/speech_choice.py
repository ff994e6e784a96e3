"""Choosing the speech-to-text model this machine transcribes faster than real time with.

Real-time factor (RTF: compute seconds per audio second) of faster-whisper int8 on
the CPU grows with the model's size and falls with cores. The base figure is
measured here (tiny.en int8, 2 threads: RTF ~0.05 greedy, bench/transcribe.py);
base and small scale with their size. Live notes run the LLM beside the
recognizer and needs most of the CPU, so the chosen model must stay under RTF 0.08
(under a tenth of the machine's time spent listening).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.core.models.catalog import Catalog, SpeechModel
from assistant.core.models.hardware import HardwareProfile

TINY_RTF_2_CORES = 0.05
SIZE_FACTOR = {"tiny": 1.0, "base": 2.0, "small": 6.5}
MAX_LIVE_RTF = 0.08


@dataclass
class SpeechChoice:
    model: SpeechModel
    estimated_rtf: float
    reason: str


def _size(model: SpeechModel) -> str:
    for size in SIZE_FACTOR:
        if size in model.id:
            return size
    return "small"


def estimated_rtf(model: SpeechModel, profile: HardwareProfile) -> float:
    cores = max(1, profile.physical_cores)
    slow_cpu = 1.0 if "avx2" in profile.cpu_features or profile.is_arm else 2.5
    return TINY_RTF_2_CORES * SIZE_FACTOR[_size(model)] * (2 / cores) ** 0.8 * slow_cpu


def choose_speech_model(profile: HardwareProfile, catalog: Catalog, english_only: bool = True) -> SpeechChoice:
    """The largest model of the wanted kind that keeps up with speech with room for live notes."""
    candidates = [m for m in catalog.speech if m.english_only == english_only] or list(catalog.speech)
    if not candidates:
        raise ValueError("The catalog lists no speech models.")
    candidates.sort(key=lambda m: SIZE_FACTOR[_size(m)])
    fitting = [m for m in candidates if estimated_rtf(m, profile) <= MAX_LIVE_RTF]
    model = fitting[-1] if fitting else candidates[0]
    rtf = estimated_rtf(model, profile)
    kind = "English" if model.english_only else "any language"
    reason = (
        f"{model.name}: transcribes {kind} at about {1 / rtf:.0f}× real time on {profile.physical_cores} cores, "
        "leaving room for live notes."
    )
    return SpeechChoice(model, rtf, reason)
