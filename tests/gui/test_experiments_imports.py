"""The window never imports Optuna for a study (issue #15): "Search this…" and Run study leave it out.

Importing Optuna (and scikit-learn for the importances) froze the window for
seconds at the first "Search this…", and importing them off the GUI thread
crashed it before; the study runs in its own process instead. A fresh process
is needed to see it: this test process has imported Optuna long ago.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from app.launch import EXAMPLE

SCRIPT = textwrap.dedent(r"""
    import json, sys, time
    from pathlib import Path
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMenu
    from app.main_window import MainWindow

    app = QApplication([])
    window = MainWindow()
    window.confirm_discard = window.confirm_quit = lambda: True
    window.resize(1400, 900)
    window.show()
    QTest.qWaitForWindowExposed(window)
    assert window.open_project(Path(sys.argv[1]), interactive=False, trust=True)
    panel = window.experiments
    fc1 = window.model.doc.graph.node_by_label("fc1")
    window.model.select([fc1.id])
    editor = window.inspector.editors["out_features"]
    while not editor.isVisible():
        QTest.qWait(50)

    def press_ok():  # the range dialog opens with a first guess; a person accepts it with OK
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, press_ok)
            return
        QTest.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok), Qt.LeftButton)

    QTimer.singleShot(0, press_ok)
    QTest.mouseClick(window.windowHandle(), Qt.RightButton, pos=editor.mapTo(window, editor.rect().center()))
    menu = next(m for m in QApplication.topLevelWidgets() if isinstance(m, QMenu) and m.isVisible())
    action = next(a for a in menu.actions() if a.objectName() == "search_this")
    QTest.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(action).center())
    deadline = time.monotonic() + 30
    while not panel.params and time.monotonic() < deadline:
        QTest.qWait(50)
    after_search = "optuna" in sys.modules
    panel.trials_spin.setValue(1)
    panel.jobs_spin.setValue(1)
    panel.name.setText("imports")
    QTest.mouseClick(panel.run_button, Qt.LeftButton)
    deadline = time.monotonic() + 400
    while (panel.runner.running or panel.results is None) and time.monotonic() < deadline:
        QTest.qWait(100)
    counts = panel.results.counts() if panel.results is not None else {}
    window.shutdown()
    window.close()
    print(json.dumps({"params": [p.path for p in panel.params], "after_search": after_search,
                      "after_run": "optuna" in sys.modules, "sklearn": "sklearn" in sys.modules,
                      "counts": counts}))
""")


@pytest.mark.timeout(600)
def test_search_this_and_run_study_never_import_optuna_in_the_window(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["recipe"].update({"epochs": 1, "batch_size": 128, "checkpoint_every": 0})
    project = tmp_path / "digits.json"
    project.write_text(json.dumps(data))
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(project)], capture_output=True, text=True,
                          timeout=540, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["params"] == ["fc1.out_features"]
    assert seen["counts"] == {"complete": 1}  # the study really ran (in its own process)
    assert not seen["after_search"] and not seen["after_run"] and not seen["sklearn"]
