"""The Models page: every catalog build with how it fits this machine, what is on disk,
and buttons to use, download or delete a build."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.core.models.catalog import Catalog
from assistant.core.models.download import local_builds
from assistant.core.models.hardware import HardwareProfile, describe
from assistant.core.models.machine_check import MachineCheck
from assistant.core.models.selector import Preferences, fit_table, gb
from assistant.core.paths import models_dir


class SpeechDownload(QThread):
    """Downloads one faster-whisper model folder, verified, on its own thread."""

    progressed = Signal(str)
    done = Signal(str, str)  # folder, error ("" when fine)

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.cancel = threading.Event()

    def run(self) -> None:
        from assistant.core.models.download import DownloadError, download_speech_model

        def report(update) -> None:
            self.progressed.emit(f"{update.file}: {gb(update.done_bytes)} of {gb(update.total_bytes or 0)}")

        try:
            folder = download_speech_model(self.model, progress=report, cancel=self.cancel)
        except (DownloadError, OSError) as exc:
            self.done.emit("", str(exc))
        else:
            self.done.emit(str(folder), "")


COLUMNS = ("Build", "Download", "Needs", "Fit", "Speed", "On disk")


class ModelsPage(QWidget):
    """Lists builds; emits ``useRequested(path)`` and ``downloadRequested(build_id)``."""

    useRequested = Signal(str)
    downloadRequested = Signal(str)
    deleted = Signal(str)  # path of a removed file
    speechModelReady = Signal(str)  # folder of a downloaded speech model

    def __init__(
        self, catalog: Catalog, profile: HardwareProfile, context_length: int, parent: QWidget | None = None, check: MachineCheck | None = None
    ) -> None:
        super().__init__(parent)
        self.catalog, self.profile, self.check = catalog, profile, check
        self.preferences = Preferences(context_length=context_length)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>This computer:</b> {describe(profile)}"))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        self.disk_label = QLabel()
        layout.addWidget(self.disk_label)
        buttons = QHBoxLayout()
        self.use_button = QPushButton("Use this build")
        self.download_button = QPushButton("Download…")
        self.delete_button = QPushButton("Delete file")
        for button in (self.use_button, self.download_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("<b>Speech to text</b> (for recording meetings)"))
        self.speech_label = QLabel()
        self.speech_label.setWordWrap(True)
        layout.addWidget(self.speech_label)
        speech_row = QHBoxLayout()
        self.speech_kind = QComboBox()
        self.speech_kind.addItem("Meetings in English", False)
        self.speech_kind.addItem("Meetings in other languages too (multilingual)", True)
        self.speech_kind.setToolTip("English-only models are more accurate for English; multilingual ones hear about 100 languages")
        self.speech_kind.currentIndexChanged.connect(lambda _i: self._refresh_speech())
        speech_row.addWidget(self.speech_kind)
        self.speech_button = QPushButton("Download speech model")
        self.speech_button.clicked.connect(self._speech_clicked)
        speech_row.addWidget(self.speech_button)
        self.speech_status = QLabel()
        speech_row.addWidget(self.speech_status, 1)
        layout.addLayout(speech_row)
        self.speech_job: SpeechDownload | None = None
        self.use_button.clicked.connect(self._use_clicked)
        self.download_button.clicked.connect(self._download_clicked)
        self.delete_button.clicked.connect(self._delete_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def refresh(self) -> None:
        self.on_disk = local_builds(self.catalog.builds)
        estimates = fit_table(self.profile, self.catalog, self.preferences, self.check)
        self.table.setRowCount(len(estimates))
        for row, estimate in enumerate(estimates):
            build = estimate.build
            values = (
                build.label,
                gb(build.download_size),
                gb(estimate.memory_bytes),
                estimate.fit,
                f"{estimate.speed_class} (~{estimate.tokens_per_second:.0f} tok/s)",
                "yes" if build.id in self.on_disk else "",
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, build.id)
                self.table.setItem(row, column, item)
        stats = [path.stat() for path in Path(models_dir()).rglob("*") if path.is_file()]
        used = sum(stat.st_size for stat in stats)
        shared = sum(stat.st_size for stat in stats if stat.st_nlink > 1)  # linked from another app's folder
        note = f" ({gb(shared)} of it shared with copies in other apps' folders)" if shared else ""
        basis = estimates[0].basis if estimates else ""
        self.disk_label.setText(f"Model files use {gb(used)} in {models_dir()}{note}. Speeds: {basis}.")
        self._update_buttons()
        if hasattr(self, "speech_label"):
            self._refresh_speech()

    def speech_choice(self):
        """The recommended speech model of the kind chosen (English-only or multilingual)."""
        from assistant.core.models.speech_choice import choose_speech_model

        return choose_speech_model(self.profile, self.catalog, english_only=not self.multilingual())

    def multilingual(self) -> bool:
        return bool(self.speech_kind.currentData()) if hasattr(self, "speech_kind") else False

    def want_multilingual(self, wanted: bool = True) -> None:
        """Offer the multilingual speech model (a meeting in another language was chosen)."""
        self.speech_kind.setCurrentIndex(self.speech_kind.findData(wanted))

    def _refresh_speech(self) -> None:
        if not self.catalog.speech:
            self.speech_label.setText("The catalog lists no speech models.")
            self.speech_button.setEnabled(False)
            return
        choice = self.speech_choice()
        present = (Path(models_dir()) / choice.model.id).is_dir()
        self.speech_label.setText(f"Recommended: {choice.reason}" + (" Downloaded." if present else ""))
        self.speech_button.setText(f"Download {choice.model.name}")
        self.speech_button.setEnabled(not present and self.speech_job is None)

    def _speech_clicked(self) -> None:
        choice = self.speech_choice()
        job = SpeechDownload(choice.model, self)
        job.progressed.connect(lambda text: self.speech_status.setText(text))
        job.done.connect(self._speech_done)
        self.speech_job = job
        self.speech_button.setEnabled(False)
        job.start()

    def _speech_done(self, folder: str, error: str) -> None:
        self.speech_job = None
        if error:
            self.speech_status.setText(f"<span style='color:#c5221f'>{error}</span>")
        else:
            self.speech_status.setText(f"Ready in {folder}.")
            self.speechModelReady.emit(folder)
        self.refresh()

    def shutdown(self) -> None:
        if self.speech_job is not None:
            self.speech_job.cancel.set()
            self.speech_job.wait()

    def selected_build_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def _update_buttons(self) -> None:
        build_id = self.selected_build_id()
        present = build_id in self.on_disk if build_id else False
        self.use_button.setEnabled(present)
        self.delete_button.setEnabled(present)
        self.download_button.setEnabled(build_id is not None and not present)

    def _use_clicked(self) -> None:
        build_id = self.selected_build_id()
        if build_id in self.on_disk:
            self.useRequested.emit(str(self.on_disk[build_id]))

    def _download_clicked(self) -> None:
        build_id = self.selected_build_id()
        if build_id:
            self.downloadRequested.emit(build_id)

    def delete_build(self, build_id: str) -> bool:
        path = self.on_disk.get(build_id)
        if path is None:
            return False
        path.unlink(missing_ok=True)
        self.refresh()
        self.deleted.emit(str(path))
        return True

    def _delete_clicked(self) -> None:
        build_id = self.selected_build_id()
        if build_id:
            self.delete_build(build_id)
