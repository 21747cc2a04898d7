"""The window's canvas keys (Ctrl+A, Delete, Ctrl+C/X/V/D) never act on the canvas while a panel's
list, table or text has the keyboard focus: that widget gets the key (Ctrl+A in the Runs list selects
the runs). Undo/redo stay the document's everywhere except inside a text field that has its own.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from app.launch import EXAMPLE
from app.window_editing import CLIP_MIME
from runtime.run_folder import write_result, write_start

CANVAS_KEYS = {
    "Ctrl+A": (Qt.Key_A, Qt.ControlModifier),
    "Delete": (Qt.Key_Delete, Qt.NoModifier),
    "Backspace": (Qt.Key_Backspace, Qt.NoModifier),
    "Ctrl+C": (Qt.Key_C, Qt.ControlModifier),
    "Ctrl+X": (Qt.Key_X, Qt.ControlModifier),
    "Ctrl+V": (Qt.Key_V, Qt.ControlModifier),
    "Ctrl+D": (Qt.Key_D, Qt.ControlModifier),
}


def _runs(window, count: int) -> None:
    for _ in range(count):
        run = window.next_run_dir()
        write_start(run, json.dumps({"format": "torchcanvas"}), run.name, {}, "")
        write_result(run, "finished", 3, {"val_accuracy": 0.5})
    window.runs_panel.set_folder(window.runs_dir())


def _focus(window, qtbot, dock: str, widget) -> None:
    window.docks[dock].show()
    window.docks[dock].raise_()
    widget.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


def _canvas_state(window) -> tuple:
    return sorted(window.model.doc.scope(window.model.scope).nodes), list(window.model.selection)


@pytest.fixture
def window(make_window, tmp_path):
    project = tmp_path / "digits.json"
    project.write_text(EXAMPLE.read_text())
    return make_window(project)


def test_ctrl_a_in_the_runs_list_selects_the_runs_not_the_canvas_nodes(window, qtbot):
    _runs(window, 3)
    tree = window.runs_panel.tree
    _focus(window, qtbot, "Runs", tree)
    qtbot.keyClick(tree, Qt.Key_A, Qt.ControlModifier)
    assert window.model.selection == [], "Ctrl+A in the Runs list selected the canvas's nodes"
    assert len(tree.selectedItems()) == 3


@pytest.mark.parametrize("panel", ["runs", "code", "experiments_trials", "experiments_space", "inspector"])
def test_canvas_keys_in_a_focused_panel_leave_the_canvas_alone(window, qtbot, panel):
    _runs(window, 2)
    window.model.select(["n2"])  # a selected node that Delete/Ctrl+X/Ctrl+D would act on
    QApplication.clipboard().clear()
    widget, dock = {
        "runs": (window.runs_panel.tree, "Runs"),
        "code": (window.code_view.text, "Generated code"),
        "experiments_trials": (window.experiments.table, "Experiments"),
        "experiments_space": (window.experiments.space, "Experiments"),
        "inspector": (None, "Inspector"),
    }[panel]
    if widget is None:
        widget = window.inspector.findChildren(QLineEdit)[0]  # the selected node's name
    _focus(window, qtbot, dock, widget)
    before = _canvas_state(window)
    for name, (key, modifiers) in CANVAS_KEYS.items():
        qtbot.keyClick(widget, key, modifiers)
        assert _canvas_state(window) == before, f"{name} with focus in {panel} acted on the canvas"
        mime = QApplication.clipboard().mimeData()
        assert mime is None or not mime.hasFormat(CLIP_MIME), f"{name} with focus in {panel} copied nodes"


def test_ctrl_a_ctrl_c_in_the_code_view_copy_the_generated_code(window, qtbot):
    text = window.code_view.text
    qtbot.waitUntil(lambda: "class" in text.toPlainText())
    _focus(window, qtbot, "Generated code", text)
    qtbot.keyClick(text, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClick(text, Qt.Key_C, Qt.ControlModifier)
    assert QApplication.clipboard().text() == text.toPlainText()


def test_canvas_keys_still_act_on_the_canvas_when_it_has_the_focus(window, qtbot):
    view = window.view
    view.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view)
    qtbot.keyClick(view, Qt.Key_A, Qt.ControlModifier)
    assert sorted(window.model.selection) == sorted(window.model.doc.scope(window.model.scope).nodes)
    qtbot.keyClick(view, Qt.Key_Delete)
    assert window.model.doc.scope(window.model.scope).nodes == {}


def test_undo_in_the_runs_list_still_undoes_the_last_edit(window, qtbot):
    """Undo belongs to the document: a list without edits of its own passes it on."""
    window.model.select(["n2"])
    window.delete_selection()
    assert "n2" not in window.model.doc.scope(window.model.scope).nodes
    _runs(window, 1)
    _focus(window, qtbot, "Runs", window.runs_panel.tree)
    qtbot.keyClick(window.runs_panel.tree, Qt.Key_Z, Qt.ControlModifier)
    assert "n2" in window.model.doc.scope(window.model.scope).nodes


def test_a_layer_dropped_from_the_palette_takes_the_canvas_keys(window, qtbot):
    """After a drop the canvas has the focus, so Delete removes the new layer, not a character of a search."""
    from PySide6.QtCore import QMimeData, QPointF
    from PySide6.QtGui import QDropEvent

    from app.canvas.view import NODE_MIME

    _focus(window, qtbot, "Layers", window.palette.findChildren(QLineEdit)[0])
    mime = QMimeData()
    mime.setData(NODE_MIME, b"ReLU")
    viewport = window.view.viewport()
    drop = QDropEvent(QPointF(viewport.width() / 2, viewport.height() / 2), Qt.CopyAction, mime,
                      Qt.LeftButton, Qt.NoModifier)
    window.view.dropEvent(drop)  # what Qt calls when the drag from the palette ends over the canvas
    added = window.model.selection
    assert len(added) == 1 and added[0] in window.model.doc.scope(window.model.scope).nodes
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Delete)
    assert added[0] not in window.model.doc.scope(window.model.scope).nodes
