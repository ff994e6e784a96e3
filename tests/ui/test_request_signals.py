"""Requests carry their own signals: meeting notes, questions and other model work on one worker keep apart."""

from __future__ import annotations

import json
import threading

from assistant.core.engines.fake import FakeEngine
from assistant.ui.chat.requests import RequestRouter
from tests.support.notes import answering_checks, extraction_json
from tests.support.ui_helpers import close_window, open_window

NOTES = extraction_json(title="Budget call", summary=["The budget grows."], decisions=["Grow the budget"])


def test_a_tasks_progress_and_answer_reach_its_own_request_only(qtbot):
    window = open_window(qtbot, FakeEngine())
    mine, other = RequestRouter(window.bridge), RequestRouter(window.bridge)

    def task(_engine, _stop, progress):
        progress(1)
        progress(2)
        return "done"

    heard: list[object] = []
    overheard: list[object] = []
    other.run_task(lambda _engine, _stop, progress: "not yours").answered.connect(overheard.append)
    request = mine.run_task(task)
    request.progress.connect(heard.append)
    request.answered.connect(heard.append)
    qtbot.waitUntil(lambda: request.ended and bool(overheard), timeout=60_000)
    assert heard == [1, 2, "done"] and overheard == ["not yours"] and not mine.requests and not other.requests
    close_window(window)


def test_the_summary_ignores_model_work_that_is_not_its_own(qtbot, tmp_path):
    model = tmp_path / "m.gguf"
    model.write_text("x")
    window = open_window(qtbot, FakeEngine(answering_checks(lambda _messages, _params: NOTES), n_ctx=4096), str(model))
    page = window.meetings_page
    release = threading.Event()

    def other_work(_engine, _stop, progress):  # queued before the summary on the same worker
        progress("someone else's progress")
        release.wait(60)
        return "someone else's result"

    seen: list[tuple[object, bool, object]] = []  # (result, the summary still running, the page's result) as each task ends
    window.bridge.worker.taskFinished.connect(lambda _id, result: seen.append((result, page.request is not None, page.result)))
    window.bridge.run_task(other_work)
    page.transcript_edit.setPlainText("Dana: the budget grows by ten per cent.")
    assert page.summarize()
    release.set()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=60_000)
    assert seen[0] == ("someone else's result", True, None)  # its answer did not end the summary
    qtbot.waitUntil(lambda: page.request is None, timeout=60_000)
    assert page.result is not None and "Grow the budget" in page.notes_view.toPlainText()
    close_window(window)


def test_a_question_asked_after_switching_meetings_gets_no_words_of_the_old_answer(qtbot, tmp_path):
    model = tmp_path / "m.gguf"
    model.write_text("x")

    def reply(messages, _params) -> str:
        return "beta " * 5 if "second" in json.dumps(messages) else "alpha " * 400

    window = open_window(qtbot, FakeEngine(reply, n_ctx=4096, token_delay=0.01), str(model))
    page = window.meetings_page
    first = page.new_meeting("First", "[00:00:01] Ruth: first meeting words.")
    page.ask_panel.ask("What about the first?")
    qtbot.waitUntil(lambda: "alpha" in page.ask_panel.reply, timeout=60_000)
    page.new_meeting("Second", "[00:00:01] Omar: second meeting words.")  # the old answer is dropped
    assert page.meeting_id != first and not page.ask_panel.busy
    assert page.ask_panel.ask("What about the second?")
    qtbot.waitUntil(lambda: not page.ask_panel.busy, timeout=60_000)
    assert page.ask_panel.turns == [("What about the second?", "beta beta beta beta beta")]
    close_window(window)
