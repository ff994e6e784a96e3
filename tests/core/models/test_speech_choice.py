"""Speech model choice by machine: faster than real time with room for live notes."""

from __future__ import annotations

import pytest

from assistant.core.models.catalog import load_catalog
from assistant.core.models.speech_choice import MAX_LIVE_RTF, choose_speech_model
from tests.support.profiles import PROFILES


@pytest.mark.parametrize(
    ("profile", "size"),
    [
        ("4 GB laptop (AVX2), little free", "tiny"),
        ("old i5 without AVX2 (8 GB)", "tiny"),
        ("16 GB laptop (AVX2)", "small"),
        ("64 GB workstation", "small"),
        ("8 GB Windows laptop", "base"),
    ],
)
def test_choice_follows_the_cores(profile, size):
    choice = choose_speech_model(PROFILES[profile], load_catalog())
    assert size in choice.model.id and choice.model.english_only
    assert choice.estimated_rtf <= MAX_LIVE_RTF or size == "tiny"
    assert "real time" in choice.reason


def test_multilingual_when_asked():
    choice = choose_speech_model(PROFILES["16 GB laptop (AVX2)"], load_catalog(), english_only=False)
    assert not choice.model.english_only
