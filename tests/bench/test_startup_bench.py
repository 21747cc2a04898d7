"""Start-up and time to the first plotted batch, beside `python -c "import torch"` in the same run.

Issue 17 asks for the window on screen in < 2 s and F5 → first batch drawn in
< 1 s on a quiet 2-core machine. This machine is shared, so the numbers are
reported as ratios to importing torch, measured in the same rounds (arms
interleaved), with medians and ranges:

* import torch — a fresh interpreter that only imports torch;
* window visible — a fresh interpreter, `python -m app`-like start, until the
  canvas has painted once (torch is imported after that, in the background);
* F5 → first batch drawn, warm — Train pressed once the warm worker is ready:
  until the dashboard has drawn the first loss point; then a second run on the
  same worker (dataset cached);
* F5 → first batch drawn, cold — the previous design: a process spawned per
  run (what the GUI does without a warm worker), for comparison.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import pytest

ROUNDS = int(os.environ.get("TC_BENCH_ROUNDS", "3"))

APP = r"""
import json, os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.main_window import MainWindow
warm = sys.argv[1] == "warm"
window = MainWindow(background=warm)
class Painted(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and not getattr(self, "done", False):
            self.done = True
            print("painted", flush=True)
        return False
window.view.viewport().installEventFilter(Painted(window))
window.open_project(sys.argv[2], interactive=False)
window.resize(1400, 860)
window.show()
out = {}

def drawn():
    curve = window.plots.curves["loss"]
    return curve.xData is not None and len(curve.xData) > 0

def press_f5(key, then):
    t0 = time.perf_counter()
    window.start_training()
    def check():
        if drawn():
            out[key] = time.perf_counter() - t0
            wait_end(then)
        else:
            QTimer.singleShot(2, check)
    check()

def wait_end(then):
    if window.trainer.running:
        QTimer.singleShot(20, lambda: wait_end(then))
    else:
        then()

def when_ready():
    ok = window.model.engine and (window.trainer.warm is None or window.trainer.warm.check())
    if not ok:
        QTimer.singleShot(20, when_ready)
        return
    QTimer.singleShot(500, lambda: press_f5("first", lambda: press_f5("second", finish)))

def finish():
    print(json.dumps(out), flush=True)
    window.shutdown()
    app.quit()

QTimer.singleShot(0, when_ready)
app.exec()
"""


def _project(tmp_path) -> str:
    from app.launch import EXAMPLE

    doc = json.loads(EXAMPLE.read_text())
    doc["recipe"]["epochs"] = 1
    path = tmp_path / "digits.json"
    path.write_text(json.dumps(doc))
    return str(path)


def _env(tmp_path) -> dict:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TORCHCANVAS_HOME": str(tmp_path / "home")}


def time_import_torch() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t0


def run_app(mode: str, project: str, env: dict) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", APP, mode, project], stdout=subprocess.PIPE, text=True, env=env)
    result: dict = {}
    for line in proc.stdout:
        if line.startswith("painted"):
            result["visible"] = time.perf_counter() - t0
        elif line.startswith("{"):
            result.update(json.loads(line))
    assert proc.wait(600) == 0
    return result


def _row(name: str, values: list[float], base: float) -> str:
    med = statistics.median(values)
    return f"{name:<34} {med:7.2f} s   ({min(values):.2f}–{max(values):.2f})   {med / base:5.2f}× import torch"


@pytest.mark.slow
def test_window_visible_and_first_batch_against_import_torch(tmp_path):
    project, env = _project(tmp_path), _env(tmp_path)
    run_app("warm", project, env)  # fills the catalogue cache, as any earlier start of the app does
    arms: dict[str, list[float]] = {k: [] for k in ("torch", "visible", "warm1", "warm2", "cold1")}
    for _ in range(ROUNDS):
        arms["torch"].append(time_import_torch())
        warm = run_app("warm", project, env)
        arms["visible"].append(warm["visible"])
        arms["warm1"].append(warm["first"])
        arms["warm2"].append(warm["second"])
        cold = run_app("cold", project, env)
        arms["cold1"].append(cold["first"])
    base = statistics.median(arms["torch"])
    print()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, {ROUNDS} interleaved rounds")
    print(_row('python -c "import torch"', arms["torch"], base))
    print(_row("window visible (canvas painted)", arms["visible"], base))
    print(_row("F5 → first batch drawn (warm)", arms["warm1"], base))
    print(_row("F5 again (warm, dataset cached)", arms["warm2"], base))
    print(_row("F5 → first batch drawn (cold spawn)", arms["cold1"], base))
    # The design's promises, as ratios (absolute seconds depend on the machine's load):
    assert statistics.median(arms["visible"]) < base, "the window appears before torch could even be imported"
    assert statistics.median(arms["warm1"]) < statistics.median(arms["cold1"]) / 2
