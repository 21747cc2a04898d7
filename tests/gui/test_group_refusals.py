"""A refused group/ungroup gesture is a problem record naming its node, shown like every other problem."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from graph.builder import Builder
from graph.fileformat import dumps


@pytest.fixture
def window(make_window):
    return make_window()


def problem_items(window):
    return [window.problems.item(k) for k in range(window.problems.count())]


def click_problem(window, qtbot, text):
    item = next(i for i in problem_items(window) if text in i.text())
    rect = window.problems.visualItemRect(item)
    qtbot.mouseClick(window.problems.viewport(), Qt.LeftButton, pos=rect.center())


def test_grouping_the_models_input_is_refused_with_a_record_that_selects_it(window, qtbot):
    b = Builder("mlp").use_registry(window.model.registry)
    x = b.input("image", [10])
    fc = b.add("Linear", x, "fc", out_features=3)
    b.output(fc)
    window.model.set_document(b.doc)
    window.docks["Problems"].show()
    before = dumps(window.model.doc)
    window.model.select([x.node_id, fc.node_id])
    window.actions["group"].trigger()
    assert dumps(window.model.doc) == before and window.model.undo_stack.count() == 0
    message = window.statusBar().currentMessage()
    assert message == ("node image: not grouped: the model's Input and Output nodes cannot be moved into a group "
                       "(select the layers between them)")
    [refusal] = window.model.refusals
    assert (refusal.node_id, refusal.label, refusal.severity) == (x.node_id, "image", "warning")
    assert any(i.text() == "⚠ " + message for i in problem_items(window))
    window.model.select([])
    click_problem(window, qtbot, "not grouped")
    assert window.model.selection == [x.node_id]
    window.model.select([fc.node_id])  # an edit that works: the refusal is history
    window.actions["group"].trigger()
    assert window.model.refusals == [] and not any("not grouped" in i.text() for i in problem_items(window))


def test_ungrouping_a_repeated_group_is_refused_on_that_node(window, qtbot):
    b = Builder("stack").use_registry(window.model.registry)
    x = b.input("x", [8])
    body = b.group("block")
    body.output(body.add("ReLU", body.add("Linear", body.input("x", [8]), "fc", out_features=8), "act"))
    blocks = b.use("block", x, "blocks", repeat=3)
    b.output(blocks)
    window.model.set_document(b.doc)
    window.model.select([blocks.node_id])
    assert window.actions["ungroup"].isEnabled()
    window.actions["ungroup"].trigger()
    assert window.statusBar().currentMessage() == ("node blocks: not ungrouped: it repeats its group 3 times "
                                                   "(set repeat to 1 first)")
    window.model.select([])
    click_problem(window, qtbot, "not ungrouped")
    assert window.model.selection == [blocks.node_id]
    assert "block" in window.model.doc.groups
