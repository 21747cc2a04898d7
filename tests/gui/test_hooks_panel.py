"""The Hooks panel: one list of built-in and own hooks, switches, settings, New hook, problems."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox

from graph import load, save
from runtime.commands.check import project_registry

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"


@pytest.fixture
def window(make_window):
    return make_window()


def open_template(window, name):
    window.model.set_document(load(TEMPLATES / name, project_registry()), None, trusted=True)
    window.docks["Hooks"].show()
    window.docks["Hooks"].raise_()
    return window.hooks_panel


def test_every_active_hook_is_listed_with_a_switch_and_its_settings(window, qtbot):
    panel = open_template(window, "22_forest_sunspots.json")
    assert panel.names() == ["grow forest"]  # the growth hook is visible, not hidden in the recipe
    item = panel.list.topLevelItem(0)
    assert item.checkState(0) == Qt.Checked
    assert set(panel.editors) == {"forest", "every", "max_members"}
    item.setCheckState(0, Qt.Unchecked)
    assert window.model.doc.recipe["hooks"][0]["enabled"] is False
    # The row survives its own switch: Qt goes on using it after the edit (deleting it crashed at random).
    assert panel.list.topLevelItem(0) is item and item.checkState(0) == Qt.Unchecked
    window.model.undo_stack.undo()
    assert window.model.doc.recipe["hooks"][0].get("enabled", True) is True
    assert panel.list.topLevelItem(0) is item and item.checkState(0) == Qt.Checked


def test_settings_are_edited_with_keys_and_bad_values_are_refused(window, qtbot):
    panel = open_template(window, "20_noise_instead_of_bad_step.json")
    sigma = panel.editors["sigma"]
    assert isinstance(sigma, QLineEdit)
    sigma.selectAll()
    qtbot.keyClicks(sigma, "0.05")
    qtbot.keyClick(sigma, Qt.Key_Return)
    assert window.model.doc.recipe["hooks"][0]["params"]["sigma"] == 0.05
    panel.editors["start"].setCurrentText("current")
    assert window.model.doc.recipe["hooks"][0]["params"]["start"] == "current"
    sigma = panel.editors["sigma"]
    sigma.selectAll()
    qtbot.keyClicks(sigma, "-1")
    qtbot.keyClick(sigma, Qt.Key_Return)
    assert window.model.doc.recipe["hooks"][0]["params"]["sigma"] == 0.05  # refused
    assert sigma.toolTip() == "sigma: expected a non-negative number, got -1.0"  # the parameters' one wording
    assert window.statusBar().currentMessage() == "sigma: expected a non-negative number, got -1.0"
    layers = panel.editors["layers"]
    layers.selectAll()
    qtbot.keyClicks(layers, "fc2")
    qtbot.keyClick(layers, Qt.Key_Return)
    assert window.model.doc.recipe["hooks"][0]["params"]["layers"] == ["fc2"]


def test_new_hook_writes_the_skeleton_and_problems_name_the_entry_and_line(window, qtbot):
    panel = open_template(window, "02_mlp_digits.json")
    assert panel.names() == []
    qtbot.mouseClick(panel.new_button, Qt.LeftButton)
    assert panel.names() == ["my_hook"]
    source = window.model.doc.code["my_hook"]
    assert "class MyHook(Callback):" in source and "on_train_batch_end" in source
    assert "trainer.revert_step()" in source and "trainer.add_noise" in source
    assert panel.code.toPlainText() == source
    assert set(panel.editors) == {"sigma"}  # __init__'s arguments are the settings
    panel.code.setPlainText(source.replace("def on_after_step(self, trainer):", "def on_after_step(self, trainer)"))
    qtbot.mouseClick(panel.apply_button, Qt.LeftButton)
    window.model.analyse()
    text = panel.problems.text()
    assert "recipe.hooks[0].code" in text and "code my_hook, line" in text and "syntax error" in text
    window.model.undo_stack.undo()  # the code edit
    window.model.undo_stack.undo()  # the new hook
    assert "my_hook" not in window.model.doc.code and window.model.doc.recipe.get("hooks", []) == []


def test_built_ins_are_added_from_the_menu(window, qtbot):
    panel = open_template(window, "02_mlp_digits.json")
    panel.add_actions["revert_noise"].trigger()
    assert panel.names() == ["revert + noise"]
    assert window.model.doc.recipe["hooks"] == [{"name": "revert_noise", "params": {}}]
    panel.add_actions["grow_forest"].trigger()
    window.model.analyse()
    panel.select(1)
    assert "no forests" not in panel.problems.text() and "forest" in panel.problems.text()


def test_the_hook_editor_indents_as_a_python_editor_does(window, qtbot):
    """A last-layer noise hook typed into the skeleton: Return lands inside the method, Tab is four spaces."""
    panel = open_template(window, "02_mlp_digits.json")
    qtbot.mouseClick(panel.new_button, Qt.LeftButton)
    editor = panel.code
    cursor = editor.document().find("# trainer.revert_step() undoes the step")
    cursor.clearSelection()
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.keyClicks(editor, 'trainer.add_noise(self.sigma, layers=["fc2"])')
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.keyClicks(editor, "if trainer.step > 100:")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.keyClicks(editor, "return")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.keyClick(editor, Qt.Key_Tab)
    qtbot.keyClicks(editor, "x = 1")
    for _ in range(6):  # "x = 1" gone, then four spaces at once
        qtbot.keyClick(editor, Qt.Key_Backspace)
    qtbot.keyClicks(editor, "pass")
    qtbot.keyClick(editor, Qt.Key_Return, Qt.ControlModifier)  # applies, as the button does
    source = window.model.doc.code["my_hook"]
    assert ("        # trainer.revert_step() undoes the step\n"
            '        trainer.add_noise(self.sigma, layers=["fc2"])\n'
            "        if trainer.step > 100:\n"
            "            return\n"
            "        pass\n") in source
    assert "\t" not in source
    window.model.analyse()
    assert panel.problems.text() == ""


def test_settings_use_the_inspectors_editors_and_parser(window, qtbot):
    panel = open_template(window, "20_noise_instead_of_bad_step.json")
    assert isinstance(panel.editors["seed"], QSpinBox) and panel.editors["seed"].minimum() == 0  # as a node's int
    assert isinstance(panel.editors["on"], QComboBox)
    layers = panel.editors["layers"]
    layers.selectAll()
    qtbot.keyClicks(layers, "fc1, fc2")
    qtbot.keyClick(layers, Qt.Key_Return)
    assert window.model.doc.recipe["hooks"][0]["params"]["layers"] == ["fc1", "fc2"]
    panel.editors["seed"].setValue(7)
    assert window.model.doc.recipe["hooks"][0]["params"]["seed"] == 7
    panel.add_actions["freeze_schedule"].trigger()
    schedule = panel.editors["schedule"]
    assert schedule.text() == "[]"
    schedule.selectAll()
    qtbot.keyClicks(schedule, '[{"epoch": 2, "freeze": ["fc1"]}]')
    qtbot.keyClick(schedule, Qt.Key_Return)
    assert window.model.doc.recipe["hooks"][1]["params"]["schedule"] == [{"epoch": 2, "freeze": ["fc1"]}]
    schedule = panel.editors["schedule"]  # the form was rebuilt after the edit
    assert schedule.text() == '[{"epoch": 2, "freeze": ["fc1"]}]'
    schedule.selectAll()
    qtbot.keyClicks(schedule, "[{")
    qtbot.keyClick(schedule, Qt.Key_Return)
    assert schedule.toolTip() == "schedule: cannot read '[{' as a JSON value"


def test_a_code_hooks_argument_emptied_goes_back_to_the_codes_default(window, qtbot):
    panel = open_template(window, "02_mlp_digits.json")
    panel.new_hook()
    sigma = panel.editors["sigma"]
    sigma.setText("0.5")
    sigma.editingFinished.emit()
    assert window.model.doc.recipe["hooks"][0]["params"] == {"sigma": 0.5}
    panel.editors["sigma"].setText("")
    panel.editors["sigma"].editingFinished.emit()
    assert window.model.doc.recipe["hooks"][0]["params"] == {}  # MISSING, as in the inspector: not None


@pytest.mark.parametrize(("params", "line"), [
    ({"sigma": -1}, "recipe.hooks[0].params.sigma: expected a non-negative number, got -1"),
    (3, "recipe.hooks[0].params: expected an object, got 3"),
])
def test_a_file_with_a_bad_hook_setting_opens_shows_the_problem_and_keeps_the_value(make_window, tmp_path, qtbot,
                                                                                    params, line):
    doc = load(TEMPLATES / "02_mlp_digits.json", project_registry())
    doc.recipe["hooks"] = [{"name": "revert_noise", "params": params}]
    path = tmp_path / "bad_hook.json"
    save(doc, path)
    window = make_window()
    assert window.open_project(path, interactive=False, trust=True)
    window.model.analyse()
    panel = window.hooks_panel
    assert panel.names() == ["revert + noise"]
    assert line in panel.problems.text()
    problems = window.problems
    assert any(line in problems.item(k).text() for k in range(problems.count()))
    assert window.model.doc.recipe["hooks"][0]["params"] == params  # nothing the user made is lost
    if isinstance(params, dict):
        assert panel.editors["sigma"].text() == "-1"
