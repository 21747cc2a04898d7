"""A copy gesture must not crash the interpreter's exit.

PySide6 6.11 segfaults (exit code 139) when the application is torn down
during interpreter finalisation while the clipboard still owns a QMimeData
made in Python: a full test run that ended after a copy test exited 139 with
every test passed. The window hands the clipboard Qt's own text copy at exit.
"""

import os
import subprocess
import sys
from pathlib import Path

from app.launch import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from PySide6.QtWidgets import QApplication
from app.main_window import MainWindow
from pathlib import Path
app = QApplication([])
w = MainWindow()
assert w.open_project(Path({example!r}), interactive=False)
w.model.select([w.model.doc.graph.node_by_label("fc1").id])
assert w.copy()
payload = w.clipboard_payload()
assert payload["nodes"], payload
w.confirm_discard = lambda: True
w.close()
print("copied", len(payload["nodes"]))
"""


def test_the_process_exits_cleanly_after_a_copy():
    code = SCRIPT.format(example=str(EXAMPLE))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert "copied 1" in done.stdout, done.stderr[-2000:]
    assert done.returncode == 0, f"exit code {done.returncode}: {done.stderr[-2000:]}"
