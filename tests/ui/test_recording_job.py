"""A recording is a background job: an unexpected error ends in a visible state with the audio
written so far kept, and shutting the panel down during a recording closes the file."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.audio.capture import ArraySource
from assistant.core.audio.recordings import Recording, find_interrupted_recordings
from assistant.core.audio.sources import SYSTEM, MultiRecorder
from assistant.core.audio.wav import read_wav
from assistant.ui import jobs, recording_job
from assistant.ui.recorder import RecorderPanel


def tone(_device) -> ArraySource:
    t = np.arange(16000) / 16000
    source = ArraySource((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000, realtime=True, loop=True)
    source.name = "tone"
    return source


@pytest.fixture
def panel(qtbot):
    panel = RecorderPanel(list_devices=list, system_factory=tone)  # this computer's sound needs no microphone
    qtbot.addWidget(panel)
    panel.select_source(SYSTEM)
    yield panel
    panel.shutdown()


def _record(panel, qtbot) -> None:
    with qtbot.waitSignal(panel.recordingStarted, timeout=60_000):
        panel.record_button.click()
    assert panel.state == "recording" and panel.job is not None and panel.job.isRunning()


def _assert_kept(panel, path: str, at_least: float) -> None:
    samples, rate = read_wav(path)
    assert rate == 16000 and len(samples) >= at_least * rate
    assert path == str(Recording(panel.folder).audio_path)
    assert not Recording(panel.folder).in_progress and find_interrupted_recordings() == []


def _assert_idle(panel) -> None:
    assert panel.state == "idle" and panel.job is None
    assert panel.record_button.isEnabled() and not panel.stop_button.isEnabled() and not panel.pause_button.isEnabled()


class FailingLevel(MultiRecorder):
    """A recorder whose level meter fails once half a second is recorded: an error nobody planned for."""

    @property
    def level(self) -> float:
        if self.elapsed >= 0.5:
            raise RuntimeError("level meter broke")
        return super().level


class FailingStop(MultiRecorder):
    """Closes its files, then fails (the old recording thread was left "stopping" forever by this)."""

    def stop(self, timeout: float = 10.0):
        super().stop(timeout)
        raise RuntimeError("could not tidy up")


def test_an_unexpected_error_while_recording_shows_it_and_keeps_the_audio(panel, qtbot, monkeypatch):
    monkeypatch.setattr(recording_job, "MultiRecorder", FailingLevel)
    errors = []
    panel.errorOccurred.connect(errors.append)
    _record(panel, qtbot)
    with qtbot.waitSignal(panel.finished, timeout=60_000) as finished:
        pass  # nobody presses Stop: the error ends the recording
    assert errors and "level meter broke" in errors[-1] and "audio so far is saved" in errors[-1]
    assert errors[-1] == panel.message.text()
    _assert_kept(panel, finished.args[0], at_least=0.5)
    _assert_idle(panel)


def test_an_unexpected_error_while_stopping_still_ends_the_recording(panel, qtbot, monkeypatch):
    monkeypatch.setattr(recording_job, "MultiRecorder", FailingStop)
    errors = []
    panel.errorOccurred.connect(errors.append)
    _record(panel, qtbot)
    qtbot.waitUntil(lambda: panel.recorder is not None and panel.recorder.elapsed >= 0.3, timeout=60_000)
    with qtbot.waitSignal(panel.finished, timeout=60_000) as finished:
        panel.stop_button.click()
        assert panel.state == "stopping"
    assert errors and "could not tidy up" in errors[-1] and "audio so far is saved" in errors[-1]
    _assert_kept(panel, finished.args[0], at_least=0.3)
    _assert_idle(panel)


def test_an_unexpected_error_before_recording_says_it_could_not_start(qtbot):
    def broken(_device):
        raise RuntimeError("the sound server crashed")

    panel = RecorderPanel(list_devices=list, system_factory=broken)
    qtbot.addWidget(panel)
    panel.select_source(SYSTEM)
    errors, finished = [], []
    panel.errorOccurred.connect(errors.append)
    panel.finished.connect(finished.append)
    try:
        panel.record_button.click()
        qtbot.waitUntil(lambda: bool(errors), timeout=60_000)
        assert errors == ["Recording could not start: the sound server crashed"]
        assert panel.message.text() == errors[0] and finished == []
        _assert_idle(panel)
    finally:
        panel.shutdown()


def test_pause_and_resume_go_to_the_running_recording(panel, qtbot):
    _record(panel, qtbot)
    panel.pause_button.click()
    assert panel.state == "paused" and panel.recorder is not None and panel.recorder.paused
    panel.pause_button.click()
    assert panel.state == "recording" and not panel.recorder.paused
    qtbot.waitUntil(lambda: panel.elapsed_label.text() != "00:00", timeout=60_000)  # the time comes as the job's progress
    with qtbot.waitSignal(panel.finished, timeout=60_000) as finished:
        panel.stop_button.click()
    assert panel.message.text().startswith("Saved ")
    _assert_kept(panel, finished.args[0], at_least=1.0)
    _assert_idle(panel)


def test_shutting_down_during_a_recording_closes_the_file(panel, qtbot):
    _record(panel, qtbot)
    job = panel.job
    qtbot.waitUntil(lambda: panel.recorder is not None and panel.recorder.elapsed >= 0.5, timeout=60_000)
    folder = panel.folder
    panel.shutdown()  # what the window does at close
    assert not job.isRunning() and job in jobs.running()  # its thread ended; its done is no longer wanted
    assert panel.job is None and panel.state == "idle"
    _assert_kept(panel, str(Recording(folder).audio_path), at_least=0.5)
    qtbot.waitUntil(lambda: job.ended, timeout=60_000)
    assert job not in jobs.running() and isinstance(job.result, recording_job.Saved)
