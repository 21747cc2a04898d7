"""The Hooks panel: one list of built-in and own hooks, switches, settings, New hook, problems."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from graph import load
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
    window.model.undo_stack.undo()
    assert window.model.doc.recipe["hooks"][0].get("enabled", True) is True


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
    assert "≥ 0" in sigma.toolTip()
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
