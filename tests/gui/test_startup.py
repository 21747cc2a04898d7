"""Issue 17, observation 11: the window is on screen before torch is imported; shapes follow."""

import json
import subprocess
import sys

SCRIPT = r"""
import json, os, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.main_window import MainWindow
from app.launch import EXAMPLE
seen = {}
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and "paint" not in seen:
            seen["paint"] = {"torch": "torch" in sys.modules, "nodes": len(window.scene.nodes),
                             "palette": len(window.palette.items), "edges": len(window.scene.edges)}
        return False
window = MainWindow(background=True)
window.view.viewport().installEventFilter(FirstPaint(window))
window.open_project(EXAMPLE, interactive=False)
window.show()
def done(*_):
    seen["ready"] = {"torch": "torch" in sys.modules, "labels": sorted(e.label.text() for e in window.scene.edges.values()),
                     "palette": len(window.palette.items), "code": window.model.compiled is not None}
    window.shutdown(); app.quit()
window.loader.ready.connect(lambda *_: QTimer.singleShot(300, done))
QTimer.singleShot(240_000, app.quit)
app.exec()
print(json.dumps(seen))
"""


def run_app(home) -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "TORCHCANVAS_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_window_paints_before_torch_is_imported_and_shapes_follow(tmp_path):
    first = run_app(tmp_path)
    assert first["paint"]["torch"] is False, "the first paint happened after torch was imported"
    assert first["ready"]["torch"] is True and first["ready"]["code"]
    assert "(B, 64)" in first["ready"]["labels"], "shapes appear once the engine is loaded"
    second = run_app(tmp_path)  # now with the catalogue cached by the first start
    assert second["paint"]["torch"] is False
    assert second["paint"]["nodes"] == 6 and second["paint"]["edges"] == 5, "the example graph is drawn at once"
    assert second["paint"]["palette"] == second["ready"]["palette"] > 100, "the whole palette is there at once"
