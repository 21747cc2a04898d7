"""The editing gestures of the main window: add, delete, copy/cut/paste, duplicate, group, layout.

The gestures themselves are data operations below app/ (`graph.operations`,
`graph.clipboard`); this mixin only reads the selection, talks to the
clipboard and pushes the resulting edit, so a script can do the same without Qt.
"""

from __future__ import annotations

import atexit
import json

from PySide6.QtCore import QMimeData, QPointF
from PySide6.QtGui import QGuiApplication

from graph import ROOT, Edge
from graph.clipboard import copy_payload, paste_edit
from graph.edits import Batch, Disconnect, EditError, MoveNode
from graph.kinds import GroupKind, kind_of
from graph.layout import layered_positions
from graph.operations import group_nodes, place_node, remove_nodes, ungroup

CLIP_MIME = "application/x-torchcanvas-nodes"


def _hand_clipboard_to_qt() -> None:
    """At exit, the clipboard keeps Qt's own text copy of our nodes instead of our QMimeData.

    PySide6 6.11 segfaults at interpreter exit when the clipboard still owns a
    QMimeData made in Python (the application is destroyed during finalisation);
    a text copy made by Qt does not, and a paste reads the same JSON from text.
    """
    app = QGuiApplication.instance()
    if app is None:
        return
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(CLIP_MIME):
        clipboard.setText(mime.text())


atexit.register(_hand_clipboard_to_qt)


class EditingMixin:
    """Mixed into MainWindow (needs `model`, `scene`, `view`, `statusBar`)."""

    def add_node_at(self, type_id: str, pos: QPointF) -> str | None:
        if self.model.registry.get(type_id) is None:
            return None
        edit = place_node(self.model.doc, self.model.scope, type_id, (pos.x(), pos.y()))
        if not self.model.push(edit, f"add {type_id}"):
            return None
        self.model.select([edit.node.id])
        return edit.node.id

    def add_node_at_centre(self, type_id: str) -> str | None:
        return self.add_node_at(type_id, self.view.center_scene_pos())

    def selected_edges(self) -> list[Edge]:
        return [Edge(*item.key) for item in self.scene.selectedItems() if hasattr(item, "src_port")]

    def delete_selection(self) -> None:
        edges = self.selected_edges()
        if self.model.selection:
            self.model.push(remove_nodes(self.model.doc, self.model.scope, self.model.selection))
        elif edges:
            self.model.push(Batch([Disconnect(self.model.scope, e) for e in edges], "delete connection"))

    def select_all(self) -> None:
        self.model.select(list(self.model.doc.scope(self.model.scope).nodes))

    # -- clipboard -----------------------------------------------------------------------------
    def copy(self) -> bool:
        payload = copy_payload(self.model.doc, self.model.scope, self.model.selection)
        if payload is None:
            return False
        mime = QMimeData()
        text = json.dumps(payload)
        mime.setData(CLIP_MIME, text.encode())
        mime.setText(text)  # another TorchCanvas (or a text editor) can take it as text
        QGuiApplication.clipboard().setMimeData(mime)
        self.statusBar().showMessage(f"copied {len(payload['nodes'])} node(s)", 3000)
        return True

    def cut(self) -> None:
        if self.copy():
            self.model.push(remove_nodes(self.model.doc, self.model.scope, self.model.selection),
                            f"cut {len(self.model.selection)} node(s)")

    def clipboard_payload(self) -> object:
        """What the system clipboard holds, parsed as JSON (None when it is not JSON at all)."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasFormat(CLIP_MIME):
            raw = bytes(mime.data(CLIP_MIME)).decode(errors="replace")
        elif mime is not None and mime.hasText():
            raw = mime.text()  # from another TorchCanvas, or a text editor
        else:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def paste(self, payload: dict | None = None, at: QPointF | None = None) -> list[str]:
        """Pastes the clipboard (or `payload`); with `at`, the copies' top-left corner goes there."""
        data = payload if payload is not None else self.clipboard_payload()
        offset = None
        if at is not None and isinstance(data, dict) and isinstance(data.get("nodes"), list) and data["nodes"]:
            try:
                left = min(n["position"][0] for n in data["nodes"])
                top = min(n["position"][1] for n in data["nodes"])
                offset = (round((at.x() - left) / 10) * 10, round((at.y() - top) / 10) * 10)
            except (KeyError, TypeError, IndexError):
                offset = None
        edit, ids = paste_edit(self.model.doc, self.model.scope, data, offset)
        if edit is None:
            self.statusBar().showMessage("nothing pasted: the clipboard holds no TorchCanvas nodes", 6000)
            return []
        if not self.model.push(edit):
            return []
        self.model.select(ids)
        return ids

    def duplicate(self) -> list[str]:
        payload = copy_payload(self.model.doc, self.model.scope, self.model.selection)
        return self.paste(payload) if payload else []

    # -- structure -------------------------------------------------------------------------------
    def group_selection(self) -> None:
        if not self.model.selection:
            return
        try:
            edit = group_nodes(self.model.doc, self.model.scope, self.model.selection)
        except EditError as exc:
            self.model.refuse(exc.problems)
            return
        self.model.push(edit, "group into sub-network")

    def ungroup_selection(self) -> None:
        sel = self.model.selection
        if len(sel) != 1:
            return
        try:
            edit = ungroup(self.model.doc, self.model.scope, sel[0])
        except EditError as exc:
            self.model.refuse(exc.problems)
            return
        self.model.push(edit, "ungroup")

    def can_ungroup(self) -> bool:
        sel = self.model.selection
        g = self.model.doc.scope(self.model.scope)
        return len(sel) == 1 and sel[0] in g.nodes and isinstance(kind_of(g.nodes[sel[0]].type), GroupKind)

    def auto_layout(self) -> None:
        g = self.model.doc.scope(self.model.scope)
        positions = layered_positions(g)
        moves = [MoveNode(self.model.scope, nid, pos) for nid, pos in positions.items()
                 if tuple(g.nodes[nid].position) != pos]
        if moves:
            self.model.push(Batch(moves, "auto-layout"))
        self.view.show_graph()

    def fit_view(self) -> None:
        self.view.fit()

    def focus_palette(self) -> None:
        self.docks["Layers"].show()
        self.docks["Layers"].raise_()
        self.palette.search.setFocus()
        self.palette.search.selectAll()

    def go_to_parent(self) -> None:
        self.model.enter(ROOT)

    # -- right-click menus and what only they offer -------------------------------------------------
    def context_menu_at(self, scene_pos: QPointF):
        from app.context_menus import context_menu_at

        return context_menu_at(self, scene_pos)

    def _show_context_menu(self, scene_pos: QPointF, global_pos) -> None:
        menu = self.context_menu_at(scene_pos)
        menu.exec(global_pos)
        menu.deleteLater()

    def rename_selected(self) -> None:
        self.docks["Inspector"].show()
        self.docks["Inspector"].raise_()
        box = self.inspector.editors.get("__label__")
        if box is not None:
            box.setFocus()
            box.selectAll()

    def show_code_of(self, node_id: str) -> None:
        self.model.select([node_id])
        self.docks["Generated code"].show()
        self.docks["Generated code"].raise_()
        self.code_view.highlight_selection()

    def _node_activated(self, node_id: str) -> None:
        node = self.model.doc.scope(self.model.scope).nodes.get(node_id)
        enters = kind_of(node.type).drawing(node).enters if node is not None else None
        if enters is not None:
            self.model.enter(enters)

    def _code_clicked(self, scope: str, node_id: str) -> None:
        self.model.select([node_id], scope)
