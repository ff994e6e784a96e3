"""First-run wizard: the right Llama 3.2 build for this machine, downloaded and checked.

Pages: choose (machine summary, recommendation and why, alternatives with fit
labels and predicted speeds) → licence (shown and accepted once) → download
(progress, speed, ETA, pause/resume/cancel) → speed check (10 s on this machine;
offers the smaller build below 5 tokens/s; when measured and predicted differ by
more than 30 % the machine's calibration is updated and the page says so).
The machine check (about 3 s, cached per machine) runs on its own thread when the
wizard opens, so the recommendation is made from measured speeds before any
download; "Measure again" re-runs it. The download runs on its own thread; the
speed check runs on the app's model worker, which then keeps the model loaded.
The licence step and the speed-check step are widgets of their own
(:mod:`~assistant.ui.setup_license`, :mod:`~assistant.ui.setup_speed_check`); the
background work is in :mod:`~assistant.ui.setup_workers`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from assistant.core import settings
from assistant.core.models import folders as model_folders
from assistant.core.models import machine_check
from assistant.core.models.catalog import Build, Catalog
from assistant.core.models.download import Progress
from assistant.core.models.hardware import HardwareProfile, describe
from assistant.core.models.machine_check import MachineCheck
from assistant.core.models.selector import FITS, TIGHT, Choice, Estimate, Preferences, fit_table, gb, select_build
from assistant.core.store import Store
from assistant.ui.download_worker import DownloadWorker
from assistant.ui.setup_license import LicensePage
from assistant.ui.setup_speed_check import SpeedCheckPage
from assistant.ui.setup_workers import SPEED_CHECK_SECONDS, CheckWorker, Measure, default_measure
from assistant.ui.worker import ModelBridge

SLOW_TOKENS_PER_SECOND = 5.0


def _describe_estimate(estimate: Estimate) -> str:
    return (
        f"{estimate.build.label} — {gb(estimate.build.download_size)} download, needs about "
        f"{gb(estimate.memory_bytes)} — {estimate.fit} — {estimate.speed_class} (~{estimate.tokens_per_second:.0f} tokens/s)"
    )


def _choice_html(choice: Choice) -> str:
    if not choice.ok:
        return "<p><b>No Llama 3.2 build fits this computer right now.</b></p>" + "".join(
            f"<p>{line}</p>" for line in choice.reasons + choice.warnings
        )
    reasons = "".join(f"<li>{reason}</li>" for reason in choice.reasons)
    warnings = "".join(f"<li>⚠ {warning}</li>" for warning in choice.warnings)
    return f"<p><b>Recommended: {choice.build.label}</b></p><ul>{reasons}{warnings}</ul>"


class SetupWizard(QDialog):
    """Guides a new user to a downloaded, verified, speed-checked model."""

    _start_download = Signal(object, object)  # build, folders to search first

    def __init__(
        self,
        store: Store,
        bridge: ModelBridge,
        catalog: Catalog,
        profile: HardwareProfile,
        parent: QWidget | None = None,
        measure: Measure | None = default_measure,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up Llama Desk")
        self.resize(760, 560)
        self.store, self.bridge, self.catalog, self.profile = store, bridge, catalog, profile
        self.preferences = Preferences(context_length=settings.context_size(store))
        self.check: MachineCheck | None = None
        self.measure = measure
        self.check_worker: CheckWorker | None = None
        self.calibration_note = ""
        self.choice: Choice = select_build(profile, self.preferences, catalog)
        self.estimates = fit_table(profile, catalog, self.preferences)
        self.selected: Build | None = self.choice.build
        self.model_path: str | None = None
        self.measured_speed: float | None = None
        self.error_text = ""
        self.speed_seconds = SPEED_CHECK_SECONDS
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self._build_choose_page()
        self._build_license_page()
        self._build_download_page()
        self._build_speed_page()
        self.worker = DownloadWorker()  # each download is a job of its own
        self._start_download.connect(self.worker.run)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_downloaded)
        self.worker.failed.connect(self._on_failed)
        self.worker.paused.connect(self._on_paused)
        self.worker.tooSlow.connect(self._on_too_slow)
        self._closed = False
        self.measure_machine()

    # -- page 1: choose -------------------------------------------------------
    def _build_choose_page(self) -> None:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(QLabel(f"<b>This computer:</b> {describe(self.profile)}"))
        check_row = QHBoxLayout()
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        check_row.addWidget(self.check_label, 1)
        self.measure_button = QPushButton("Measure again")
        self.measure_button.setToolTip("Measure memory speed and arithmetic on this computer again (about 3 seconds).")
        self.measure_button.clicked.connect(lambda: self.measure_machine(again=True))
        check_row.addWidget(self.measure_button)
        column.addLayout(check_row)
        self.recommendation = QLabel(_choice_html(self.choice))
        self.recommendation.setWordWrap(True)
        column.addWidget(self.recommendation)
        column.addWidget(QLabel("Or pick another build:"))
        self.build_list = QListWidget()
        self._fill_build_list()
        self.build_list.currentItemChanged.connect(self._on_build_picked)
        column.addWidget(self.build_list, 1)
        self.folders_label = QLabel()
        self.folders_label.setWordWrap(True)
        column.addWidget(self.folders_label)
        buttons = QHBoxLayout()
        add_folder = QPushButton("Add a folder with models…")
        add_folder.setToolTip("A folder where you keep GGUF files: a copy found there is used instead of downloading it again.")
        add_folder.clicked.connect(self._add_folder_clicked)
        buttons.addWidget(add_folder)
        self.forget_folders_button = QPushButton("Forget the folders I added")
        self.forget_folders_button.clicked.connect(self.forget_added_folders)
        buttons.addWidget(self.forget_folders_button)
        self._show_search_folders()
        buttons.addStretch(1)
        self.choose_next = QPushButton("Next")
        self.choose_next.setDefault(True)
        self.choose_next.setEnabled(self.selected is not None)
        self.choose_next.clicked.connect(self._choose_done)
        buttons.addWidget(self.choose_next)
        column.addLayout(buttons)
        self.pages.addWidget(page)

    def _fill_build_list(self) -> None:
        """One line per build; those that do not fit memory or disk cannot be picked."""
        self.build_list.blockSignals(True)
        self.build_list.clear()
        for estimate in self.estimates:
            item = QListWidgetItem(_describe_estimate(estimate))
            item.setData(Qt.ItemDataRole.UserRole, estimate.build.id)
            if estimate.fit not in (FITS, TIGHT):
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable & ~Qt.ItemFlag.ItemIsEnabled)
            self.build_list.addItem(item)
            if self.selected and estimate.build.id == self.selected.id:
                self.build_list.setCurrentItem(item)
        self.build_list.blockSignals(False)

    # -- the machine check --------------------------------------------------------
    def measure_machine(self, again: bool = False) -> None:
        """Start the machine check on its own thread (a cached one comes back at once)."""
        if self.measure is None or (self.check_worker is not None and self.check_worker.isRunning()):
            self._show_check_state()
            return
        self.check_worker = CheckWorker(self.measure, self.profile, again, self)
        self.check_worker.measured.connect(self._on_machine_measured)
        self.check_worker.start()
        self._show_check_state()

    def _show_check_state(self) -> None:
        running = self.check_worker is not None and self.check_worker.isRunning()
        self.measure_button.setEnabled(not running and self.measure is not None)
        if running:
            self.check_label.setText("Measuring this computer's speed (about 3 seconds)…")
        elif self.check is not None:
            self.check_label.setText(f"Speeds predicted from this computer: {self.check.basis()}.")
        else:
            self.check_label.setText("Speeds are estimated for this kind of processor (not measured).")

    @Slot(object)
    def _on_machine_measured(self, check: MachineCheck | None) -> None:
        if check is not None:
            self.apply_check(check)
        self._show_check_state()

    def apply_check(self, check: MachineCheck) -> None:
        """Recommend again from measured speeds (the user's own pick, if any, is kept)."""
        kept = self.selected if self.selected and self.choice.build and self.selected.id != self.choice.build.id else None
        self.check = check
        self.choice = select_build(self.profile, self.preferences, self.catalog, check)
        self.estimates = fit_table(self.profile, self.catalog, self.preferences, check)
        self.selected = kept or self.choice.build
        self.recommendation.setText(_choice_html(self.choice))
        self._fill_build_list()
        self.choose_next.setEnabled(self.selected is not None)
        self._show_check_state()

    def _show_search_folders(self) -> None:
        self.search_folders = model_folders.search_folders(self.store)
        self.forget_folders_button.setVisible(bool(model_folders.added_folders(self.store)))
        where = "; ".join(folder.label for folder in self.search_folders)
        self.folders_label.setText(
            f"Before downloading, Llama Desk looks for the file on this computer: in {where} and the Hugging Face cache."
            if where else "Before downloading, Llama Desk looks for the file in the Hugging Face cache on this computer."
        )

    def add_search_folder(self, folder: str | Path) -> None:
        """Search ``folder`` too, from now on (kept in the settings)."""
        model_folders.add_folder(self.store, Path(folder))
        self._show_search_folders()

    def forget_added_folders(self) -> None:
        """Stop searching the folders the user added (other apps' folders stay)."""
        for folder in model_folders.added_folders(self.store):
            model_folders.remove_folder(self.store, folder)
        self._show_search_folders()

    def _add_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with model files")
        if folder:
            self.add_search_folder(folder)

    def preselect(self, build_id: str) -> None:
        """Start with this build selected (from the Models page)."""
        for row in range(self.build_list.count()):
            item = self.build_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == build_id:
                self.build_list.setCurrentItem(item)

    def _on_build_picked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.selected = self.catalog.build(item.data(Qt.ItemDataRole.UserRole))
            self.choose_next.setEnabled(True)

    def _choose_done(self) -> None:
        if self.store.get_setting(settings.LICENSE_ACCEPTED):
            self.start_download()
        else:
            self.pages.setCurrentIndex(1)

    # -- page 2: licence ------------------------------------------------------
    def _build_license_page(self) -> None:
        page = LicensePage()
        page.back.connect(lambda: self.pages.setCurrentIndex(0))
        page.accepted.connect(self._license_accepted)
        self.accept_box, self.license_next = page.accept_box, page.next_button
        self.pages.addWidget(page)

    def _license_accepted(self) -> None:
        self.store.set_setting(settings.LICENSE_ACCEPTED, datetime.now(UTC).isoformat(timespec="seconds"))
        self.start_download()

    # -- page 3: download -----------------------------------------------------
    def _build_download_page(self) -> None:
        page = QWidget()
        column = QVBoxLayout(page)
        self.download_title = QLabel()
        column.addWidget(self.download_title)
        self.download_bar = QProgressBar()
        self.download_bar.setRange(0, 1000)
        column.addWidget(self.download_bar)
        self.download_status = QLabel()
        self.download_status.setWordWrap(True)
        column.addWidget(self.download_status)
        self.slow_box = QWidget()
        slow_row = QHBoxLayout(self.slow_box)
        self.slow_label = QLabel()
        self.slow_label.setWordWrap(True)
        slow_row.addWidget(self.slow_label, 1)
        self.slow_keep_button = QPushButton("Keep going")
        self.slow_keep_button.clicked.connect(lambda: self._answer_slow(True))
        slow_row.addWidget(self.slow_keep_button)
        self.slow_pause_button = QPushButton("Pause")
        self.slow_pause_button.clicked.connect(lambda: self._answer_slow(False))
        slow_row.addWidget(self.slow_pause_button)
        self.slow_box.hide()
        self.slow_asked = 0
        column.addWidget(self.slow_box)
        column.addStretch(1)
        buttons = QHBoxLayout()
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._pause_clicked)
        buttons.addWidget(self.pause_button)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(self._resume_clicked)
        buttons.addWidget(self.resume_button)
        self.cancel_button = QPushButton("Choose another build")
        self.cancel_button.clicked.connect(self._back_to_choice)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.pages.addWidget(page)

    def start_download(self) -> None:
        assert self.selected is not None
        self.pages.setCurrentIndex(2)
        self.error_text = ""
        self.download_title.setText(f"<b>Downloading {self.selected.label}</b> ({gb(self.selected.download_size)})")
        self.download_status.setText("Checking for a copy already on this computer…")
        self.pause_button.setEnabled(True)
        self.resume_button.setEnabled(False)
        self._start_download.emit(self.selected, [folder.path for folder in self.search_folders])

    def _pause_clicked(self) -> None:
        self.worker.cancel.set()
        self.slow_box.hide()

    def _resume_clicked(self) -> None:
        self.start_download()

    def _back_to_choice(self) -> None:
        self.worker.cancel.set()
        self.pages.setCurrentIndex(0)

    def _on_progress(self, update: Progress) -> None:
        if update.total_bytes:
            self.download_bar.setValue(int(1000 * update.done_bytes / update.total_bytes))
        eta = f", about {int(update.eta_seconds // 60)} min {int(update.eta_seconds % 60)} s left" if update.eta_seconds else ""
        self.download_status.setText(
            f"{gb(update.done_bytes)} of {gb(update.total_bytes or 0)} at {update.bytes_per_second / 1e6:.1f} MB/s{eta}"
        )

    def _on_too_slow(self, update: Progress) -> None:
        self.slow_asked += 1
        self.slow_label.setText(
            f"This is too slow ({update.bytes_per_second / 1000:.0f} kB/s): keep going, or pause and resume later "
            "(what was downloaded is kept)?"
        )
        self.slow_box.show()

    def _answer_slow(self, keep_going: bool) -> None:
        self.slow_box.hide()
        self.worker.answer_slow(keep_going)

    def _on_paused(self, reason: str) -> None:
        self.slow_box.hide()
        self.download_status.setText(reason or "Paused. What was downloaded is kept; Resume continues from there.")
        self.pause_button.setEnabled(False)
        self.resume_button.setEnabled(True)

    def _on_failed(self, message: str) -> None:
        self.error_text = message
        self.download_status.setText(f"<span style='color:#c5221f'>{message}</span>")
        self.pause_button.setEnabled(False)
        self.resume_button.setEnabled(True)
        self.resume_button.setText("Try again")

    def _on_downloaded(self, path: str, reused: str) -> None:
        self.model_path = path
        self.download_bar.setValue(1000)
        if reused:
            where = model_folders.describe_source(reused, self.search_folders)
            self.download_status.setText(f"Found a copy in {where} with the right SHA-256; nothing was downloaded.")
        else:
            self.download_status.setText("Downloaded and verified (SHA-256).")
        self.pause_button.setEnabled(False)
        self.resume_button.setEnabled(False)
        self.pages.setCurrentIndex(3)
        self.speed_page.start(path, settings.context_size(self.store), self.speed_seconds)

    # -- page 4: speed check --------------------------------------------------
    def _build_speed_page(self) -> None:
        page = self.speed_page = SpeedCheckPage(self.bridge)
        page.measured.connect(self._on_speed_measured)
        page.smaller_button.clicked.connect(self._use_smaller)
        page.done_button.clicked.connect(self.accept)
        self.speed_label, self.smaller_button, self.done_button = page.label, page.smaller_button, page.done_button
        self.pages.addWidget(page)

    def _on_speed_measured(self, speed: float) -> None:
        self.measured_speed = speed
        self.calibration_note = self._recalibrate(speed)
        smaller = self.smaller_build()
        if speed < SLOW_TOKENS_PER_SECOND and smaller is not None:
            self.speed_page.show_result(
                f"This computer writes {speed:.1f} tokens per second with {self.selected.label}, which will feel slow. "
                f"{smaller.label} ({gb(smaller.download_size)}) should be about twice as fast." + self.calibration_note,
                smaller.label,
            )
        else:
            self.speed_page.show_result(f"{speed:.1f} tokens per second on this computer. Ready." + self.calibration_note)

    def _recalibrate(self, measured: float) -> str:
        """Compare the measured speed with the prediction; past 30 % apart, teach the machine's
        calibration and predict again. Returns the sentence the page adds ("" when close enough)."""
        if self.check is None or self.selected is None:
            return ""
        predicted = next((e.tokens_per_second for e in self.estimates if e.build.id == self.selected.id), 0.0)
        if machine_check.record_speed(self.check, predicted, measured) is None:
            return ""
        self.estimates = fit_table(self.profile, self.catalog, self.preferences, self.check)
        self.choice = select_build(self.profile, self.preferences, self.catalog, self.check)
        self.recommendation.setText(_choice_html(self.choice))
        self._fill_build_list()
        self._show_check_state()
        return (
            f" The prediction was {predicted:.1f} tokens per second, {abs(measured / predicted - 1):.0%} off, so the "
            f"predictions for this computer were adjusted (calibration x{self.check.calibration:.2f})."
        )

    def smaller_build(self) -> Build | None:
        """The fitting build with the smallest download below the current one."""
        current = self.selected
        if current is None:
            return None
        fitting = [e.build for e in self.estimates if e.fit in (FITS, TIGHT) and e.build.download_size < current.download_size]
        return min(fitting, key=lambda build: build.download_size, default=None)

    def _use_smaller(self) -> None:
        self.selected = self.smaller_build()
        self.speed_page.restart()
        self.start_download()

    # -- closing ----------------------------------------------------------------
    def done(self, result: int) -> None:
        """Stop the download thread (and wait for a running machine check) whichever way the dialog ends."""
        if self.check_worker is not None:
            self.check_worker.wait()
        if self._closed:
            super().done(result)
            return
        self._closed = True
        self.worker.shutdown()
        self.speed_page.stop()
        super().done(result)
