"""Light and dark looks that follow the system's colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

STYLE_SHEET = """
QWidget#chatContainer { background: palette(base); }
QFrame#bubble_user { background: palette(alternate-base); border-radius: 12px; margin-left: 80px; }
QFrame#bubble_assistant { background: palette(window); border-radius: 12px; margin-right: 40px; }
QFrame#bubble_notice { background: transparent; border: 1px dashed palette(mid); border-radius: 8px; }
QLabel#bubbleTitle { font-weight: 600; color: palette(highlight); }
QLabel#bubbleState { color: palette(mid); font-style: italic; }
QLabel#bubbleBody { font-size: 11pt; }
QLabel#placeholder { color: palette(mid); font-size: 13pt; padding: 40px; }
QWidget#sidebar { background: palette(window); }
QPlainTextEdit { border: 1px solid palette(mid); border-radius: 10px; padding: 6px; background: palette(base); }
QPushButton { padding: 5px 14px; }
"""


def _dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#2b3a55",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2d2e31",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#8ab4f8",
        QPalette.ColorRole.HighlightedText: "#202124",
        QPalette.ColorRole.ToolTipBase: "#2d2e31",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Mid: "#5f6368",
        QPalette.ColorRole.Link: "#8ab4f8",
    }
    for role, value in colors.items():
        palette.setColor(role, QColor(value))
    return palette


def _light_palette() -> QPalette:
    palette = QApplication.style().standardPalette()
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#e8f0fe"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#1a73e8"))
    return palette


def apply_theme(app: QApplication) -> None:
    """Use Fusion with a palette matching the system scheme, and follow later changes."""
    app.setStyle("Fusion")

    def update() -> None:
        dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
        app.setPalette(_dark_palette() if dark else _light_palette())
        app.setStyleSheet(STYLE_SHEET)

    update()
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: update())
