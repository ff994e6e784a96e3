"""The meeting's template and language pickers, and the dialog that edits templates.

The bar only chooses; the Meetings page keeps the choice with the meeting and passes it to
the notes (instructions, sections, language) and to speech recognition (language, and a
multilingual speech model when the language is not English).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from assistant.core.meetings.language import SPEECH_LANGUAGES
from assistant.core.meetings.templates import (
    DEFAULT_TEMPLATE,
    SECTION_LABELS,
    SECTIONS,
    MeetingTemplate,
    TemplateError,
    delete_template,
    get_template,
    list_templates,
    make_template,
    save_template,
)


class MeetingOptionsBar(QWidget):
    """Template and language of the open meeting; ``changed`` when the user picks another."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Template"))
        self.template_combo = QComboBox()
        self.template_combo.setToolTip("What the notes look for in this kind of meeting, and which sections they show")
        row.addWidget(self.template_combo)
        self.edit_button = QPushButton("Edit templates…")
        self.edit_button.clicked.connect(self.edit_templates)
        row.addWidget(self.edit_button)
        row.addWidget(QLabel("Language"))
        self.language_combo = QComboBox()
        self.language_combo.setToolTip("The language spoken (recordings and imports) and written in the notes")
        self.language_combo.addItem("Auto-detect", "auto")
        for code, name in sorted(SPEECH_LANGUAGES.items(), key=lambda item: item[1]):
            self.language_combo.addItem(f"{name} ({code})", code)
        row.addWidget(self.language_combo)
        row.addStretch(1)
        self.reload_templates()
        self.template_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.language_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def reload_templates(self, select: str | None = None) -> None:
        current = select or self.template_name()
        self.template_combo.blockSignals(True)
        self.template_combo.clear()
        templates, _problems = list_templates()
        for template in templates:
            self.template_combo.addItem(template.label, template.name)
        self.template_combo.blockSignals(False)
        self.set_template(current or DEFAULT_TEMPLATE, quiet=True)

    def template_name(self) -> str:
        return str(self.template_combo.currentData() or DEFAULT_TEMPLATE)

    def template(self) -> MeetingTemplate:
        try:
            return get_template(self.template_name())
        except TemplateError:
            return get_template(DEFAULT_TEMPLATE)

    def language(self) -> str:
        return str(self.language_combo.currentData() or "auto")

    def set_template(self, name: str, *, quiet: bool = False) -> bool:
        index = self.template_combo.findData(name)
        if index < 0:
            index = self.template_combo.findData(DEFAULT_TEMPLATE)
        self.template_combo.blockSignals(quiet)
        self.template_combo.setCurrentIndex(index)
        self.template_combo.blockSignals(False)
        return self.template_combo.currentData() == name

    def set_language(self, code: str, *, quiet: bool = False) -> None:
        index = self.language_combo.findData(code)
        self.language_combo.blockSignals(quiet)
        self.language_combo.setCurrentIndex(max(0, index))
        self.language_combo.blockSignals(False)

    def edit_templates(self) -> TemplateDialog:
        dialog = TemplateDialog(self.template(), self)
        dialog.saved.connect(lambda name: (self.reload_templates(select=name), self.changed.emit()))
        dialog.open()
        self.dialog = dialog
        return dialog


class TemplateDialog(QDialog):
    """Edit a template's instructions and sections; saving a built-in's name keeps an edited copy."""

    saved = Signal(str)  # template name

    def __init__(self, template: MeetingTemplate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Meeting template")
        form = QFormLayout(self)
        self.name_edit = QLineEdit(template.name)
        self.name_edit.setToolTip("A new name makes a new template; a built-in's name keeps your edited copy of it")
        form.addRow("Name", self.name_edit)
        self.label_edit = QLineEdit(template.label)
        form.addRow("Shown as", self.label_edit)
        self.instructions_edit = QPlainTextEdit(template.instructions)
        self.instructions_edit.setPlaceholderText("What to look for in this kind of meeting (the safety rules always apply)")
        form.addRow("Instructions", self.instructions_edit)
        boxes = QHBoxLayout()
        self.section_boxes: dict[str, QCheckBox] = {}
        for name in SECTIONS:
            box = QCheckBox(SECTION_LABELS[name])
            box.setChecked(name in template.sections)
            self.section_boxes[name] = box
            boxes.addWidget(box)
        form.addRow("Sections", boxes)
        self.message = QLabel()
        self.message.setWordWrap(True)
        form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.delete_button = buttons.addButton("Delete / reset", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.clicked.connect(self.delete)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def save(self) -> bool:
        sections = [name for name, box in self.section_boxes.items() if box.isChecked()]
        try:
            template = make_template(self.name_edit.text(), self.label_edit.text(), self.instructions_edit.toPlainText(), sections)
            save_template(template)
        except TemplateError as exc:
            self.message.setText(f"<span style='color:#c5221f'>{exc}</span>")
            return False
        self.saved.emit(template.name)
        self.accept()
        return True

    def delete(self) -> None:
        name = self.name_edit.text()
        try:
            removed = delete_template(name)
        except TemplateError as exc:
            self.message.setText(f"<span style='color:#c5221f'>{exc}</span>")
            return
        if not removed:
            self.message.setText("Built-in templates cannot be deleted, only your edited copies of them.")
            return
        self.saved.emit(name)
        self.accept()
