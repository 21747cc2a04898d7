"""The canvas after a parameter edit: only the edited node's box and the connections whose shapes changed are
looked at again (issue #13.4). Counted, not timed, on a 400-node chain; the result equals a canvas drawn anew."""

from __future__ import annotations

import pytest

from app.canvas.items import EdgeItem, NodeItem
from app.canvas.scene import GraphScene
from graph import ROOT
from graph.edits import SetParam
from tests.gui.widget_support import chain_window, count_method_calls


@pytest.fixture
def work(monkeypatch):
    return count_method_calls(monkeypatch, {"node signatures": (GraphScene, "_signature"),
                                            "shape texts": (EdgeItem, "set_shape_text"),
                                            "error marks": (NodeItem, "set_error")})


def drawn(scene) -> tuple[dict, dict]:
    return ({key: edge.label.text() for key, edge in scene.edges.items()},
            {nid: (item.error, item.signature()) for nid, item in scene.nodes.items()})


@pytest.fixture
def window(make_window, tmp_path, qtbot):
    return chain_window(make_window, tmp_path, qtbot, 400)


def test_a_parameter_edit_redraws_its_node_and_the_connections_it_changed(window, work, qtbot):
    scene, graph = window.scene, window.model.doc.graph
    fc = graph.node_by_label("fc100").id
    for width in (33, 32, 33, 7):
        work.clear()
        window.model.push(SetParam(ROOT, fc, "out_features", width))
        # fc100 → act100 → fc101 → act101: three connections carry a new shape text (or the same one again)
        assert work == {"node signatures": 1, "shape texts": 3}, work
        assert scene.edges[(graph.node_by_label("act100").id, "out", graph.node_by_label("fc101").id, "x")] \
            .label.text() == f"(B, {width})"
        after = drawn(scene)
        scene.rebuild()
        assert drawn(scene) == after  # what a canvas drawn from scratch shows


def test_an_edit_that_fails_a_node_marks_it_and_clears_the_shapes_after_it(window, work, qtbot):
    scene, graph = window.scene, window.model.doc.graph
    fc = graph.node_by_label("fc190").id
    window.model.push(SetParam(ROOT, fc, "in_features", 5))
    assert scene.nodes[fc].error and "in_features" in scene.nodes[fc].error
    assert work["error marks"] == 1 and work["node signatures"] == 1
    y = graph.node_by_label("y").id
    assert all(edge.label.text() == "" for key, edge in scene.edges.items() if key[2] == y)
    after = drawn(scene)
    scene.rebuild()
    assert drawn(scene) == after
    work.clear()
    window.model.push(SetParam(ROOT, fc, "in_features", 32))
    assert scene.nodes[fc].error is None and work["error marks"] == 1
    after = drawn(scene)
    scene.rebuild()
    assert drawn(scene) == after
