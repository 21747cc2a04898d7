"""The perspectives' default sizes and the keys of a focused panel, in a real window at the app's own size."""

import json

from app.launch import EXAMPLE
from runtime.run_folder import write_result, write_start


def test_default_sizes_and_ctrl_a_in_the_runs_list(start_app, tmp_path):
    project = tmp_path / "digits.json"
    project.write_text(EXAMPLE.read_text())
    for k in range(3):  # three finished runs beside the project
        run = tmp_path / "runs" / f"20260101-00000{k}-digits"
        write_start(run, project.read_text(), run.name, {}, "")
        write_result(run, "finished", 3, {"val_accuracy": 0.5})
    app = start_app(str(project))
    report = app.wait_for(lambda r: len(r["nodes"]) > 2 and "Problems" in r["docks"] and r, 120, "the window")
    width, height = report["size"]
    bottom = report["docks"]["Problems"][3]
    assert 0.08 * height <= bottom <= 0.16 * height, f"Design's bottom tab group is {bottom} px of {height}"

    app.activate()
    app.key("ctrl+2")  # the Train perspective: dashboard and Runs side by side
    report = app.wait_for(lambda r: r["perspective"] == "train" and "Runs" in r["docks"] and r, 30, "Train")
    dashboard = report["docks"]["Dashboard"]
    assert dashboard[2] >= 0.65 * width, f"the dashboard is {dashboard[2]} px of {width}"

    runs = report["docks"]["Runs"]
    app.click([runs[0], runs[1] + runs[3] // 4])  # into the runs list, below its rows
    app.wait_for(lambda r: r["focus"] == "QTreeWidget", 10, "the Runs list to have the focus")
    app.key("ctrl+a")
    report = app.wait_for(lambda r: r["runs_selected"] == 3 and r, 10, "Ctrl+A to select the three runs")
    assert report["selection"] == [], "Ctrl+A in the Runs list selected the canvas's nodes"
    app.key("Delete")
    report = app.wait_for(lambda r: r["runs_selected"] == 3 and r, 5, "the runs still selected")
    assert len(report["nodes"]) == len(json.loads(project.read_text())["nodes"])
    app.key("ctrl+q")
    assert app.wait_exit(60) == 0
