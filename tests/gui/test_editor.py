import json
import random

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QSpinBox

from graph import ROOT, Document, Edge, save
from graph.builder import Builder
from graph.edits import SetParam
from graph.fileformat import dumps


@pytest.fixture
def window(make_window):
    return make_window()


def port_point(window, node_id, port, direction):
    item = window.scene.nodes[node_id]
    return window.view.mapFromScene(item.port_pos(port, direction))


def drag(qtbot, widget, start: QPoint, end: QPoint):
    qtbot.mousePress(widget, Qt.LeftButton, pos=start)
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    for k in range(1, 6):
        p = start + (end - start) * (k / 5)
        move = QMouseEvent(QMouseEvent.MouseMove, QPointF(p), QPointF(widget.mapToGlobal(p)), Qt.NoButton,
                           Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(widget, move)
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=end)


def test_drop_connect_and_edit_parameter_update_document_shapes_and_code(window, qtbot):
    view = window.view
    x = window.add_node_at("Input", QPointF(-300, 0))
    window.model.push(SetParam(ROOT, x, "shape", [20]))
    window.view.dropped.emit("Linear", QPointF(0, 0))  # the drop handler's own path
    fc = window.model.selection[0]
    y = window.add_node_at("Output", QPointF(300, 0))
    window.fit_view()
    qtbot.wait(50)
    drag(qtbot, view.viewport(), port_point(window, x, "out", "out"), port_point(window, fc, "x", "in"))
    drag(qtbot, view.viewport(), port_point(window, fc, "out", "out"), port_point(window, y, "x", "in"))
    g = window.model.doc.graph
    assert Edge(x, "out", fc, "x") in g.edges and Edge(fc, "out", y, "x") in g.edges
    window.model.select([fc])
    spin = window.inspector.editors["out_features"]
    assert isinstance(spin, QSpinBox)
    spin.setValue(7)
    assert g.nodes[fc].params["out_features"] == 7
    edge_label = window.scene.edges[(fc, "out", y, "x")].label.text()
    assert edge_label == "(B, 7)"
    qtbot.waitUntil(lambda: window.model.compiled is not None and "nn.Linear(20, 7)" in
                    window.code_view.text.toPlainText(), timeout=3000)
    assert window.code_view.highlighted_lines(), "selected node's lines are highlighted"
    line = window.code_view.highlighted_lines()[0]
    window.model.select([])
    window.code_view.click_line(line)
    assert window.model.selection == [fc]


def test_invalid_connection_is_refused_with_a_reason(window, qtbot):
    a = window.add_node_at("Linear", QPointF(0, 0))
    b = window.add_node_at("ReLU", QPointF(300, 0))
    window.fit_view()
    qtbot.wait(50)
    drag(qtbot, window.view.viewport(), port_point(window, a, "out", "out"), port_point(window, b, "x", "in"))
    assert len(window.model.doc.graph.edges) == 1
    messages = []
    window.scene.refused.connect(messages.append)
    drag(qtbot, window.view.viewport(), port_point(window, b, "out", "out"), port_point(window, a, "x", "in"))
    assert len(window.model.doc.graph.edges) == 1
    (refusal,) = messages[-1]  # a Problem record on the node the connection would have entered
    assert "cycle" in refusal.message and (refusal.node_id, refusal.port) == (a, "x")
    assert "cycle" in window.statusBar().currentMessage()


def test_shape_error_shows_in_problems_and_on_the_node(window, qtbot):
    b = Builder("bad").use_registry(window.model.registry)
    x = b.input("x", [10])
    fc = b.add("Linear", x, "fc", in_features=99, out_features=3)
    b.output(fc)
    window.model.set_document(b.doc)
    fc_id = fc.node_id
    assert window.scene.nodes[fc_id].error and "expects in_features=99" in window.scene.nodes[fc_id].error
    texts = [window.problems.item(k).text() for k in range(window.problems.count())]
    assert any("fc" in t and "in_features=99" in t for t in texts)
    window.problems.itemClicked.emit(window.problems.item(0))
    assert window.model.selection == [fc_id]


