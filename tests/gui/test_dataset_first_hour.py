"""Issue 17, observation 5: the dataset box shows what a run uses; a data mismatch is named on the Input node."""

from PySide6.QtCore import QPointF

from graph import ROOT, Edge
from graph.edits import SetParam


def test_a_new_project_shows_the_dataset_a_run_would_use_and_nothing_contradicts_it(make_window):
    w = make_window()
    panel = w.recipe_panel
    assert "dataset" not in w.model.doc.recipe
    assert panel.dataset.currentText() == "digits", "the runtime's default, shown as such"
    assert panel.problems.text() == "", "the settings do not call the shown dataset missing"
    assert not [p for p in w.model.problems if p.recipe_path and "dataset" in p.recipe_path]
    panel.dataset.setCurrentIndex(panel.dataset.findText("iris"))  # the person picks another one
    assert w.model.doc.recipe["dataset"]["name"] == "iris"
    panel.dataset.setCurrentIndex(panel.dataset.findText("digits"))  # and back: now set explicitly
    assert w.model.doc.recipe["dataset"]["name"] == "digits"
    w.model.undo_stack.undo()
    w.model.undo_stack.undo()
    assert "dataset" not in w.model.doc.recipe and panel.dataset.currentText() == "digits"


def test_an_input_that_does_not_fit_the_data_is_reported_on_the_input_node(make_window, qtbot):
    w = make_window()
    x = w.add_node_at("Input", QPointF(0, 0))
    fc = w.add_node_at("Linear", QPointF(300, 0))
    y = w.add_node_at("Output", QPointF(600, 0))
    w.scene.connect_ports(Edge(x, "out", fc, "x"))
    w.scene.connect_ports(Edge(fc, "out", y, "x"))
    w.model.push(SetParam(ROOT, x, "shape", [10]))
    assert w.start_training()
    qtbot.waitUntil(lambda: not w.trainer.running, timeout=120_000)
    fits = [p for p in w.model.all_problems() if p.node_id == x and p.is_error]
    assert fits and "(1, 8, 8)" in fits[0].message, [p.text() for p in w.model.all_problems()]
    assert w.scene.nodes[x].error, "the Input node is marked"
    assert "✖" in w.train_label.text() and "(1, 8, 8)" in w.train_label.text(), "the reason stays in view"
    texts = [w.problems.item(k).text() for k in range(w.problems.count())]
    assert any("(1, 8, 8)" in t for t in texts) and w.docks["Problems"].isVisible()
