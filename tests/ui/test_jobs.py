"""Background jobs: every kind ends in a visible state, even on an unexpected error; one import at a time."""

from __future__ import annotations

import threading

import pytest

from assistant.core.audio.stt import TranscriptionResult
from assistant.core.meetings.transcript import Segment
from assistant.ui import jobs


def test_a_job_reports_its_result_and_throttled_progress(qtbot):
    def work(job: jobs.Job) -> int:
        for step in range(1000):
            job.report(step)
        job.report("last", force=True)
        return 42

    seen: list = []
    job = jobs.Job(work, progress_interval=60.0)
    job.progressed.connect(seen.append)
    with qtbot.waitSignal(job.done, timeout=60_000) as done:
        job.start()
    assert done.args == [42, ""] and job not in jobs.running()
    qtbot.waitUntil(lambda: "last" in seen, timeout=60_000)
    assert seen == [0, "last"]  # one report per interval, the forced one always


def test_an_unexpected_error_ends_the_job_with_a_message(qtbot):
    def work(_job):
        raise KeyError("surprise")

    job = jobs.Job(work, name="sorting")
    with qtbot.waitSignal(job.done, timeout=60_000) as done:
        job.start()
    assert done.args[0] is None and "sorting" in done.args[1] and "KeyError" in done.args[1]


def test_shutdown_stops_and_waits_for_every_job(qtbot):
    started = threading.Event()

    def work(job):
        started.set()
        while not job.cancel.wait(0.01):
            pass
        return "stopped"

    job = jobs.Job(work).start()
    assert started.wait(60)
    assert job in jobs.running()
    assert jobs.shutdown(timeout_s=60)
    assert not job.isRunning()


def test_an_unexpected_error_in_a_calendar_call_is_reported(qtbot):
    from assistant.ui.calendar_jobs import CalendarCalls

    answers: list = []
    calls = CalendarCalls()
    call = calls.start(lambda: 1 / 0, lambda call, result, error: answers.append((result, error)))
    qtbot.waitUntil(lambda: bool(answers), timeout=60_000)
    assert answers == [(None, "The calendar could not be used (ZeroDivisionError: division by zero).")]
    assert calls.finished(call)


def test_an_unexpected_error_in_the_connection_check_is_shown(qtbot, monkeypatch):
    from assistant.core.engines import remote
    from assistant.core.store import Store
    from assistant.ui.settings_dialog import SettingsDialog

    def broken(*_args, **_kwargs):
        raise ValueError("bad port number")

    monkeypatch.setattr(remote, "RemoteEngine", broken)
    dialog = SettingsDialog(Store())
    qtbot.addWidget(dialog)
    dialog.url_edit.setText("http://127.0.0.1:1/v1")
    dialog.test_connection()
    assert not dialog.test_button.isEnabled()
    qtbot.waitUntil(dialog.test_button.isEnabled, timeout=60_000)
    assert "ValueError" in dialog.server_status.text() and "bad port number" in dialog.server_status.text()
    dialog.reject()


def test_an_unexpected_error_in_the_machine_check_leaves_the_estimates(qtbot):
    from assistant.core.models.hardware import probe
    from assistant.ui.setup_workers import CheckWorker

    def broken(_profile, _again):
        raise OSError("no /proc here")

    worker = CheckWorker(broken, probe(check_offload=False), False)
    with qtbot.waitSignal(worker.measured, timeout=60_000) as measured:
        worker.start()
    assert measured.args == [None] and "no /proc here" in worker.error


def test_an_unexpected_error_in_the_download_is_shown(qtbot, monkeypatch):
    from assistant.ui import download_worker

    def broken(*_args, **_kwargs):
        raise TypeError("unexpected answer from the hub")

    monkeypatch.setattr(download_worker, "download_build", broken)
    worker = download_worker.DownloadWorker()
    with qtbot.waitSignal(worker.failed, timeout=60_000) as failed:
        worker.run(object(), [])
    assert "unexpected answer from the hub" in failed.args[0] and worker.job is None


class _SlowRecognizer:
    """Hears one segment per 10 ms until stopped (or fails at once, like a broken speech model)."""

    fail = False

    def __init__(self, *_args, **_kwargs) -> None:
        if self.fail:
            raise RuntimeError("the speech model is damaged")

    def transcribe_file(self, path, progress, cancel) -> TranscriptionResult:
        result = TranscriptionResult(segments=[], language="en", duration=3600.0)
        second = 0
        while not cancel.wait(0.01):
            result.segments.append(Segment(f"word {second}", start=float(second), end=second + 1.0))
            progress(float(second), 3600.0)
            second += 1
        result.cancelled = True
        return result


@pytest.fixture
def meetings(qtbot, tmp_path, monkeypatch):
    from assistant.core.engines.fake import FakeEngine
    from assistant.ui import transcribe_job
    from tests.support.ui_helpers import open_window

    monkeypatch.setattr(transcribe_job, "SpeechRecognizer", _SlowRecognizer)
    window = open_window(qtbot, FakeEngine(["notes"]))
    return window, window.meetings_page


def test_an_unexpected_error_in_the_transcription_is_shown(qtbot, meetings, monkeypatch, tmp_path):
    from tests.support.ui_helpers import close_window

    window, page = meetings
    monkeypatch.setattr(_SlowRecognizer, "fail", True)
    assert page.transcribe_audio(str(tmp_path / "talk.wav"))
    qtbot.waitUntil(lambda: page.transcribe_job is None, timeout=60_000)
    assert "the speech model is damaged" in page.status.text()
    assert page.open_button.isEnabled()
    close_window(window)


def test_a_second_import_while_transcribing_is_refused_and_the_first_goes_on(qtbot, meetings, tmp_path):
    from tests.support.ui_helpers import close_window

    window, page = meetings
    assert page.transcribe_audio(str(tmp_path / "first.wav"))
    first = page.transcribe_job
    qtbot.waitUntil(lambda: page.progress.value() >= 3, timeout=60_000)
    assert not page.transcribe_audio(str(tmp_path / "second.wav"))
    assert "Still transcribing first.wav" in page.status.text() and page.transcribe_job is first
    assert page.title_edit.text() == "First"
    page.cancel()
    qtbot.waitUntil(lambda: page.transcribe_job is None, timeout=60_000)
    assert page.transcript_edit.toPlainText().startswith("[00:00:00] word 0")
    assert "stopped" in page.status.text()
    assert page.transcribe_audio(str(tmp_path / "second.wav"))  # now the next one may start
    close_window(window)  # while it runs: the window waits for it
    assert not jobs.running() or all(not job.isRunning() for job in jobs.running())
