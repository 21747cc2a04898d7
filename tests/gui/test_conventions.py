"""Issue 17, observation 16: the conventions of a desktop editor (context menus, shortcut list, search)."""

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication, QMessageBox

from app.launch import EXAMPLE
from graph import Edge


def texts(menu):
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def trigger(menu, text):
    action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
    action.trigger()


def test_right_click_on_a_node_offers_its_gestures(make_window):
    w = make_window(EXAMPLE)
    fc1 = w.model.doc.graph.node_by_label("fc1").id
    menu = w.context_menu_at(w.scene.nodes[fc1].sceneBoundingRect().center())
    assert w.model.selection == [fc1], "right-clicking a node selects it"
    for entry in ("Rename…", "Duplicate", "Copy", "Cut", "Delete", "Group into sub-network", "Show code"):
        assert entry in texts(menu), entry
    count = len(w.model.doc.graph.nodes)
    trigger(menu, "Duplicate")
    assert len(w.model.doc.graph.nodes) == count + 1


def test_right_click_on_an_edge_deletes_that_connection(make_window):
    w = make_window(EXAMPLE)
    key, edge = next(iter(w.scene.edges.items()))
    menu = w.context_menu_at(edge.path().pointAtPercent(0.5))
    assert "Delete connection" in texts(menu)
    trigger(menu, "Delete connection")
    assert Edge(*key) not in w.model.doc.graph.edges


def test_right_click_on_the_canvas_pastes_there_and_adds_layers(make_window):
    w = make_window(EXAMPLE)
    fc1 = w.model.doc.graph.node_by_label("fc1").id
    w.model.select([fc1])
    w.copy()
    menu = w.context_menu_at(QPointF(2000, 2000))
    for entry in ("Paste", "Add layer", "Select all", "Auto-layout", "Fit to view"):
        assert entry in texts(menu), entry
    trigger(menu, "Paste")
    new = w.model.selection[0]
    assert new != fc1 and w.model.doc.graph.nodes[new].position == (2000.0, 2000.0)


def test_right_click_on_a_run_offers_overlay_weights_and_folder(make_window, tmp_path):
    import json

    from runtime.run_folder import write_result, write_start

    project = tmp_path / "p.json"
    project.write_text(EXAMPLE.read_text())
    w = make_window(project)
    run = w.next_run_dir()
    write_start(run, project.read_text(), run.name, {}, "")
    write_result(run, "finished", 3, {"val_accuracy": 0.9})
    (run / "metrics.jsonl").write_text(json.dumps({"kind": "batch_ended", "step": 1, "loss": 1.0}))
    w.runs_panel.set_folder(w.runs_dir())
    menu = w.runs_panel.menu_for(w.runs_panel.tree.topLevelItem(0))
    for entry in ("Show on the dashboard", "Load weights into model", "Open folder", "Delete run…"):
        assert entry in texts(menu), entry


def test_help_lists_every_keyboard_shortcut(make_window):
    from app.shortcuts import SHORTCUTS

    w = make_window()
    box = w.show_shortcuts()
    try:
        for text, keys in SHORTCUTS.values():
            assert text in box.text() and keys[0] in box.text()
    finally:
        box.close()
    QApplication.processEvents()
    assert isinstance(box, QMessageBox)


def test_palette_search_finds_layers_by_name_first(make_window):
    w = make_window()
    w.palette.search.setText("output")
    assert w.palette.visible_types() == ["Output"]
    w.palette.search.setText("relu")
    assert w.palette.best_match() == "ReLU"
    w.palette.search.setText("convolution")  # no name has it: descriptions are searched then
    assert "Conv2d" in w.palette.visible_types()


def test_only_layers_with_weights_offer_to_load_them(make_window):
    w = make_window(EXAMPLE)
    g = w.model.doc.graph
    w.model.select([g.node_by_label("act1").id])
    assert "__weights__" not in w.inspector.editors, "ReLU has no weights to load"
    w.model.select([g.node_by_label("fc1").id])
    assert "__weights__" in w.inspector.editors


def test_layers_added_from_the_palette_land_in_view(make_window):
    w = make_window(EXAMPLE)
    node = w.add_node_at_centre("ReLU")
    item = w.scene.nodes[node]
    assert w.view.mapToScene(w.view.viewport().rect()).boundingRect().intersects(item.sceneBoundingRect())
