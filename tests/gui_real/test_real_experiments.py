"""The Experiments panel in a real window: right-click a parameter → Search this… → OK → Run → trials → Stop."""

import json

import optuna
from optuna.trial import TrialState

from app.launch import EXAMPLE


def _settled(app, key: str, what: str) -> list[int]:
    """Where the panel's `key` is once it stops moving (a dialog or menu is placed after it first shows)."""
    seen: list = []

    def still(report):
        seen.append(report["experiments"][key])
        return seen[-1] if len(seen) >= 4 and seen[-1] and all(p == seen[-1] for p in seen[-4:]) else None

    return app.wait_for(still, 30, what)


def test_search_this_run_study_and_stop(start_app, tmp_path):
    project = tmp_path / "digits.json"
    doc = json.loads(EXAMPLE.read_text())
    doc["recipe"].update({"epochs": 100, "checkpoint_every": 0})  # trials long enough that Stop ends them
    project.write_text(json.dumps(doc))
    app = start_app(str(project))
    report = app.wait_for(lambda r: r["engine"] and len(r["nodes"]) > 2 and r, 240, "the project and the engine")
    app.activate()
    fc1 = next(n for n in report["nodes"].values() if n["label"] == "fc1")
    app.click(fc1["center"])
    # The inspector lays its rows out again as it learns the node's shapes: right-click where the row settles.
    editor = _settled(app, "out_features", "fc1's out_features in the inspector")
    app.click(editor, button=3)
    app.click(_settled(app, "search_this", "the Search this… entry"))
    app.click(_settled(app, "range_ok", "the range dialog's OK"))  # its first guess
    app.wait_for(lambda r: r["experiments"]["params"] == ["fc1.out_features"], 30, "the parameter in the study")
    app.click(app.wait_for(lambda r: r["experiments"]["run"], 30, "the Run study button"))
    app.wait_for(lambda r: r["experiments"]["counts"].get("running", 0) >= 1, 300, "a running trial")
    report = app.wait_for(lambda r: r["experiments"]["counts"].get("running", 0) == 2 and r, 120, "both workers")
    app.screenshot(tmp_path / "experiments_running.png")
    assert not report["experiments"]["optuna_loaded"], "the window never imports Optuna"

    app.click(report["experiments"]["stop"])
    report = app.wait_for(lambda r: r["experiments"]["state"] == "idle" and r, 60, "the study to stop")
    assert "ended: 2 stopped" in report["experiments"]["status"]
    app.screenshot(tmp_path / "experiments_stopped.png")
    storage = f"sqlite:///{project.with_suffix('.optuna.db')}"
    (name,) = optuna.get_all_study_names(storage)
    trials = optuna.load_study(study_name=name, storage=storage).get_trials()
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    stopped = [t for t in trials if t.state == TrialState.FAIL]
    assert len(stopped) == 2 and all(t.user_attrs["error"].startswith("stopped") for t in stopped)

    app.activate()
    app.key("ctrl+q")
    assert app.wait_exit(60) == 0