def test_random_gui_edits_undo_and_redo_to_identical_documents(window):
    rng = random.Random(7)
    window.open_project(__import__("app.launch", fromlist=["EXAMPLE"]).EXAMPLE, interactive=False)
    snapshots = [dumps(window.model.doc)]
    for _step in range(25):
        g = window.model.doc.graph
        ids = list(g.nodes)
        choice = rng.choice(["add", "delete", "duplicate", "group", "param", "layout", "move"])
        if choice == "add":
            window.add_node_at(rng.choice(["ReLU", "Linear", "Dropout"]), QPointF(rng.uniform(-200, 200), 300))
        elif choice == "delete" and ids:
            window.model.select([rng.choice(ids)])
            window.delete_selection()
        elif choice == "duplicate" and ids:
            window.model.select(rng.sample(ids, min(2, len(ids))))
            window.duplicate()
        elif choice == "group" and len(ids) > 3:
            inner = [i for i in ids if g.nodes[i].type not in ("Input", "Output")][:2]
            if inner:
                window.model.select(inner)
                window.group_selection()
        elif choice == "param" and ids:
            nid = rng.choice(ids)
            window.model.push(SetParam(ROOT, nid, "p" if g.nodes[nid].type == "Dropout" else "out_features",
                                       rng.choice([0.2, 5, 9])))
        elif choice == "layout":
            window.auto_layout()
        elif choice == "move" and ids:
            window.scene.begin_move()
            item = window.scene.nodes[rng.choice(ids)]
            item.setPos(item.pos() + QPointF(40, 20))
            window.scene._commit_moves()
        snapshots.append(dumps(window.model.doc))
    stack = window.model.undo_stack
    target = stack.index()
    for _k in range(target, 0, -1):
        stack.undo()
    assert dumps(window.model.doc) == snapshots[0]
    for _ in range(target):
        stack.redo()
    assert dumps(window.model.doc) == snapshots[-1]


def test_dragging_a_node_is_one_undo_step(window, qtbot):
    a = window.add_node_at("Linear", QPointF(0, 0))
    window.fit_view()
    qtbot.wait(50)
    item = window.scene.nodes[a]
    start = window.view.mapFromScene(item.sceneBoundingRect().center())
    before = window.model.undo_stack.count()
    drag(qtbot, window.view.viewport(), start, start + QPoint(120, 60))
    assert window.model.undo_stack.count() == before + 1
    assert window.model.doc.graph.nodes[a].position != (0.0, 0.0)
    window.model.undo_stack.undo()
    assert window.model.doc.graph.nodes[a].position == (0.0, 0.0)


def test_save_close_reopen_identical_and_bad_file_keeps_document(window, tmp_path, make_window, monkeypatch):
    from app.launch import EXAMPLE

    window.open_project(EXAMPLE, interactive=False)
    window.add_node_at("ReLU", QPointF(0, 300))
    path = tmp_path / "mine.json"
    window.model.save(path)
    text = path.read_text()
    window.close()
    other = make_window(path)
    assert dumps(other.model.doc) == text
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "torchcanvas", "version": 1, "nodes": [}')
    shown = []
    monkeypatch.setattr("app.window_files.QMessageBox.critical", lambda *a: shown.append(a[2]))
    assert not other.open_project(bad)
    assert shown and "not valid JSON" in shown[0]
    assert dumps(other.model.doc) == text and other.model.path == path


def test_autosave_recovers_after_a_crash(window, tmp_path, make_window):
    path = tmp_path / "p.json"
    save(Document(name="p"), path)
    window.open_project(path, interactive=False)
    window.add_node_at("Linear", QPointF(10, 10))
    recovery = window.autosave()
    assert recovery is not None and recovery.exists()
    # the process dies here: no save, no close. A new window opens the same file:
    fresh = make_window(path)  # non-interactive opening restores without asking
    assert [n.type for n in fresh.model.doc.graph.nodes.values()] == ["Linear"]
    assert fresh.model.modified
    window.model.undo_stack.setClean()


