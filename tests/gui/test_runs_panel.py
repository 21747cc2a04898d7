"""The Runs panel's live row costs no folder listing while the run's folder is still being made, and nothing
while the panel is not on screen."""

import json

import app.runs_panel as runs_panel_module
from app.runs_panel import RunsPanel
from tests.gui.widget_support import shown


def test_the_live_row_lists_the_runs_folder_once_when_the_run_appears(qtbot, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    listings = []
    real = runs_panel_module.list_runs
    monkeypatch.setattr(runs_panel_module, "list_runs", lambda d: listings.append(d) or real(d))
    panel = shown(qtbot, RunsPanel(), 600, 300)
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


def test_the_live_row_waits_while_the_panel_is_hidden_and_shows_the_latest_step_when_shown(qtbot, tmp_path,
                                                                                            monkeypatch):
    """During training the Runs tab sits behind the dashboard's: the row was still looked up among every run and
    its texts compared and set four times a second."""
    runs = tmp_path / "runs"
    for k in range(5):
        (runs / f"20261126-080{k}-digits").mkdir(parents=True)
        (runs / f"20261126-080{k}-digits" / "run.json").write_text("{}")
    live = runs / "20261126-0900-digits"
    live.mkdir()
    (live / "run.json").write_text("{}")
    panel = shown(qtbot, RunsPanel(), 600, 300)
    panel.set_folder(runs)
    panel.show_live(live, 1, {})
    assert panel.tree.topLevelItem(0).text(2) == "1"
    panel.hide()
    touched = []
    real = runs_panel_module._show
    monkeypatch.setattr(runs_panel_module, "_show", lambda *a: (touched.append(a[2]), real(*a)))
    for step in range(2, 40):
        panel.show_live(live, step, {"val_accuracy": 0.5})
    assert touched == []
    panel.show()
    qtbot.waitExposed(panel)
    row = panel.tree.topLevelItem(0)
    assert row.text(1) == "▶ running" and row.text(2) == "39" and row.text(4) == "0.5000"
    assert touched == [39]
