"""The Runs panel's live row costs no folder listing while the run's folder is still being made."""

import json

import app.runs_panel as runs_panel_module
from app.runs_panel import RunsPanel


def test_the_live_row_lists_the_runs_folder_once_when_the_run_appears(qtbot, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    listings = []
    real = runs_panel_module.list_runs
    monkeypatch.setattr(runs_panel_module, "list_runs", lambda d: listings.append(d) or real(d))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_folder(runs)
    assert len(listings) == 1
    live = runs / "20261126-0900-digits"
    live.mkdir()
    for step in range(20):  # the status ticks before the worker writes run.json
        panel.show_live(live, step, {})
    assert len(listings) == 1
    (live / "run.json").write_text(json.dumps({"project": "digits"}))
    for step in range(20, 40):
        panel.show_live(live, step, {"val_accuracy": 0.5})
    assert len(listings) == 2
    assert panel.names() == [live.name]
    row = panel.tree.topLevelItem(0)
    assert row.text(1) == "▶ running" and row.text(2) == "39"
