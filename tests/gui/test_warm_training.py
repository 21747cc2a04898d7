"""Issue 17, observation 11 (second half): Train uses a worker that is already warm, and reuses it."""

import json

from app.launch import EXAMPLE


def test_train_twice_on_one_warm_worker_and_batches_are_drawn(make_window, qtbot, tmp_path):
    project = tmp_path / "digits.json"
    doc = json.loads(EXAMPLE.read_text())
    doc["recipe"]["epochs"] = 1
    project.write_text(json.dumps(doc))
    w = make_window(project, background=True)
    warm = w.trainer.warm
    assert warm is not None
    qtbot.waitUntil(lambda: w.model.engine, timeout=180_000)
    qtbot.waitUntil(warm.check, timeout=180_000)
    pid = warm.pid
    for name in ("first", "second"):
        assert w.start_training(), name
        qtbot.waitUntil(lambda: len(w.plots.series_data("loss")[0]) > 0, timeout=60_000)
        qtbot.waitUntil(lambda: not w.trainer.running, timeout=120_000)
        assert w.trainer.process.finished.status == "finished", name
    assert warm.pid == pid and warm.stats["datasets_loaded"] == 1
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all((tmp_path / "runs" / r / "metrics.jsonl").exists() for r in runs)
