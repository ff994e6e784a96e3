"""The recording panel: pick what to record (my microphone, this computer's sound, both) and a
microphone, record / pause / stop, see the level and the time.

Each recording is a background job (:class:`~assistant.ui.recording_job.RecordingJob`, separate
from the model worker): it opens the device and loads the speech model on its own thread, so
the window never freezes, and the window waits for it at close. Audio goes to the meeting's
recording folder as it arrives; live transcript spans come out as ``transcriptSpan``
("[mm:ss] text") and ``spanReady`` (the Segment); ``finished`` gives the WAV path when the
recording is closed, also after an error (the audio written so far is kept).
:func:`offer_recovery` asks about recordings an earlier run could not finish.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core.audio.capture import (
    NO_DEVICE_MESSAGE,
    CaptureError,
    InputDevice,
    MicrophoneSource,
    list_input_devices,
)
from assistant.core.audio.capture import refresh_devices as rescan_devices
from assistant.core.audio.recordings import (
    InterruptedRecording,
    find_interrupted_recordings,
    recover_recording,
)
from assistant.core.audio.sources import MIC, SOURCE_CHOICES, SYSTEM, MultiRecorder
from assistant.core.meetings.transcript import Segment, clock
from assistant.ui.recording_job import Level, RecordingJob, Saved

LEVEL_FLOOR_DB = -60


class RecorderPanel(QWidget):
    """Device picker, level meter, elapsed time, record / pause / stop, behind-real-time notice."""

    transcriptSpan = Signal(str)  # "[mm:ss] text"
    spanReady = Signal(object)  # the Segment (start, end, text)
    finished = Signal(str)  # path of the WAV file
    recordingStarted = Signal(str)  # recording folder
    errorOccurred = Signal(str)
    behindChanged = Signal(bool)

    def __init__(
        self,
        stt_model: str | Path | None = None,
        parent: QWidget | None = None,
        *,
        list_devices: Callable[[], list[InputDevice]] | None = None,
        source_factory: Callable[[Any], Any] | None = None,
        system_factory: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.stt_model = stt_model
        self.language: str | None = None  # the spoken language for the live transcript (None: detected)
        self._list_devices = list_devices or _safe_device_list
        self.source_factory = source_factory or MicrophoneSource
        self.system_factory = system_factory  # None: this computer's sound as the platform gives it
        self.state = "idle"  # idle, starting, recording, paused, stopping
        self.spans: list[Segment] = []
        self.folder: Path | None = None
        self.job: RecordingJob | None = None  # the recording, from Record until its files are closed

        self.source_combo = QComboBox()
        self.source_combo.setAccessibleName("Record from")
        self.source_combo.setToolTip("Both: you are \"You\", the other side of the call is \"Others\"")
        for key, label in SOURCE_CHOICES.items():
            self.source_combo.addItem(label, key)
        self.device_combo = QComboBox()
        self.device_combo.setAccessibleName("Microphone")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Look for microphones again (after plugging one in)")
        self.record_button = QPushButton("● Record")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("■ Stop")
        self.level = QProgressBar()
        self.level.setRange(LEVEL_FLOOR_DB, 0)
        self.level.setValue(LEVEL_FLOOR_DB)
        self.level.setTextVisible(False)
        self.level.setMaximumHeight(10)
        self.level.setAccessibleName("Input level")
        self.elapsed_label = QLabel("00:00")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.behind_label = QLabel()
        self.behind_label.setWordWrap(True)
        self.behind_label.setStyleSheet("color: #a15c00;")
        self.behind_label.hide()

        top = QHBoxLayout()
        top.addWidget(QLabel("Record:"))
        top.addWidget(self.source_combo)
        top.addWidget(QLabel("Microphone:"))
        top.addWidget(self.device_combo, 1)
        top.addWidget(self.refresh_button)
        buttons = QHBoxLayout()
        for widget in (self.record_button, self.pause_button, self.stop_button):
            buttons.addWidget(widget)
        buttons.addWidget(self.elapsed_label)
        buttons.addWidget(self.level, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.behind_label)
        layout.addWidget(self.message)

        self.source_combo.currentIndexChanged.connect(self._update_controls)
        self.refresh_button.clicked.connect(self._refresh_clicked)
        self.record_button.clicked.connect(self.record)
        self.pause_button.clicked.connect(self._pause_clicked)
        self.stop_button.clicked.connect(self.stop)
        self.refresh_devices()

    # -- devices ---------------------------------------------------------------------------------
    def refresh_devices(self) -> None:
        current = self.device_combo.currentData()
        self.device_combo.clear()
        devices = self._list_devices()
        for device in devices:
            self.device_combo.addItem(device.label, device.index)
        if current is not None and self.device_combo.findData(current) >= 0:
            self.device_combo.setCurrentIndex(self.device_combo.findData(current))
        if not devices:
            self._show_message(NO_DEVICE_MESSAGE)
        elif self.message.text() == NO_DEVICE_MESSAGE:
            self._show_message("")
        self._update_controls()

    def _refresh_clicked(self) -> None:
        if self.state == "idle" and self._list_devices is _safe_device_list:
            try:
                rescan_devices()  # PortAudio only knows the devices present when it started
            except CaptureError as exc:
                self._show_message(str(exc))
        self.refresh_devices()

    def select_device(self, name: str) -> bool:
        """Pick the input whose name starts with ``name``; True if found."""
        for i in range(self.device_combo.count()):
            if self.device_combo.itemText(i).startswith(name):
                self.device_combo.setCurrentIndex(i)
                return True
        return False

    # -- controls --------------------------------------------------------------------------------
    def _update_controls(self) -> None:
        has_device = self.device_combo.count() > 0 or self.source == SYSTEM  # the computer's sound needs no microphone
        idle = self.state == "idle"
        self.record_button.setEnabled(idle and has_device)
        self.source_combo.setEnabled(idle)
        self.device_combo.setEnabled(idle and self.source != SYSTEM)
        self.refresh_button.setEnabled(idle)
        self.pause_button.setEnabled(self.state in ("recording", "paused"))
        self.pause_button.setText("Resume" if self.state == "paused" else "Pause")
        self.stop_button.setEnabled(self.state in ("recording", "paused"))

    def _show_message(self, text: str) -> None:
        self.message.setText(text)

    @property
    def source(self) -> str:
        """What is recorded: ``mic``, ``system`` or ``both``."""
        return str(self.source_combo.currentData() or MIC)

    def select_source(self, key: str) -> None:
        self.source_combo.setCurrentIndex(max(0, self.source_combo.findData(key)))

    def record(self) -> None:
        if self.state != "idle" or not self.record_button.isEnabled():
            return
        self.state = "starting"
        self.spans = []
        self._show_message("Opening the microphone…" if self.source == MIC else "Opening the sound sources…")
        self.behind_label.hide()
        self._update_controls()
        job = self.job = RecordingJob(
            self.device_combo.currentData(), self.stt_model, self.source, self.language,
            source_factory=self.source_factory, system_factory=self.system_factory,
        )
        # The job's own signals reach these slots queued, in the order they were sent; done comes last.
        job.opened.connect(self._on_opened)
        job.interrupted.connect(self._on_interrupted)
        job.notice.connect(self._on_notice)
        job.span.connect(self._on_span)
        job.behind.connect(self._on_behind)
        job.progressed.connect(self._on_level)
        job.done.connect(self._on_done)
        job.start()

    @property
    def recorder(self) -> MultiRecorder | None:
        """The running recorder (None when idle, starting or stopping)."""
        return self.job.recorder if self.job is not None else None

    def _pause_clicked(self) -> None:
        if self.state == "recording":
            self.pause()
        elif self.state == "paused":
            self.resume()

    def pause(self) -> None:
        if self.job is not None and self.state == "recording" and self.job.pause():
            self.state = "paused"
            self._show_message("Paused: nothing is recorded until you resume.")
            self._update_controls()

    def resume(self) -> None:
        if self.job is not None and self.state == "paused" and self.job.resume():
            self.state = "recording"
            self._show_message("Recording…")
            self._update_controls()

    def stop(self) -> None:
        if self.state not in ("recording", "paused"):
            return
        self.state = "stopping"
        self._show_message("Stopping: saving the audio and finishing the transcript…")
        self._update_controls()
        if self.job is not None:
            self.job.stop()

    # -- the job's events --------------------------------------------------------------------------
    def _from_job(self) -> bool:
        """True when the signal being handled comes from the running recording (not a late one of an earlier job)."""
        return self.job is not None and self.sender() is self.job

    @Slot(str)
    def _on_opened(self, folder: str) -> None:
        if not self._from_job():
            return
        assert self.job is not None
        self.folder = Path(folder)
        self._show_time(0.0)
        self.state = "recording"
        self._show_message("Recording…" if self.job.transcribing else self.message.text())
        self._update_controls()
        self.recordingStarted.emit(folder)

    @Slot(str)
    def _on_notice(self, text: str) -> None:
        if self._from_job():
            self._show_message(text)

    @Slot(str)
    def _on_interrupted(self, message: str) -> None:
        """A source failed (the device is gone): the job closes the recording by itself."""
        if not self._from_job():
            return
        self._show_message(message)
        self.errorOccurred.emit(message)
        if self.state in ("recording", "paused"):
            self.state = "stopping"
            self._update_controls()

    @Slot(object)
    def _on_level(self, level: Level) -> None:
        if self._from_job() and self.state in ("recording", "paused", "stopping"):
            self._show_time(level.elapsed)
            self.level.setValue(int(max(LEVEL_FLOOR_DB, min(0.0, level.dbfs))))

    @Slot(object)
    def _on_span(self, span: Segment) -> None:
        if not self._from_job():
            return
        self.spans.append(span)
        self.spanReady.emit(span)
        self.transcriptSpan.emit(span.render())

    @Slot(bool, str)
    def _on_behind(self, behind: bool, message: str) -> None:
        if not self._from_job():
            return
        self.behind_label.setText(message or "Speech recognition is behind real time; catching up.")
        self.behind_label.setVisible(behind)
        self.behindChanged.emit(behind)

    @Slot(object, str)
    def _on_done(self, result: Saved | None, error: str) -> None:
        """The job ended and its files are closed: saved, failed to start, or ended by an unexpected error."""
        if not self._from_job():
            return  # shut down meanwhile
        job, self.job = self.job, None
        assert job is not None
        opened = job.recording is not None and (result is not None or self.state in ("recording", "paused", "stopping"))
        self.state = "idle"
        self.level.setValue(LEVEL_FLOOR_DB)
        self.behind_label.hide()
        if not opened:  # nothing was recorded: the device or the speech model could not open
            self._show_message(error)
            self._update_controls()
            self.errorOccurred.emit(error)
            return
        assert job.recording is not None
        if result is not None:
            self._show_time(result.seconds)
            self._show_message(result.error or f"Saved {clock(result.seconds)} of audio.")
        else:  # an error nobody expected: the recorder was stopped first, so what it wrote is kept
            message = f"{error} The recording stopped; the audio so far is saved."
            self._show_message(message)
            self.errorOccurred.emit(message)
        self._update_controls()
        self.finished.emit(str(result.audio_path if result is not None else job.recording.audio_path))

    def _show_time(self, seconds: float) -> None:
        self.elapsed_label.setText(clock(seconds))

    # -- end -------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop a recording and wait until its files are closed (the audio is kept); call before exit."""
        job, self.job = self.job, None  # its late done is not wanted
        if job is not None:
            job.stop()
            job.wait()
            self.state = "idle"

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)


def _safe_device_list() -> list[InputDevice]:
    try:
        return list_input_devices()
    except CaptureError:
        return []


def offer_recovery(
    parent: QWidget | None = None, ask: Callable[[InterruptedRecording], bool] | None = None
) -> list[Path]:
    """Offer each recording an earlier run left unfinished; return the audio files recovered.

    ``ask`` decides per recording (default: a message box). Declined ones stay on disk and
    are offered again next time: nothing is deleted.
    """

    def ask_user(item: InterruptedRecording) -> bool:
        answer = QMessageBox.question(
            parent,
            "Recover recording",
            f"Llama Desk stopped while recording (started {item.started.replace('T', ' ')}, about "
            f"{clock(item.seconds)} of audio saved).\n\nRecover it now so it can be transcribed and summarized?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    recovered = []
    for item in find_interrupted_recordings():
        if not (ask or ask_user)(item):
            continue
        result = recover_recording(item)
        if result is not None and result.seconds > 0:
            recovered.append(result.path)
    return recovered
