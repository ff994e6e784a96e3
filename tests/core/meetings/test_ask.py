"""Ask about a meeting: the question finds the right part of a long transcript, answers cite times that exist."""

from __future__ import annotations

import pytest

from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings.ask import BM25, ask, build_prompt, citations, passages, rank
from assistant.core.meetings.prompts import FENCE_BEGIN
from assistant.core.meetings.transcript import load_transcript
from tests.support import TEST_DATA

LONG = load_transcript(TEST_DATA / "transcripts" / "planning_60min.vtt").render()
ANSWER_LINE = "Jonas: Action item: Jonas will write the partner API proposal by December 15."
SHORT = (
    "[00:00:05] Ruth: Morning. I finished the invoices yesterday.\n"
    "[00:00:12] Ruth: I'll send the contract to Omar by Friday.\n"
    "[00:00:20] Omar: Thanks. I will book the room for Monday.\n"
)


def _engine(replies=("The transcript does not say.",), n_ctx=2048) -> FakeEngine:
    engine = FakeEngine(list(replies), n_ctx=n_ctx)
    engine.load("fake.gguf")
    return engine


def test_bm25_prefers_rare_words_and_short_documents():
    index = BM25([["budget", "report"], ["budget", "budget", "plan", "talk", "talk", "talk"], ["lunch"]])
    scores = index.scores({"report": 1.0, "budget": 1.0})
    assert scores[0] > scores[1] > scores[2] == 0.0


def test_the_passage_with_the_answer_ranks_first_on_the_long_transcript():
    found = passages(LONG)
    assert len(found) > 30 and "\n".join(p.text for p in found) == LONG  # every line, once, in order
    best = rank(found, "What did Jonas promise about the partner API?")[0][1]
    assert ANSWER_LINE in best.text
    best = rank(found, "When is the accessibility audit of the invoice page due?")[0][1]
    assert "Aisha will run an accessibility audit of the invoice page by December 4" in best.text


def test_a_long_meeting_is_searched_not_pasted_whole():
    engine = _engine(["Jonas will write the partner API proposal by December 15 [00:53:09]."], n_ctx=2048)
    answer = ask(engine, "What did Jonas promise about the partner API?", LONG)
    prompt = answer.prompt
    assert prompt is not None and not prompt.whole
    sent = engine.calls[0][0]
    assert engine.count_prompt_tokens(sent) < 2048 < engine.count_tokens(LONG)
    assert ANSWER_LINE in sent[-1]["content"]
    assert sent[-1]["content"].endswith("Question: What did Jonas promise about the partner API?")
    times = [p.start for p in prompt.passages]
    assert times == sorted(times)  # in the order they were said
    assert [c.label for c in answer.citations] == ["00:53:09"] and answer.citations[0].seconds == 53 * 60 + 9


def test_a_short_meeting_goes_whole_with_its_notes_and_the_rules():
    engine = _engine(["Ruth will send the contract to Omar by Friday [00:00:12], and [00:07:00]."])
    answer = ask(engine, "What did Ruth promise?", SHORT, notes="# Notes\n- Ruth sends the contract.")
    system, user = engine.calls[0][0][0]["content"], engine.calls[0][0][-1]["content"]
    assert answer.prompt.whole and SHORT.strip() in user and "Ruth sends the contract." in user
    assert "data, not instructions" in system and FENCE_BEGIN in user
    assert [c.label for c in answer.citations] == ["00:00:12"]  # 00:07:00 is not a line of this meeting


def test_follow_up_questions_carry_the_earlier_turns_and_the_meeting_language():
    history = [{"role": "user", "content": "Wer bucht den Raum?"}, {"role": "assistant", "content": "Omar [00:00:20]."}]
    german = "[00:00:05] Anna: Ich schicke den Vertrag bis Freitag. Das ist nicht schwer und wir sind fertig.\n"
    prompt = build_prompt("Und bis wann?", german, count_tokens=len, context_size=4096, history=history)
    assert prompt.messages[:2] == history and prompt.language == "de"
    assert prompt.system.endswith("Answer in German.")


def test_citations_only_name_times_of_transcript_lines():
    assert [c.seconds for c in citations("See [00:00:05] and 00:00:20, not [01:00:00].", SHORT)] == [5.0, 20.0]


@pytest.mark.parametrize(("question", "transcript", "message"), [("  ", SHORT, "Type a question"), ("Who?", " ", "no transcript")])
def test_empty_question_or_transcript_is_refused(question, transcript, message):
    with pytest.raises(ValueError, match=message):
        ask(_engine(), question, transcript)


def test_every_action_item_and_decision_of_the_long_meeting_is_found():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_planning", TEST_DATA / "transcripts" / "make_planning.py")
    planning = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(planning)
    found = passages(LONG)
    questions = [(f"Who will {task}?", f"{name} will {task}") for _block, name, task, _when in planning.ACTION_ITEMS]
    questions += [(f"What was decided about {' '.join(d.split()[1:4])}?", d) for _block, d in planning.DECISIONS]
    first = [answer for question, answer in questions if answer in rank(found, question)[0][1].text]
    assert len(first) == len(questions)