MARKER_CODE = '''from pathlib import Path

from torch import nn


class Marker(nn.Module):
    def __init__(self, path="{marker}"):
        super().__init__()
        Path(path).write_text("ran")

    def forward(self, x):
        return x
'''


def test_untrusted_code_does_not_run_until_trusted(window, tmp_path):
    marker = tmp_path / "marker.txt"
    b = Builder("with code").use_registry(window.model.registry)
    x = b.input("x", [4])
    b.doc.code["marker"] = MARKER_CODE.format(marker=marker)
    b.output(b.add("Code", x, "m", code="marker"))
    path = tmp_path / "downloaded.json"
    save(b.doc, path)
    assert window.open_project(path, interactive=False)
    window.model.recompile()
    assert not window.model.trusted and not marker.exists()
    assert window.model.compiled is None and "trust" in window.model.compile_error
    window.trust_current()
    window.model.recompile()
    assert marker.exists()
    assert window.model.compiled is not None
    assert json.loads(path.read_text())["code"]


def test_untitled_work_is_offered_at_the_next_start(window, make_window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window.add_node_at("Linear", QPointF(0, 0))
    assert window.autosave() is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    fresh = make_window()
    assert fresh.offer_untitled_recovery()
    assert [n.type for n in fresh.model.doc.graph.nodes.values()] == ["Linear"]
    assert fresh.model.path is None and fresh.model.modified


def test_import_dialog_uses_the_headless_importer(window, tmp_path):
    from app.import_dialog import ImportDialog

    src = tmp_path / "net.py"
    src.write_text("from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self, width=4):\n"
                   "        super().__init__()\n        self.body = nn.Sequential(nn.Linear(3, width), nn.ReLU())\n"
                   "        self.head = nn.Linear(width, 2)\n\n    def forward(self, x):\n"
                   "        return self.head(self.body(x))\n")
    dialog = ImportDialog(window)
    dialog.file.setText(str(src))
    dialog.class_name.setText("Net")
    dialog.args.setText('{"width": 6}')
    dialog.shape.setText("3")
    assert dialog.try_import()
    doc = dialog.document
    assert [n.label for n in doc.graph.nodes.values()] == ["x", "body", "head", "y"]
    assert "body" in doc.groups
    dialog.class_name.setText("Missing")
    assert not dialog.try_import()
    assert "defines no 'Missing'" in dialog.error.text()


def test_inspector_sets_and_clears_pretrained_weights_for_a_node(window):
    from app.launch import EXAMPLE

    window.open_project(EXAMPLE, interactive=False)
    fc1 = window.model.doc.graph.node_by_label("fc1").id
    window.model.select([fc1])
    window.inspector.set_init_weights("fc1", "/data/fc1.safetensors")
    assert window.model.doc.recipe["init_from"] == [{"file": "/data/fc1.safetensors", "node": "fc1"}]
    assert window.inspector.editors["__weights__"].text() == "fc1.safetensors"
    window.inspector.set_init_weights("fc1", None)
    assert window.model.doc.recipe["init_from"] == []
    window.model.undo_stack.undo()
    assert window.model.doc.recipe["init_from"][0]["node"] == "fc1"


def test_inspector_shows_a_weight_tie_and_untie_is_one_undoable_click(window, qtbot, tmp_path):
    from tests.codegen.test_ties import tied_lm

    doc, head = tied_lm()
    path = tmp_path / "tied.json"
    save(doc, path)
    window.open_project(path, interactive=False)
    window.model.select([head])
    assert window.inspector.editors["__tie__"].text() == "weight = tok_emb.weight"
    qtbot.mouseClick(window.inspector.editors["__untie__"], Qt.LeftButton)
    assert "tie" not in window.model.doc.graph.nodes[head].params
    assert "__tie__" not in window.inspector.editors
    window.model.undo_stack.undo()
    assert window.model.doc.graph.nodes[head].params["tie"]["weight"]["param"] == "weight"
