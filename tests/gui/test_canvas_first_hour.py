"""Issue 17, observation 8 and the perspectives: a canvas you can read, a dashboard only when training."""

import json

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFontInfo

from app.canvas.items import edge_font, title_font
from app.launch import EXAMPLE, RESOURCES
from app.perspectives import DESIGN, TRAIN
from graph import Edge, load
from graph.layout import layered_positions

TEMPLATES = sorted((RESOURCES / "templates").glob("*.json"))


def on_screen_px(window, font) -> float:
    return QFontInfo(font).pixelSize() * window.view.transform().m11()


@pytest.mark.parametrize("project", [EXAMPLE, *TEMPLATES[::4]], ids=lambda p: p.stem)
def test_titles_and_shapes_are_readable_at_the_default_zoom(make_window, qtbot, project):
    w = make_window(project)
    qtbot.wait(50)  # the view settles after opening
    assert on_screen_px(w, title_font()) >= 11, f"node titles at zoom {w.view.transform().m11():.2f}"
    assert on_screen_px(w, edge_font()) >= 10, "edge shapes"


def test_fit_never_zooms_a_small_graph_below_100_percent(make_window, qtbot):
    w = make_window()
    x = w.add_node_at("Input", QPointF(0, 0))
    y = w.add_node_at("Output", QPointF(270, 0))
    w.scene.connect_ports(Edge(x, "out", y, "x"))
    w.fit_view()
    assert w.view.transform().m11() >= 1.0
    assert not w.minimap.isVisible(), "everything is in view: no minimap"


def test_a_graph_wider_than_the_view_gets_a_minimap_that_moves_the_view(make_window, qtbot):
    w = make_window(RESOURCES / "templates" / "08_mini_gpt.json")
    qtbot.wait(50)
    assert on_screen_px(w, title_font()) >= 11, "opened at a readable zoom, however wide the graph"
    qtbot.waitUntil(w.minimap.isVisible, timeout=2000)
    before = w.view.center_scene_pos()
    graph = w.minimap.graph_rect()
    target = graph.topLeft() + QPointF(graph.width() * 0.9, graph.height() / 2)
    s, offset = w.minimap._scale(graph)
    qtbot.mouseClick(w.minimap, Qt.LeftButton, pos=QPointF(target.x() * s + offset.x(),
                                                             target.y() * s + offset.y()).toPoint())
    after = w.view.center_scene_pos()
    assert after.x() > before.x() + 200, "a click on the minimap moves the view there"


def test_every_template_is_laid_out_left_to_right_without_wrapping(make_window):
    for path in TEMPLATES:
        doc = load(path)
        for scope in doc.scopes():
            g = doc.scope(scope)
            expected = layered_positions(g)
            assert {nid: tuple(n.position) for nid, n in g.nodes.items()} == expected, f"{path.name} {scope!r}"
            assert all(g.nodes[e.dst].position[0] > g.nodes[e.src].position[0] for e in g.edges), path.name
    assert json.loads(TEMPLATES[0].read_text())["format"] == "torchcanvas"


# -- perspectives ---------------------------------------------------------------------------------
def test_design_perspective_gives_the_canvas_the_room_and_hides_the_dashboard(make_window):
    w = make_window(EXAMPLE)
    assert w.perspective == DESIGN
    assert not w.docks["Dashboard"].isVisible()
    assert w.view.width() >= 0.5 * w.width() and w.view.height() >= 0.6 * w.height()


def test_train_switches_to_the_train_perspective_and_each_layout_is_remembered(make_window, qtbot, tmp_path):
    project = tmp_path / "digits.json"
    project.write_text(EXAMPLE.read_text())
    w = make_window(project)
    w.perspective_actions[TRAIN].trigger()  # the toolbar toggle
    qtbot.wait(20)
    assert w.perspective == TRAIN and w.docks["Dashboard"].isVisible()
    assert w.docks["Dashboard"].height() >= 0.45 * w.height()
    w.resizeDocks([w.docks["Dashboard"]], [int(w.height() * 0.5)], Qt.Vertical)
    qtbot.wait(20)
    chosen = w.docks["Dashboard"].height()
    w.perspective_actions[DESIGN].trigger()
    qtbot.wait(20)
    assert not w.docks["Dashboard"].isVisible()
    w.start_training()  # Train switches by itself
    qtbot.wait(20)
    assert w.perspective == TRAIN and abs(w.docks["Dashboard"].height() - chosen) <= 4, "Train's own layout"
    w.stop_training()
    qtbot.waitUntil(lambda: not w.trainer.running, timeout=120_000)
    w.close()
    again = make_window(project)
    assert again.perspective == TRAIN and again.docks["Dashboard"].isVisible(), "remembered across sessions"


def test_switching_perspective_keeps_the_graph_in_the_smaller_canvas(make_window, qtbot):
    w = make_window(RESOURCES / "templates" / "03_lenet5_digits.json")
    qtbot.wait(50)
    w.view.centerOn(w.view.graph_rect().center() + QPointF(0, -200))  # looking a little above the chain
    w.perspective_actions[TRAIN].trigger()
    qtbot.wait(50)

    def graph_in_view():
        visible = w.view.mapToScene(w.view.viewport().rect()).boundingRect()
        return any(item.sceneBoundingRect().intersects(visible) for item in w.scene.nodes.values())

    qtbot.waitUntil(graph_in_view, timeout=2000)
