"""Take a screenshot of the main window answering a question (for the README and CI artifacts).

    xvfb-run -a python packaging/screenshot.py MODEL.gguf OUT.png ["question"]

Uses a throw-away data dir so the user's history is not touched.
"""

from __future__ import annotations

import os
import sys
import tempfile


def main() -> int:
    model, out = sys.argv[1], sys.argv[2]
    question = sys.argv[3] if len(sys.argv) > 3 else "Give me three tips for a productive meeting."
    os.environ.setdefault("LLAMA_DESK_DATA_DIR", tempfile.mkdtemp(prefix="llama-desk-shot-"))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from assistant.core.engines.llama import LlamaCppEngine
    from assistant.core.store import Store
    from assistant.ui.app import create_window
    from assistant.ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    window = create_window(Store(), LlamaCppEngine(), model)
    window.resize(1100, 700)
    window.show()
    state = {"sent": False}

    def tick() -> None:
        if window.error_box is not None:
            print(window.error_box.text(), file=sys.stderr)
            app.exit(1)
            return
        if window.model_info is None:
            QTimer.singleShot(100, tick)
            return
        if not state["sent"]:
            window.send(question)
            state["sent"] = True
        if window.request is not None:
            QTimer.singleShot(100, tick)
            return
        QTimer.singleShot(300, lambda: (window.grab().save(out), window.close(), app.quit()))

    tick()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
