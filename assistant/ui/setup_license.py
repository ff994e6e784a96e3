"""The setup wizard's licence step: the Llama 3.2 licence in short, with links to the full texts.

Shown once: the wizard stores the acceptance (with its time) and skips this step afterwards.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget

LICENSE_HTML = """
<h3>Llama 3.2 Community License and Acceptable Use Policy</h3>
<p>Llama 3.2 models are made by Meta and licensed under the <b>Llama 3.2 Community License
Agreement</b>, together with Meta's <b>Acceptable Use Policy</b>. Llama Desk downloads the model
files for you; using them means you accept both.</p>
<p>In short: you may use, copy and adapt the models; if you share them or things built with them,
you must include the licence and say "Built with Llama"; you must follow the Acceptable Use Policy
(no use for illegal activity, harm to people, deception, or other uses it lists); services with more
than 700 million monthly users need a separate licence from Meta. This summary is not the licence:
read the full texts at <a href="https://www.llama.com/llama3_2/license/">llama.com/llama3_2/license</a>
and <a href="https://www.llama.com/llama3_2/use-policy/">llama.com/llama3_2/use-policy</a>.</p>
"""


class LicensePage(QWidget):
    """The licence and an "I accept" box; ``accepted`` once the user accepts, ``back`` to choose again."""

    accepted = Signal()
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        text = QTextBrowser()
        text.setOpenExternalLinks(True)
        text.setHtml(LICENSE_HTML)
        column.addWidget(text, 1)
        self.accept_box = QCheckBox("I accept the Llama 3.2 Community License and Acceptable Use Policy")
        column.addWidget(self.accept_box)
        buttons = QHBoxLayout()
        back = QPushButton("Back")
        back.clicked.connect(lambda: self.back.emit())
        buttons.addWidget(back)
        buttons.addStretch(1)
        self.next_button = QPushButton("Accept and download")
        self.next_button.setEnabled(False)
        self.accept_box.toggled.connect(self.next_button.setEnabled)
        self.next_button.clicked.connect(lambda: self.accepted.emit())
        buttons.addWidget(self.next_button)
        column.addLayout(buttons)
