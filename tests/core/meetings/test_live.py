"""A live session: text fed from another thread keeps the notes current; closing finishes."""

from __future__ import annotations

import threading
import time

from assistant.core.engines.fake import FakeEngine
from assistant.core.meetings.live import LiveFeed, live_notes_of, run_live_session
from assistant.core.meetings.notes import MeetingNotes
from tests.support.notes import extraction_json


def _notes_reply(messages, params) -> str:
    span = messages[-1]["content"]
    items = [("", f"item {word}", "") for word in span.split() if word.startswith("ACTION")]
    return extraction_json(title="Live", summary=["talked"], commitments=items)


def test_spans_fed_in_order_reach_the_notes_and_closing_gives_final_notes():
    engine = FakeEngine(_notes_reply, n_ctx=4096)
    engine.load("fake.gguf")
    feed = LiveFeed()
    updates: list[MeetingNotes] = []
    stop = threading.Event()
    result_box = {}
    worker = threading.Thread(
        target=lambda: result_box.setdefault("result", run_live_session(
            engine, stop, lambda u: updates.append(live_notes_of(u)), feed, min_update_tokens=20, poll_seconds=0.02
        ))
    )
    worker.start()
    for index in range(6):
        feed.put(" ".join(["talk"] * 25) + f" ACTION{index} ")
        time.sleep(0.05)
    feed.close()
    worker.join(timeout=60)
    assert not worker.is_alive()
    result = result_box["result"]
    tasks = [item.task for item in result.notes.action_items]
    assert tasks == [f"item ACTION{i}" for i in range(6)]  # every span, in order, nothing lost
    assert len([u for u in updates if u is not None]) >= 2  # notes grew during the meeting
    feed.put("after the end")  # ignored once closed
    assert feed.drain() == ""


def test_stop_ends_the_session_without_hanging():
    engine = FakeEngine(_notes_reply, n_ctx=4096)
    engine.load("fake.gguf")
    feed = LiveFeed()
    stop = threading.Event()
    done = threading.Event()
    threading.Thread(target=lambda: (run_live_session(engine, stop, lambda u: None, feed, poll_seconds=0.02), done.set())).start()
    feed.put("some words " * 10)
    stop.set()
    assert done.wait(60)
