"""The recording panel: pick what to record (my microphone, this computer's sound, both) and a
microphone, record / pause / stop, see the level and the time.

The panel drives the core from its own QThread (separate from the model worker): starting
opens the device and loads the speech model there, so the window never freezes. Audio goes
to the meeting's recording folder as it arrives; live transcript spans come out as
``transcriptSpan`` ("[mm:ss] text") and ``spanReady`` (the Segment); ``finished`` gives the
WAV path when the recording is closed. :func:`offer_recovery` asks about recordings an
earlier run could not finish.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
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
from assistant.core.audio.live_stt import LiveStatus
from assistant.core.audio.recordings import (
    InterruptedRecording,
    Recording,
    find_interrupted_recordings,
    recover_recording,
)
from assistant.core.audio.sources import MIC, SOURCE_CHOICES, SYSTEM, MultiRecorder, roles, track_paths
from assistant.core.audio.speakers import LiveTranscripts
from assistant.core.audio.stt import SpeechRecognizer, TranscribeError
from assistant.core.meetings.transcript import Segment, clock

LEVEL_FLOOR_DB = -60


class RecordingWorker(QObject):
    """Lives on the recording thread: opens the device and the model, stops and finishes."""

    started = Signal(str)  # recording folder
    failed = Signal(str)  # message for the user (nothing is recording)
    error = Signal(str)  # recording ended early (audio kept)
    notice = Signal(str)
    span = Signal(object)  # Segment
    behind = Signal(bool, str)
    stopped = Signal(str, str)  # audio path, error ("" when fine)

    def __init__(self, source_factory: Callable[[Any], Any], system_factory: Callable[[Any], Any] | None = None) -> None:
        super().__init__()
        self.source_factory = source_factory
        self.system_factory = system_factory
        self.recorder: MultiRecorder | None = None
        self.live: LiveTranscripts | None = None

    def _open(self, device: Any, choice: str) -> dict[str, Any]:
        from assistant.core.audio.system_sound import open_system_source

        system_factory = self.system_factory or open_system_source
        return {role: self.source_factory(device) if role == MIC else system_factory(None) for role in roles(choice)}

    @Slot(object, object, str, object)
    def start(self, device: Any, stt_model: Any, choice: str = MIC, language: str | None = None) -> None:
        try:
            sources = self._open(device, choice)
            recognizer = None
            if stt_model:
                try:
                    recognizer = SpeechRecognizer(stt_model, language=language)  # None: detected
                except TranscribeError as exc:
                    self.notice.emit(f"{exc} Recording without a live transcript.")
            recording = Recording.create(device=" + ".join(getattr(s, "name", "") for s in sources.values()))

            def on_text(span: Segment) -> None:
                recording.append_span(span)  # on disk first: a crash keeps the transcript too
                self.span.emit(span)

            live = None
            if recognizer is not None:  # with both: "You" and "Others", the microphone's echo of the call dropped
                live = LiveTranscripts(
                    recognizer, sources, on_text, on_status=self._status, audio_files=track_paths(recording, sources)
                )
            recorder = MultiRecorder(
                sources, recording, listeners=live.listeners if live else {}, on_error=self.error.emit,
                on_notice=self.notice.emit,
            )
            recorder.start()
            if live is not None:
                live.start()
            self.recorder, self.live = recorder, live
            self.started.emit(str(recording.folder))
        except CaptureError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # shown to the user; the traceback goes to the log
            traceback.print_exc()
            self.failed.emit(f"Recording could not start: {exc}")

    def _status(self, status: LiveStatus) -> None:
        self.behind.emit(status.behind, status.message)

    @Slot()
    def stop(self) -> None:
        recorder, live = self.recorder, self.live
        self.recorder, self.live = None, None
        if recorder is None:
            return
        result = recorder.stop()
        if live is not None:
            live.finish()
        assert result.recording is not None
        self.stopped.emit(str(result.recording.audio_path), result.error)


class RecorderPanel(QWidget):
    """Device picker, level meter, elapsed time, record / pause / stop, behind-real-time notice."""

    transcriptSpan = Signal(str)  # "[mm:ss] text"
    spanReady = Signal(object)  # the Segment (start, end, text)
    finished = Signal(str)  # path of the WAV file
    recordingStarted = Signal(str)  # recording folder
    errorOccurred = Signal(str)
    behindChanged = Signal(bool)
    _startRequested = Signal(object, object, str, object)
    _stopRequested = Signal()

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
        self.state = "idle"  # idle, starting, recording, paused, stopping
        self.spans: list[Segment] = []
        self.folder: Path | None = None

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

        self.thread = QThread()
        self.thread.setObjectName("recording")
        self.worker = RecordingWorker(source_factory or MicrophoneSource, system_factory)
        self.worker.moveToThread(self.thread)
        self._startRequested.connect(self.worker.start)
        self._stopRequested.connect(self.worker.stop)
        self.worker.started.connect(self._on_started)
        self.worker.failed.connect(self._on_failed)
        self.worker.error.connect(self._on_error)
        self.worker.notice.connect(self._show_message)
        self.worker.span.connect(self._on_span)
        self.worker.behind.connect(self._on_behind)
        self.worker.stopped.connect(self._on_stopped)
        self.thread.start()

        self.source_combo.currentIndexChanged.connect(self._update_controls)
        self.refresh_button.clicked.connect(self._refresh_clicked)
        self.record_button.clicked.connect(self.record)
        self.pause_button.clicked.connect(self._pause_clicked)
        self.stop_button.clicked.connect(self.stop)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._tick)
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
        self._startRequested.emit(self.device_combo.currentData(), self.stt_model, self.source, self.language)

    def _pause_clicked(self) -> None:
        if self.state == "recording":
            self.pause()
        elif self.state == "paused":
            self.resume()

    def pause(self) -> None:
        recorder = self.worker.recorder
        if recorder is not None and self.state == "recording":
            recorder.pause()
            self.state = "paused"
            self._show_message("Paused: nothing is recorded until you resume.")
            self._update_controls()

    def resume(self) -> None:
        recorder = self.worker.recorder
        if recorder is not None and self.state == "paused":
            recorder.resume()
            self.state = "recording"
            self._show_message("Recording…")
            self._update_controls()

    def stop(self) -> None:
        if self.state not in ("recording", "paused"):
            return
        self.state = "stopping"
        self._show_message("Stopping: saving the audio and finishing the transcript…")
        self._update_controls()
        self._stopRequested.emit()

    # -- worker events ---------------------------------------------------------------------------
    @Slot(str)
    def _on_started(self, folder: str) -> None:
        self.folder = Path(folder)
        self.state = "recording"
        self._show_message("Recording…" if self.worker.live else self.message.text())
        self._timer.start()
        self._update_controls()
        self.recordingStarted.emit(folder)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.state = "idle"
        self._show_message(message)
        self._update_controls()
        self.errorOccurred.emit(message)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self._show_message(message)
        self.errorOccurred.emit(message)
        if self.state in ("recording", "paused"):  # the device is gone: close the recording
            self.state = "stopping"
            self._update_controls()
            self._stopRequested.emit()

    @Slot(object)
    def _on_span(self, span: Segment) -> None:
        self.spans.append(span)
        self.spanReady.emit(span)
        self.transcriptSpan.emit(span.render())

    @Slot(bool, str)
    def _on_behind(self, behind: bool, message: str) -> None:
        self.behind_label.setText(message or "Speech recognition is behind real time; catching up.")
        self.behind_label.setVisible(behind)
        self.behindChanged.emit(behind)

    @Slot(str, str)
    def _on_stopped(self, audio_path: str, error: str) -> None:
        self._timer.stop()
        self._tick()
        self.state = "idle"
        self.level.setValue(LEVEL_FLOOR_DB)
        self.behind_label.hide()
        self._show_message(error or f"Saved {clock(self._elapsed)} of audio.")
        self._update_controls()
        self.finished.emit(audio_path)

    _elapsed = 0.0

    def _tick(self) -> None:
        recorder = self.worker.recorder
        if recorder is None:
            return
        self._elapsed = recorder.elapsed
        self.elapsed_label.setText(clock(recorder.elapsed))
        self.level.setValue(int(max(LEVEL_FLOOR_DB, min(0.0, recorder.level))))

    # -- end -------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop recording (the file is closed properly) and end the thread; call before exit."""
        self._timer.stop()
        if self.thread.isRunning():
            if self.state in ("recording", "paused", "stopping", "starting"):
                self._stopRequested.emit()
            self.thread.quit()
            self.thread.wait()

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
