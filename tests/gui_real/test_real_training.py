"""F5 in a real window: the warm worker trains, the dashboard draws batches, the run folder has them."""

import json
import time

from app.launch import EXAMPLE


def test_f5_draws_batches_stop_save_reopen_and_quit(start_app, tmp_path):
    project = tmp_path / "digits.json"
    doc = json.loads(EXAMPLE.read_text())
    doc["recipe"]["epochs"] = 50  # long enough that Stop, not the end of training, ends it
    project.write_text(json.dumps(doc))
    app = start_app(str(project))
    app.wait_for(lambda r: r["engine"] and r["worker_ready"], 240, "the engine and the warm training worker")
    app.activate()
    app.key("F5")
    report = app.wait_for(lambda r: r["training"]["batches_drawn"] > 0 and r, 120, "a batch drawn on the dashboard")
    assert report["perspective"] == "train", "Train switches to the Train perspective"
    run_dir = tmp_path / "runs"
    assert report["training"]["run_dir"] and report["training"]["run_dir"].startswith(str(run_dir))
    app.key("shift+F5")  # Stop
    app.wait_for(lambda r: not r["training"]["running"], 120, "the run to stop")

    runs = [p for p in run_dir.iterdir() if p.is_dir()]
    assert len(runs) == 1 and runs[0].name.endswith("-digits"), runs
    records = [json.loads(line) for line in (runs[0] / "metrics.jsonl").read_text().splitlines()]
    batches = [r for r in records if r.get("kind") == "batch_ended"]
    assert batches and all(r["loss"] > 0 for r in batches), "the run folder holds the batches that were drawn"
    assert json.loads((runs[0] / "result.json").read_text())["status"] == "stopped"

    app.activate()
    app.key("ctrl+s")  # a saved project: saves in place, no dialog
    app.wait_for(lambda r: not r["modified"] and not r["dialogs"], 20, "saved")
    app.key("ctrl+q")
    assert app.wait_exit(60) == 0
    assert json.loads(project.read_text())["recipe"]["epochs"] == 50

    again = start_app(str(project))
    again.wait_for(lambda r: len(r["nodes"]) > 2, 120, "the project again")
    time.sleep(2)
    assert again.probe()["dialogs"] == [], "no recovery prompt after a clean quit"
    again.activate()
    again.key("ctrl+q")
    assert again.wait_exit(60) == 0
