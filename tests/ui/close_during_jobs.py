"""Run as ``python -m tests.ui.close_during_jobs KIND MODEL``: open the window, start one kind of
background work, close the window while it runs, and exit with the app's own exit code.

The test around it checks the process exits 0 and Qt never says "QThread: Destroyed while
thread is still running" (which aborts the process on exit).
"""

from __future__ import annotations

import json
import sys
import threading
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from assistant.core.engines.fake import FakeEngine
from assistant.core.store import Store
from assistant.ui.app import create_window

CALL = json.dumps({"name": "create_calendar_event", "parameters": {"title": "Review", "start": "tomorrow at 3pm"}})
LISTING = json.dumps({"name": "list_calendar_events", "parameters": {"start": "today", "end": "in two weeks"}})


def _until(app: QApplication, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {condition}")
        app.processEvents()
        time.sleep(0.01)


def _slow(seconds: float):
    """A stand-in for work that cannot be interrupted (a server's answer, a disk)."""

    def wait(*_args, **_kwargs):
        time.sleep(seconds)
        return None

    return wait


def start(kind: str, window, app: QApplication) -> None:
    if kind == "reply":
        assert window.send("Write a very long story.")
        _until(app, lambda: len(window.reply_text) > 5)
    elif kind == "tools":
        from assistant.core.calendars import LocalCalendar, local_zone
        from assistant.ui import calendar_jobs

        class Slow(LocalCalendar):
            def list_events(self, start, end):
                time.sleep(1.0)
                return super().list_events(start, end)

        calendar_jobs.open_calendar = lambda name, zone: Slow(zone=local_zone())
        assert window.send("Am I free?")
        _until(app, lambda: window.tool_job is not None)
    elif kind == "card_saving":
        from assistant.ui import event_card

        real_write = event_card.write_event
        event_card.write_event = lambda calendar, draft: (time.sleep(1.0), real_write(calendar, draft))[1]
        assert window.send("Schedule a review tomorrow at 3pm")
        _until(app, lambda: bool(window.pending_cards))
        [card] = window.pending_cards.values()
        assert card.confirm()
    elif kind == "transcription":
        from assistant.core.audio.stt import TranscriptionResult
        from assistant.ui import transcribe_job

        class Recognizer:
            def __init__(self, *_args, **_kwargs) -> None:
                pass

            def transcribe_file(self, path, progress, cancel):
                while not cancel.wait(0.01):
                    progress(1.0, 10.0)
                return TranscriptionResult(segments=[], duration=10.0, language="en", cancelled=True)

        transcribe_job.SpeechRecognizer = Recognizer
        assert window.meetings_page.transcribe_audio("talk.wav")
        _until(app, lambda: window.meetings_page.progress.value() >= 1)
    elif kind == "connection":
        from assistant.core.engines import remote

        class Server:
            def __init__(self, *_args, **_kwargs) -> None:
                pass

            def test_connection(self):
                time.sleep(1.0)
                raise remote.RemoteEngineError("no answer")

            def close(self) -> None:
                pass

        remote.RemoteEngine = Server
        dialog = window.open_settings()
        dialog.url_edit.setText("http://127.0.0.1:9/v1")
        dialog.test_connection()
        _until(app, lambda: dialog.check is not None and dialog.check.isRunning())
    elif kind == "download":
        from assistant.ui import download_worker

        def download_build(build, *, progress, cancel, search_folders, too_slow):
            while not cancel.wait(0.01):
                pass
            raise download_worker.DownloadCancelled("paused")

        download_worker.download_build = download_build
        worker = download_worker.DownloadWorker()
        window._test_download = worker  # kept alive by the window, as the wizard does
        worker.run(object(), [])
        _until(app, lambda: worker.job is not None and worker.job.isRunning())
    elif kind == "machine_check":
        from assistant.core.models.hardware import probe
        from assistant.ui.setup_workers import CheckWorker

        CheckWorker(_slow(1.0), probe(check_offload=False), False).start()  # nobody keeps it: the registry does
    elif kind == "recording":
        import numpy as np

        from assistant.core.audio.capture import ArraySource
        from assistant.core.audio.sources import SYSTEM

        def tone(_device) -> ArraySource:
            t = np.arange(16000) / 16000
            return ArraySource((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000, loop=True)

        panel = window.meetings_page.recorder
        panel.system_factory = tone  # this computer's sound: no microphone needed
        panel.select_source(SYSTEM)
        panel.record()
        _until(app, lambda: panel.recorder is not None and panel.recorder.elapsed >= 0.5)
        window._test_recording = panel.folder
    else:
        raise SystemExit(f"unknown kind {kind}")


def report(kind: str, window) -> None:
    """What the test checks after the app ended, besides the threads."""
    if kind == "recording":
        from assistant.core.audio.recordings import Recording
        from assistant.core.audio.wav import read_wav

        recording = Recording(window._test_recording)
        samples, rate = read_wav(recording.audio_path)
        print(f"recording kept: {len(samples) >= rate // 2}; in progress: {recording.in_progress}")


def main(kind: str, model: str) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    replies = {"tools": [LISTING, "Nothing planned."], "card_saving": [CALL, "Saved."]}.get(kind, ["word " * 2000])
    store = Store()
    store.set_setting("chat_tools", kind in ("tools", "card_saving"))
    window = create_window(store, FakeEngine(replies, token_delay=0.01), model)
    window.show()
    _until(app, lambda: window.model_info is not None)
    start(kind, window, app)
    QTimer.singleShot(0, window.close)
    QTimer.singleShot(0, app.quit)
    code = app.exec()
    store.close()
    report(kind, window)
    print(f"closed: {kind}; threads still running: {[t.name for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
