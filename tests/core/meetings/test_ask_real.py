"""Ask about a meeting end to end on a real model (SmolLM2-135M): the answer comes from the meeting."""

from __future__ import annotations

import pytest

from assistant.core.engines.llama import LlamaCppEngine
from assistant.core.meetings.ask import ask, build_prompt
from assistant.core.meetings.transcript import load_transcript
from tests.support import TEST_DATA
from tests.support.models import ENGINE_THREADS

SHORT = (
    "[00:00:05] Ruth: Morning everyone. I finished the invoices yesterday.\n"
    "[00:00:12] Ruth: I will send the signed contract to Omar by Friday.\n"
    "[00:00:20] Omar: Thanks. I will book the meeting room for Monday.\n"
)


@pytest.fixture(scope="module")
def engine(smollm_path):
    engine = LlamaCppEngine(n_threads=ENGINE_THREADS)
    engine.load(smollm_path, n_ctx=1024)  # small enough that an hour of meeting must be cut to fit
    yield engine
    engine.unload()


def test_real_model_answers_from_the_meeting(engine):
    answer = ask(engine, "What will Ruth send to Omar?", SHORT)
    assert answer.prompt is not None and answer.prompt.whole
    assert answer.text and not answer.cancelled
    assert "contract" in answer.text.lower(), answer.text


def test_long_meeting_fits_the_real_models_context(engine):
    long = load_transcript(TEST_DATA / "transcripts" / "planning_60min.vtt").render()
    prompt = build_prompt(
        "What did Jonas promise about the partner API?", long, count_tokens=engine.count_tokens, context_size=engine.context_size
    )
    assert not prompt.whole and any("Jonas will write the partner API proposal" in p.text for p in prompt.passages)
    answer = ask(engine, "What did Jonas promise about the partner API?", long)
    assert answer.text  # the real prompt fitted the context and the model answered
