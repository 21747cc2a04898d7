"""A recipe from a file may hold anything: the settings panel shows what it can and names the rest."""

from __future__ import annotations

import json

import pytest

from app.launch import EXAMPLE

BAD_RECIPES = {
    "epochs as text": {"epochs": "ten"},
    "dataset as text": {"dataset": "digits"},
    "loss as text": {"loss": "mse"},
    "optimizer as a list": {"optimizer": ["adam"]},
    "lr as text": {"optimizer": {"name": "adam", "lr": "fast"}},
    "epochs too large for a spin box": {"epochs": 10**12},
    "hooks not objects": {"hooks": [1, "x", None, {"name": "early_stopping", "params": "p"}]},
    "param groups garbage": {"param_groups": [1, {"nodes": "fc1", "lr": "x"}]},
}


@pytest.mark.parametrize("name", list(BAD_RECIPES))
def test_a_bad_recipe_opens_shows_its_problem_and_edits_keep_working(make_window, tmp_path, name):
    data = json.loads(EXAMPLE.read_text())
    data["recipe"].update(BAD_RECIPES[name])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    window = make_window(path)  # pytest-qt fails the test on any exception raised in a Qt slot
    panel = window.recipe_panel
    assert "recipe." in panel.problems.text(), panel.problems.text()
    assert json.loads(path.read_text())["recipe"] == data["recipe"]  # opening rewrote nothing
    assert window.model.doc.recipe == data["recipe"]
    panel.seed.setValue(7)  # a real edit through the form: one undoable change, no exception
    assert window.model.doc.recipe["seed"] == 7
    window.model.undo_stack.undo()
    assert window.model.doc.recipe == data["recipe"]
