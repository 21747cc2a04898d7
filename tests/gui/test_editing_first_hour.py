"""Issue 17, editing: each observation of the first hour in the window, driven with qtbot."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from app.launch import EXAMPLE
from graph import ROOT, Edge
from graph.edits import Connect
from runtime.events import BatchEnded


def add_chain(window):
    x = window.add_node_at("Input", QPointF(-300, 0))
    fc = window.add_node_at("Linear", QPointF(0, 0))
    y = window.add_node_at("Output", QPointF(300, 0))
    window.scene.connect_ports(Edge(x, "out", fc, "x"))
    window.scene.connect_ports(Edge(fc, "out", y, "x"))
    return x, fc


def type_into(qtbot, box, text):
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key_Return)


# -- observation 1 --------------------------------------------------------------------------------
def test_typing_a_single_number_as_input_shape_keeps_the_canvas_working(make_window, qtbot):
    w = make_window()
    x, fc = add_chain(w)
    w.model.select([x])
    type_into(qtbot, w.inspector.editors["shape"], "64")
    assert w.model.doc.graph.nodes[x].params["shape"] == [64], "a shape is stored as a list, as in the file"
    assert w.scene.edges[(x, "out", fc, "x")].label.text() == "(B, 64)"
    relu = w.add_node_at("ReLU", QPointF(300, 200))
    assert relu in w.scene.nodes, "later canvas updates still work"


def test_unreadable_shape_text_is_refused_with_one_line_and_nothing_changes(make_window, qtbot):
    w = make_window()
    x, _ = add_chain(w)
    w.model.select([x])
    count = w.model.undo_stack.count()
    type_into(qtbot, w.inspector.editors["shape"], "abc")
    assert w.model.doc.graph.nodes[x].params["shape"] == [1]
    assert w.model.undo_stack.count() == count
    assert "shape: cannot read 'abc'" in w.statusBar().currentMessage()


# -- observation 2 --------------------------------------------------------------------------------
def test_copy_then_paste_through_the_menu_actions_adds_copies(make_window):
    w = make_window()
    _, fc = add_chain(w)
    w.model.select([fc])
    w.actions["copy"].trigger()
    before = set(w.model.doc.graph.nodes)
    w.actions["paste"].trigger()
    new = set(w.model.doc.graph.nodes) - before
    assert len(new) == 1 and w.model.selection == list(new)
    assert w.model.doc.graph.nodes[new.pop()].type == "Linear"
    w.model.undo_stack.undo()
    assert set(w.model.doc.graph.nodes) == before, "a paste is one undo step"


def test_duplicate_never_drops_a_copy_on_top_of_another_node(make_window):
    w = make_window()
    _, fc = add_chain(w)
    for _ in range(3):
        w.model.select([fc])
        w.actions["duplicate"].trigger()
    positions = [tuple(n.position) for n in w.model.doc.graph.nodes.values()]
    assert len(positions) == 6 and len(set(positions)) == 6


def test_paste_of_foreign_clipboard_text_says_so_and_changes_nothing(make_window):
    w = make_window()
    QApplication.clipboard().setText("hello")
    count = w.model.undo_stack.count()
    w.actions["paste"].trigger()
    assert w.model.undo_stack.count() == count
    assert "no TorchCanvas nodes" in w.statusBar().currentMessage()


# -- observation 3 (the real keys are in tests/gui_real) ------------------------------------------
def test_every_shortcut_comes_from_one_table_and_none_is_bound_twice(make_window):
    from PySide6.QtGui import QAction

    from app.shortcuts import SHORTCUTS

    w = make_window()
    bound: dict[str, list[str]] = {}
    for action in w.findChildren(QAction):
        for seq in action.shortcuts():
            bound.setdefault(seq.toString(), []).append(action.text())
    assert {k: v for k, v in bound.items() if len(v) > 1} == {}
    for key, (_, sequences) in SHORTCUTS.items():
        if key in w.actions:
            assert [s.toString() for s in w.actions[key].shortcuts()] == list(sequences), key
    assert SHORTCUTS["redo"][1] == ("Ctrl+Shift+Z", "Ctrl+Y")


# -- observation 6 --------------------------------------------------------------------------------
def test_a_refused_edit_never_reaches_the_undo_stack(make_window):
    w = make_window()
    x, fc = add_chain(w)
    stack = w.model.undo_stack
    count = stack.count()
    reasons = []
    w.model.refused.connect(reasons.append)
    assert w.model.push(Connect(ROOT, Edge(x, "out", fc, "x"))) is False
    assert stack.count() == count and reasons and "already exists" in reasons[-1][0].message  # a Problem record
    assert "already exists" in w.statusBar().currentMessage()
    stack.undo()  # the connection made before, not the refused one
    assert Edge(x, "out", fc, "x") in w.model.doc.graph.edges
    assert len(list(w.model.doc.graph.edges)) == 1


# -- observation 7 --------------------------------------------------------------------------------
def _fake_batches(n=5):
    return [BatchEnded(step=k, epoch=0, loss=1.0 / (k + 1), lr=1e-3, samples_per_s=100.0,
                       grad_norms={"fc1": 0.5}, weight_norms={"fc1": 2.0}) for k in range(1, n + 1)]


def test_opening_another_project_clears_dashboard_and_layer_statistics(make_window, tmp_path):
    w = make_window(EXAMPLE)
    fc1 = w.model.doc.graph.node_by_label("fc1").id
    w.model.recompile()
    w.model.select([fc1])
    w._on_training_events(_fake_batches())
    assert len(w.plots.series_data("loss")[0]) == 5 and w.node_stats.layer == "fc1"
    w.new_project()
    assert len(w.plots.series_data("loss")[0]) == 0, "the previous model's curves are gone"
    assert w.node_stats.layer is None and "fc1" not in w.node_stats.title.text()


def test_inspector_forgets_deleted_nodes(make_window):
    w = make_window()
    ids = [w.add_node_at("ReLU", QPointF(k * 200, 0)) for k in range(3)]
    w.model.select(ids)
    assert w.inspector.title.text() == "3 nodes selected"
    w.actions["delete"].trigger()
    assert w.inspector.title.text() == "Select a node to edit its parameters."


def test_inspector_title_follows_a_rename_and_its_undo(make_window, qtbot):
    w = make_window()
    _, fc = add_chain(w)
    w.model.select([fc])
    type_into(qtbot, w.inspector.editors["__label__"], "classifier")
    assert w.model.doc.graph.nodes[fc].label == "classifier"
    assert w.inspector.title.text().startswith("classifier")
    w.model.undo_stack.undo()
    assert w.inspector.title.text().startswith("linear")
    assert w.inspector.editors["__label__"].text() == "linear"


def test_entering_a_group_and_clicking_around_adds_nothing_to_the_undo_history(make_window, qtbot):
    w = make_window(EXAMPLE)
    g = w.model.doc.graph
    inner = [n.id for n in g.nodes.values() if n.label in ("fc1", "act1")]
    w.model.select(inner)
    w.group_selection()  # the group node lands at the mean of their positions, off the 10-unit grid
    group = next(n for n in g.nodes.values() if n.type == "Group")
    assert group.position[0] % 10 or group.position[1] % 10
    count = w.model.undo_stack.count()
    for _ in range(2):
        w.fit_view()
        qtbot.wait(20)
        point = w.view.mapFromScene(w.scene.nodes[group.id].sceneBoundingRect().center())
        qtbot.mouseClick(w.view.viewport(), Qt.LeftButton, pos=point)
        qtbot.mouseDClick(w.view.viewport(), Qt.LeftButton, pos=point)
        assert w.model.scope == group.params["group"]
        w.model.enter(ROOT)
        qtbot.wait(20)
        qtbot.mouseClick(w.view.viewport(), Qt.LeftButton, pos=QPoint(5, 5))  # empty canvas
    texts = [w.model.undo_stack.text(k) for k in range(w.model.undo_stack.count())]
    assert w.model.undo_stack.count() == count, texts
    assert tuple(g.nodes[group.id].position) == tuple(group.position)


# -- observation 12 -------------------------------------------------------------------------------
CODE = "from torch import nn\n\n\nclass Twice(nn.Module):\n    def forward(self, x):\n        return 2 * x\n"


def test_apply_code_uses_the_entry_name_typed_and_is_in_view(make_window, qtbot):
    w = make_window()
    x, _ = add_chain(w)
    node = w.add_node_at("Code", QPointF(0, 200))
    w.model.select([node])
    qtbot.wait(10)
    apply_button = w.inspector.apply_code_button
    scroll = w.inspector.scroll
    top_left = apply_button.mapTo(scroll.viewport(), QPoint(0, 0))
    assert 0 <= top_left.y() and top_left.y() + apply_button.height() <= scroll.viewport().height(), \
        "Apply code is visible without scrolling"
    type_into(qtbot, w.inspector.editors["code"], "twice")
    w.inspector.editors["__code__"].setPlainText(CODE)
    qtbot.mouseClick(w.inspector.apply_code_button, Qt.LeftButton)
    assert "" not in w.model.doc.code and w.model.doc.code["twice"] == CODE
    assert w.model.doc.graph.nodes[node].params["code"] == "twice"
    assert not [p for p in w.model.node_problems(ROOT, node) if "does not exist" in p.message]


def test_apply_code_on_a_fresh_code_node_names_the_entry_after_the_node(make_window, qtbot):
    w = make_window()
    node = w.add_node_at("Code", QPointF(0, 200))
    w.model.select([node])
    w.inspector.editors["__code__"].setPlainText(CODE)
    qtbot.mouseClick(w.inspector.apply_code_button, Qt.LeftButton)
    entry = w.model.doc.graph.nodes[node].params["code"]
    assert entry and w.model.doc.code[entry] == CODE and "" not in w.model.doc.code


# -- observation 13 -------------------------------------------------------------------------------
def wheel(widget, steps=-3):
    from PySide6.QtGui import QWheelEvent

    centre = QPointF(widget.rect().center())
    for _ in range(abs(steps)):
        event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                            QPoint(0, 120 if steps > 0 else -120), Qt.NoButton, Qt.NoModifier,
                            Qt.NoScrollPhase, False)
        QApplication.sendEvent(widget, event)


def test_wheel_over_settings_does_not_change_values_without_focus(make_window, qtbot):
    w = make_window(EXAMPLE)
    w.docks["Training settings"].show()
    w.docks["Training settings"].raise_()
    panel = w.recipe_panel
    recipe = dict(w.model.doc.recipe)
    count = w.model.undo_stack.count()
    w.view.setFocus()
    for box in (panel.loss, panel.optimizer, panel.epochs, panel.lr, panel.dataset):
        wheel(box)
    assert w.model.doc.recipe == recipe and w.model.undo_stack.count() == count
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    panel.loss.setFocus()
    qtbot.waitUntil(panel.loss.hasFocus)
    wheel(panel.loss, -1)
    assert w.model.doc.recipe["loss"]["name"] != recipe["loss"]["name"], "with focus the wheel still works"


def test_wheel_over_inspector_boxes_does_not_change_values_without_focus(make_window):
    w = make_window(EXAMPLE)
    fc1 = w.model.doc.graph.node_by_label("fc1").id
    w.model.select([fc1])
    w.view.setFocus()
    count = w.model.undo_stack.count()
    wheel(w.inspector.editors["out_features"])
    assert w.model.undo_stack.count() == count
