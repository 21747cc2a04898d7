"""A parameter edit does no file-system work on the GUI thread: the runs folder is worked out again only when the
project's file changes, and the training-settings form is read again only when the recipe changes (issue #13)."""

from __future__ import annotations

import pytest

from app.recipe_panel import RecipePanel
from graph import ROOT
from graph.edits import SetParam, SetRecipe
from tests.gui.widget_support import chain_window, count_method_calls


@pytest.fixture
def window(make_window, tmp_path, qtbot):
    return chain_window(make_window, tmp_path, qtbot, 50)


@pytest.fixture
def calls(window, monkeypatch):
    return count_method_calls(monkeypatch, {"runs_dir": (type(window), "runs_dir"), "load": (RecipePanel, "load")})


def test_twenty_parameter_edits_list_no_runs_folder_and_read_no_recipe(window, calls, qtbot, tmp_path):
    fc = window.model.doc.graph.node_by_label("fc10").id
    for k in range(20):
        window.model.push(SetParam(ROOT, fc, "out_features", 30 + k))
    qtbot.waitUntil(lambda: not window.model.analysing, timeout=60_000)
    assert calls == {}, calls  # was 20 of each: the runs folder's path resolved on disk and the form refilled
    assert window.runs_panel.runs_dir == tmp_path / "runs"


def test_the_form_follows_a_recipe_edit_and_the_runs_panel_a_new_file(window, calls, qtbot, tmp_path):
    window.model.push(SetRecipe({**window.model.doc.recipe, "epochs": 7}))
    assert calls == {"load": 1} and window.recipe_panel.epochs.value() == 7
    window.model.undo_stack.undo()
    assert calls["load"] == 2 and window.recipe_panel.epochs.value() != 7
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert window._save_to(elsewhere / "copy.json")
    assert window.runs_panel.runs_dir == elsewhere / "runs"
    assert calls["load"] == 3  # the recipe is the same, but its relative paths now name other files: checked again
    window.model.title_changed.emit()
    assert calls["load"] == 3 and calls["runs_dir"] == 2  # the save asks once (runs to adopt), the panel once
