"""The one question that lets a project's code run: shown on open, on Train and on export.

Trust is given only here (or with `--trust` on the command line); saving,
editing or opening never gives it. The dialog shows what would run and the
code itself, so the answer is an informed one.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import QMessageBox, QWidget

from graph import Document
from graph.trust import code_that_runs

TRUST_BUTTON = "Trust and run"
DECLINE_BUTTON = "Open without running code"


def ask_trust(parent: QWidget, doc: Document, reason: str = "") -> bool:
    """True when the person chose to trust this exact code."""
    dialog = QMessageBox(parent)
    dialog.setObjectName("trust_dialog")
    dialog.setWindowTitle("Trust this project's code?")
    parts = code_that_runs(doc)
    what = ("<br>".join(f"• {p}" for p in parts[:8]) + ("<br>…" if len(parts) > 8 else "")) if parts else \
        "code entries that nothing uses yet"
    dialog.setText((f"{reason}<br><br>" if reason else "") +
                   "This project contains Python code that will run on your computer when the model is built or "
                   f"trained:<br>{what}<br><br>Read it (Show Details), and trust it only if you know where it "
                   "comes from.")
    dialog.setDetailedText("\n\n".join(f"# {name}\n{src}" for name, src in doc.code.items()) or
                           json.dumps(doc.recipe.get("hooks", []), indent=2))
    trust = dialog.addButton(TRUST_BUTTON, QMessageBox.AcceptRole)
    decline = dialog.addButton(DECLINE_BUTTON if not reason else "Don't run it", QMessageBox.RejectRole)
    dialog.setDefaultButton(decline)
    dialog.exec()
    return dialog.clickedButton() is trust
