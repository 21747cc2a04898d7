"""Right-click menus on the canvas: a node, a connection, or empty space.

Each menu offers the gestures of the window that apply to what is under the
pointer (the same actions as the menus and shortcuts, so their keys show),
plus what only makes sense there: paste at the pointer, add a layer there.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMenu

from app.canvas.items import EdgeItem, NodeItem
from graph import Edge
from graph.edits import Disconnect
from graph.kinds import INPUT, OUTPUT, kind_of

#: Layers offered under "Add layer" (everything else is one Ctrl+F away).
COMMON_LAYERS = (INPUT.type_id, OUTPUT.type_id, "Linear", "Conv2d", "ReLU", "GELU", "Dropout", "BatchNorm1d",
                 "BatchNorm2d", "MaxPool2d", "Flatten", "Add", "Concat")


def context_menu_at(window, scene_pos: QPointF) -> QMenu:
    """The menu for whatever is at `scene_pos` (not shown; the caller `exec`s it)."""
    for item in window.scene.items(scene_pos):
        if isinstance(item, NodeItem):
            return node_menu(window, item.node_id)
        if isinstance(item, EdgeItem):
            return edge_menu(window, item.key)
    return canvas_menu(window, scene_pos)


def node_menu(window, node_id: str) -> QMenu:
    if node_id not in window.model.selection:
        window.model.select([node_id])
    node = window.model.doc.scope(window.model.scope).nodes[node_id]
    menu = QMenu(window)
    menu.addAction("Rename…", window.rename_selected)
    enters = kind_of(node.type).drawing(node).enters
    if enters is not None:
        menu.addAction("Enter group", lambda: window.model.enter(enters))
    menu.addSeparator()
    for key in ("duplicate", "copy", "cut", "delete"):
        menu.addAction(window.actions[key])
    menu.addSeparator()
    menu.addAction(window.actions["group"])
    if window.can_ungroup():
        menu.addAction(window.actions["ungroup"])
    menu.addSeparator()
    menu.addAction("Show code", lambda: window.show_code_of(node_id))
    return menu


def edge_menu(window, key: tuple) -> QMenu:
    menu = QMenu(window)
    edge = Edge(*key)
    menu.addAction("Delete connection",
                   lambda: window.model.push(Disconnect(window.model.scope, edge), "delete connection"))
    return menu


def canvas_menu(window, scene_pos: QPointF) -> QMenu:
    menu = QMenu(window)
    paste = menu.addAction("Paste", lambda: window.paste(at=scene_pos))
    paste.setShortcuts(window.actions["paste"].shortcuts())
    add = menu.addMenu("Add layer")
    for type_id in COMMON_LAYERS:
        if window.model.registry.get(type_id) is not None:
            add.addAction(type_id, lambda t=type_id: window.add_node_at(t, scene_pos))
    add.addSeparator()
    add.addAction(window.actions["find"])
    menu.addSeparator()
    for key in ("select_all", "layout", "fit"):
        menu.addAction(window.actions[key])
    return menu
