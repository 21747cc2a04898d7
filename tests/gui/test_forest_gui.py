"""A forest in the window: its members on the canvas, growth during a run, and the run's revision."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from codegen import compile_document
from graph import load, save
from graph.edits import SetRecipe
from runtime.commands.check import project_registry
from runtime.run_folder import new_run_dir
from runtime.session import prepare, run

TEMPLATE = Path(__file__).resolve().parents[2] / "resources" / "templates" / "22_forest_sunspots.json"


def small_forest(tmp_path):
    doc = load(TEMPLATE, project_registry())
    doc.recipe = {**doc.recipe, "epochs": 4, "batch_size": 128,
                  "hooks": [{"name": "grow_forest", "params": {"forest": "forest", "every": 1, "max_members": 3}}]}
    path = tmp_path / "forest.json"
    save(doc, path)
    return path


def forest_node(window):
    return window.model.doc.graph.node_by_label("forest")


def test_loading_a_grown_runs_weights_brings_the_model_as_trained(make_window, tmp_path, qtbot):
    path = small_forest(tmp_path)
    run_dir = new_run_dir(tmp_path / "runs", "forest")
    run(prepare(load(path, project_registry()), run_dir=run_dir, num_threads=1))
    window = make_window(path)
    item = window.scene.nodes[forest_node(window).id]
    assert [m.index for m in item.members] == [0]
    window.runs_panel.set_folder(tmp_path / "runs")
    window.runs_panel.tree.topLevelItem(0).setSelected(True)
    qtbot.mouseClick(window.runs_panel.load_button, Qt.LeftButton)
    node = forest_node(window)
    assert node.params["members"] == 3 and node.params["frozen_members"] == [0, 1]
    assert window.model.compiled.source == (run_dir / "model.py").read_text()
    assert window.trained_model is not None
    item = window.scene.nodes[node.id]  # the canvas draws the grown forest and its hand-offs
    assert [(m.index, m.frozen, m.seeded_from) for m in item.members] == [(0, True, -1), (1, True, 0), (2, False, 1)]
    assert "member 2 (seeded from member 1)" in item.toolTip()
    window.model.undo_stack.undo()  # one step back to the forest as it was
    assert forest_node(window).params.get("members") == 1


def test_a_run_that_grows_the_forest_leaves_the_grown_model_in_the_project(make_window, tmp_path, qtbot):
    path = small_forest(tmp_path)
    window = make_window(path)
    window.model.push(SetRecipe({**window.model.doc.recipe, "activation_every": 0}))
    button = window.toolbar.widgetForAction(window.actions["train"])
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.trainer.running and window.trainer.process is not None, timeout=180_000)
    assert "finished" in window.train_label.text()
    assert window.growth_markers.steps() and len(window.growth_markers.steps()) == 2  # markers on the loss plot
    assert window.forest_view.latest and len(window.forest_view.latest) == 3  # contributions of 3 members
    node = forest_node(window)
    assert node.params["members"] == 3
    run_dir = window.trainer.run_dir
    assert window.model.compiled.source == (run_dir / "model.py").read_text()
    assert window.save()
    reopened = load(path, project_registry())
    assert compile_document(reopened).source == (run_dir / "model.py").read_text()
    shutil.rmtree(run_dir, ignore_errors=True)


@pytest.mark.parametrize("stopped_after", [1, 2])  # epochs: one growth still to come, or none
def test_a_stopped_run_whose_forest_grew_continues_from_the_runs_panel(make_window, tmp_path, qtbot, stopped_after):
    """Right-click → Continue training: the checkpoint's grown forest trains on to the uninterrupted run's weights."""
    from safetensors.torch import load_file

    from runtime.engine import Flags

    path = small_forest(tmp_path)
    whole_dir = tmp_path / "whole"
    run(prepare(load(path, project_registry()), run_dir=whole_dir, num_threads=1))
    stopped_dir = new_run_dir(tmp_path / "runs", "forest")
    job = prepare(load(path, project_registry()), run_dir=stopped_dir, num_threads=1)
    steps_per_epoch = len(job.trainer.train_loader)
    job.trainer.flags = Flags(stop=lambda: job.trainer.step >= stopped_after * steps_per_epoch + 1)
    run(job)
    assert job.trainer.status == "stopped"
    window = make_window(path)
    window.runs_panel.set_folder(tmp_path / "runs")
    item = window.runs_panel.tree.topLevelItem(0)
    menu = window.runs_panel.menu_for(item)
    (action,) = [a for a in menu.actions() if a.text() == "Continue training"]
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: not window.trainer.running and window.trainer.process is not None, timeout=180_000)
    assert "finished" in window.train_label.text()
    resumed_dir = window.trainer.run_dir
    assert resumed_dir != stopped_dir
    whole, resumed = (load_file(str(d / "weights.safetensors")) for d in (whole_dir, resumed_dir))
    assert whole.keys() == resumed.keys()
    for name, value in whole.items():
        assert (resumed[name] - value).abs().max() <= 1e-6, name
    assert forest_node(window).params["members"] == 3  # the project now describes the model that trained
    assert window.model.compiled.source == (whole_dir / "model.py").read_text()
    # a finished run has nothing to continue
    window.runs_panel.set_folder(tmp_path / "runs")
    finished = next(window.runs_panel.tree.topLevelItem(k) for k in range(2)
                    if window.runs_panel.tree.topLevelItem(k).text(0) == resumed_dir.name)
    (action,) = [a for a in window.runs_panel.menu_for(finished).actions() if a.text() == "Continue training"]
    assert not action.isEnabled()
