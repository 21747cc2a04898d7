"""Training throughput with the dashboard open vs the same job headless; GUI latency while training."""

from __future__ import annotations

import statistics
import time

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer

from app.launch import EXAMPLE
from graph.fileformat import dumps, loads
from runtime.commands.check import project_registry
from runtime.events import BatchEnded
from runtime.worker import TrainingProcess, WorkerRequest

pytestmark = pytest.mark.slow

TEMPLATES = EXAMPLE.parent.parent / "templates"


def headless_rate(text: str, project_dir) -> float:
    proc = TrainingProcess(WorkerRequest(text, str(project_dir), num_threads=1))
    proc.start()
    events = proc.wait(timeout=300)
    rates = [e.samples_per_s for e in events if isinstance(e, BatchEnded)]
    return statistics.median(rates[len(rates) // 4:])


@pytest.mark.parametrize("project", [EXAMPLE, TEMPLATES / "03_lenet5_digits.json"], ids=["digits MLP", "LeNet"])
def test_dashboard_throughput_and_latency(qtbot, tmp_path, monkeypatch, project):
    monkeypatch.setenv("TORCHCANVAS_HOME", str(tmp_path / "home"))
    from app.main_window import MainWindow

    doc = loads(project.read_text(), project_registry())
    doc.recipe["epochs"] = 6 if "lenet" in project.name else 20
    text = dumps(doc)
    window = MainWindow()
    window.confirm_discard = lambda: True
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    window.model.set_document(loads(text, project_registry()), None, True)
    rates_gui: list[float] = []
    window.trainer.events.connect(lambda evs: rates_gui.extend(e.samples_per_s for e in evs
                                                              if isinstance(e, BatchEnded)))
    drift: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick():
        now = clock.elapsed()
        drift.append(now - last[0] - 10)
        last[0] = now

    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    timer.start()
    assert window.start_training()
    qtbot.waitUntil(lambda: not window.trainer.running, timeout=300_000)
    timer.stop()
    gui = statistics.median(rates_gui[len(rates_gui) // 4:])
    headless = headless_rate(text, project.parent)
    p95 = sorted(drift)[int(len(drift) * 0.95)] if drift else 0
    print(f"\n[bench] {project.stem}: samples/s with dashboard {gui:,.0f} vs headless {headless:,.0f} = "
          f"{gui / headless:.3f}; GUI timer drift p95 {p95:.1f} ms over {len(drift)} ticks")
    window.shutdown()
    time.sleep(0.1)
