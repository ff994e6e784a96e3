"""Who said what with two sources: labels, dropping the microphone's echo of the call, renaming, live holding."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.audio.live_stt import LiveTranscriber
from assistant.core.audio.speakers import (
    OTHERS,
    YOU,
    LiveSpeakers,
    LiveTranscripts,
    combine,
    echo_share,
    is_echo,
    rename_speaker,
    rename_speaker_in_text,
    speaker_for,
)
from assistant.core.meetings.transcript import Segment


def seg(text: str, start: float, end: float, latency: float | None = None) -> Segment:
    return Segment(text, start=start, end=end, latency=latency)


MIC = [
    seg("Good morning, this is the weekly planning call.", 0.5, 3.0),
    seg("The design team finish the new logo yesterday", 3.6, 6.1),  # echo, misheard a little, 0.2 s late
    seg("I will send the budget report by Friday.", 7.0, 9.5),
]
SYSTEM = [seg("The design team finished the new logo yesterday.", 3.4, 5.9)]


def test_microphone_is_you_computer_is_others_and_the_echo_is_dropped():
    merged, echoes = combine(MIC, SYSTEM)
    assert [(s.speaker, s.text) for s in merged] == [
        (YOU, MIC[0].text),
        (OTHERS, SYSTEM[0].text),
        (YOU, MIC[2].text),
    ]
    assert [e.text for e in echoes] == [MIC[1].text]
    assert MIC[0].speaker is None  # the caller's segments are not changed


def test_the_same_words_at_another_time_are_not_an_echo():
    later = seg("The design team finished the new logo yesterday.", 30.0, 32.0)  # you repeat it later
    assert not is_echo(later, SYSTEM)
    merged, echoes = combine([later], SYSTEM)
    assert echoes == [] and [s.speaker for s in merged] == [OTHERS, YOU]


def test_your_own_words_over_the_call_are_kept_whole():
    # you talk over the others: the segment holds their words and yours; nothing you said is lost
    mixed = seg("Sorry to interrupt, can we please move the printing question to Thursday instead", 3.5, 6.0)
    assert echo_share(mixed.text, [SYSTEM[0].text]) < 0.6
    merged, echoes = combine([mixed], SYSTEM)
    assert echoes == [] and mixed.text in [s.text for s in merged]


def test_custom_names_and_renaming_a_speaker():
    merged, _ = combine(MIC, SYSTEM, you="Ruth", others="Customer")
    assert {s.speaker for s in merged} == {"Ruth", "Customer"}
    assert rename_speaker(merged, "Customer", "  Jonas   Weber ") == 1
    assert [s.speaker for s in merged] == ["Ruth", "Jonas Weber", "Ruth"]
    assert rename_speaker(merged, "Nobody", "X") == 0
    with pytest.raises(ValueError, match="name"):
        rename_speaker(merged, "Ruth", "   ")


def test_labels_for_one_source():
    assert speaker_for("system", both=False) == OTHERS
    assert speaker_for("mic", both=False) is None  # alone, the microphone may hear a whole room
    assert speaker_for("mic", both=True) == YOU


def test_live_holds_the_microphone_until_the_computer_sound_is_transcribed_past_it():
    shown: list[Segment] = []
    settled = {"until": 0.0}
    live = LiveSpeakers(shown.append, lambda: settled["until"])
    live.add_mic(seg(MIC[0].text, 0.5, 3.0, latency=1.0))
    assert shown == []  # the computer's sound of those seconds is not known yet
    settled["until"] = 3.5
    live.poll()
    assert shown == []  # still within the echo tolerance
    settled["until"] = 4.1
    live.poll()
    assert [(s.speaker, s.text) for s in shown] == [(YOU, MIC[0].text)]
    assert shown[0].latency is not None and shown[0].latency >= 1.0  # the wait counts as latency

    live.add_mic(MIC[1])  # the echo arrives before the clean copy
    live.add_system(SYSTEM[0])  # the computer's sound passes at once
    settled["until"] = 8.0
    live.poll()
    live.add_mic(MIC[2])
    final = live.finish()
    assert [(s.speaker, s.text) for s in final] == [(YOU, MIC[0].text), (OTHERS, SYSTEM[0].text), (YOU, MIC[2].text)]
    assert [s.text for s in shown] == [s.text for s in live.segments] and len(shown) == 3
    assert [e.text for e in live.echoes] == [MIC[1].text]


def test_live_drops_an_echo_that_arrives_after_the_clean_copy():
    shown: list[Segment] = []
    live = LiveSpeakers(shown.append, lambda: 100.0)
    live.add_system(SYSTEM[0])
    live.add_mic(MIC[1])
    assert [s.speaker for s in shown] == [OTHERS] and len(live.echoes) == 1


def test_a_piece_holding_your_sentence_and_the_echo_keeps_only_yours():
    # one piece of speech: your sentence, then the call's sentence leaking in right after it
    merged_piece = seg("I will send the budget report by Friday. The design team finished the new logo yesterday.", 0.8, 6.0)
    merged, echoes = combine([merged_piece], SYSTEM)
    assert [(s.speaker, s.text) for s in merged] == [
        (YOU, "I will send the budget report by Friday."),
        (OTHERS, SYSTEM[0].text),
    ]
    assert [e.text for e in echoes] == ["The design team finished the new logo yesterday."]
    assert merged[0].start == 0.8 and 0.8 < merged[0].end < 6.0

    live = LiveSpeakers(lambda s: None, lambda: 100.0)
    live.add_system(SYSTEM[0])
    live.add_mic(merged_piece)
    assert [s.text for s in live.finish()] == ["I will send the budget report by Friday.", SYSTEM[0].text]


class Failing:
    def transcribe_array(self, samples):
        raise RuntimeError("model file damaged")


class Echoing:
    """Says "hello there" for every piece (a stand-in recognizer at the Recognizer seam)."""

    def transcribe_array(self, samples):
        return [Segment("hello there", start=0.3, end=0.3 + len(samples) / 16000)]


class ByLength:
    """Different words for short and long pieces, so the two sources say different things."""

    def transcribe_array(self, samples):
        text = "good morning everyone" if len(samples) < 2.2 * 16000 else "budget report on friday please"
        return [Segment(text, start=0.3, end=len(samples) / 16000)]


def speech_then_pause(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return np.concatenate([np.zeros(8000, np.float32), (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),
                           np.zeros(16000, np.float32)])


def test_settled_until_follows_recognition_and_is_endless_once_it_failed():
    shown = []
    live = LiveTranscriber(Echoing(), shown.append)
    assert live.settled_until == 0.0
    live.feed(speech_then_pause())  # one piece of speech, queued, not yet transcribed
    assert 0.0 < live.settled_until < 1.0  # held at the piece's start
    live.finish(timeout=60)
    assert shown and live.settled_until == pytest.approx(2.5)  # all fed audio is done

    broken = LiveTranscriber(Failing(), shown.append)
    broken.start()
    broken.feed(speech_then_pause())
    broken.finish(timeout=60)
    assert broken.error and broken.settled_until == float("inf")  # held microphone text is let go


def test_renaming_in_a_transcript_kept_as_text_touches_only_that_speaker():
    text = "[00:00:01] You: Others said Friday.\n[00:00:04] Others: Yes, Friday.\nOthers: no time here\n"
    renamed = rename_speaker_in_text(text, "Others", "Jonas")
    assert renamed == "[00:00:01] You: Others said Friday.\n[00:00:04] Jonas: Yes, Friday.\nJonas: no time here\n"
    assert rename_speaker_in_text(text, "Nobody", "X") == text


@pytest.mark.parametrize(("roles", "speakers"), [(["mic"], {None}), (["system"], {OTHERS}), (["mic", "system"], {YOU, OTHERS})])
def test_live_transcripts_label_by_source(roles, speakers):
    shown: list[Segment] = []
    live = LiveTranscripts(ByLength(), roles, shown.append)
    live.start()
    for role, listeners in live.listeners.items():
        for listener in listeners:
            listener(speech_then_pause(0.5 if role == "mic" else 1.5), 0.0)
    final = live.finish(timeout=60)
    assert {s.speaker for s in final} == speakers and len(final) == len(roles)
    assert [s.text for s in shown] == [s.text for s in live.segments]
