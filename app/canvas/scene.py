"""The node-editor scene: mirrors one scope of the document and turns gestures into edits."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from app.canvas.items import EdgeItem, NodeItem, curve
from app.editor.model import EditorModel
from graph import ROOT, Edge
from graph.edits import Batch, Connect, Disconnect, MoveNode, SetParam
from graph.ports import input_ports, node_kind, output_ports
from graph.validate import can_connect, same_side


def subtitle(node, registry) -> str:
    """The line under a node's label: what its kind says about it (its type for a plain layer)."""
    kind = node_kind(node, registry)
    return kind.drawing(node).subtitle if kind is not None else node.type


def members(node, registry) -> tuple[tuple, str]:
    """A forest's members and hand-off rule as its kind draws them (empty for other nodes)."""
    kind = node_kind(node, registry)
    drawing = kind.drawing(node) if kind is not None else None
    return (drawing.members, drawing.handoff) if drawing is not None else ((), "")


class GraphScene(QGraphicsScene):
    refused = Signal(list)  # why a connection or edit was not made: Problem records
    node_activated = Signal(str)  # double-click on a node (enter a group, focus the inspector)

    def __init__(self, model: EditorModel) -> None:
        super().__init__()
        self.model = model
        self.setBackgroundBrush(QColor("#1d1f25"))
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple, EdgeItem] = {}
        self._temp: QGraphicsPathItem | None = None
        self._from: tuple[NodeItem, str, str] | None = None
        self._syncing = False
        self._press_positions: dict[str, QPointF] = {}
        #: True between a press and its release on the canvas: only then do items snap and moves count.
        self.user_moving = False
        #: What `show_analysis` showed last: the inference, the nodes marked with an error, and the
        #: connections made since (they have no shape text yet).
        self._shown = None
        self._marked: dict[str, str] = {}
        self._new_edges: set[tuple] = set()
        model.changed.connect(self._document_changed)
        model.registry_changed.connect(self.sync)  # ports of layers known only now
        model.scope_changed.connect(self.rebuild)
        model.analysed.connect(self.show_analysis)
        model.selection_changed.connect(self._select_from_model)
        self.selectionChanged.connect(self._select_to_model)
        self.setSceneRect(-5000, -5000, 10000, 10000)

    # -- mirroring the document ------------------------------------------------------
    def rebuild(self) -> None:
        self._press_positions = {}  # a press in the scope we leave moves nothing in the next one
        self._syncing = True
        for edge in self.edges.values():
            self.removeItem(edge)
        for item in self.nodes.values():
            self.removeItem(item)
        self.nodes, self.edges = {}, {}
        self._shown, self._marked, self._new_edges = None, {}, set()
        self._syncing = False
        self.sync()

    def _signature(self, node) -> tuple:
        reg = self.model.registry
        return (node.label, node.type, subtitle(node, reg),
                tuple(p.name for p in input_ports(self.model.doc, node, reg)),
                tuple(p.name for p in output_ports(self.model.doc, node, reg)), *members(node, reg))

    def _make_item(self, node, signature: tuple) -> NodeItem:
        spec = self.model.registry.get(node.type)
        label, type_id, sub, inputs, outputs, marks, handoff = signature
        item = NodeItem(node.id, label, type_id, spec.category if spec else "", list(inputs), list(outputs), sub,
                        marks, handoff)
        item.frozen = bool(node.params.get("frozen", False))
        return item

    def _document_changed(self) -> None:
        """A parameter of one of the model's nodes changes that node's box at most (its ports, subtitle,
        frozen mark); anything else is a `sync` of the whole scope. (In a group, a node's parameter could
        change the ports of a node using that group: those edits sync in full.)"""
        edit = self.model.last_edit
        if isinstance(edit, SetParam) and edit.scope == ROOT == self.model.scope and edit.node_id in self.nodes:
            node = self.model.doc.graph.nodes.get(edit.node_id)
            signature = self._signature(node) if node is not None else None
            if signature is not None and signature == self.nodes[edit.node_id].signature():
                self._sync_item(node, signature)
                self.show_analysis()
                return
        self.sync()

    def _sync_item(self, node, signature: tuple | None = None) -> NodeItem:
        """The node's item, made again when its label, type or ports changed (its connections go with it)."""
        item = self.nodes.get(node.id)
        signature = signature or self._signature(node)
        if item is None or item.signature() != signature:
            if item is not None:
                for edge in list(item.edges):
                    self._remove_edge(edge.key)
                self.removeItem(item)
            item = self._make_item(node, signature)
            self.nodes[node.id] = item
            self.addItem(item)
            self._marked.pop(node.id, None)
        frozen = bool(node.params.get("frozen", False))
        if item.frozen != frozen:
            item.frozen = frozen
            item.update()
        return item

    def sync(self) -> None:
        """Brings the items in line with the document: add, remove, update what changed."""
        self._syncing = True
        g = self.model.doc.scope(self.model.scope)
        for nid in [n for n in self.nodes if n not in g.nodes]:
            item = self.nodes.pop(nid)
            for edge in list(item.edges):
                self._remove_edge(edge.key)
            self.removeItem(item)
        for nid, node in g.nodes.items():
            item = self._sync_item(node)
            pos = QPointF(*node.position)
            if item.pos() != pos:
                item.setPos(pos)
            selected = nid in self.model.selection
            if item.isSelected() != selected:
                item.setSelected(selected)
        keys = set()
        for e in g.edges:
            key = (e.src, e.src_port, e.dst, e.dst_port)
            keys.add(key)
            if key not in self.edges and e.src in self.nodes and e.dst in self.nodes:
                edge = EdgeItem(self.nodes[e.src], e.src_port, self.nodes[e.dst], e.dst_port, key)
                self.edges[key] = edge
                self.addItem(edge)
                self._new_edges.add(key)
        for key in [k for k in self.edges if k not in keys]:
            self._remove_edge(key)
        self._syncing = False
        self.show_analysis()

    def _remove_edge(self, key: tuple) -> None:
        edge = self.edges.pop(key, None)
        if edge is not None:
            edge.detach()
            self.removeItem(edge)

    def show_analysis(self) -> None:
        """Error marks and shape texts from the model's analysis.

        Only nodes whose mark changes are touched; shape texts are set for new
        connections, and — when the inference was made from the one shown by a
        parameter edit — for the connections out of the nodes it ran again;
        any other inference sets them all.
        """
        scope = self.model.scope
        messages: dict[str, str] = {}
        for issue in self.model.all_problems():
            if issue.scope == scope and issue.node_id in self.nodes and issue.severity == "error":
                messages.setdefault(issue.node_id, issue.message)
        for nid in self._marked.keys() | messages.keys():
            if nid in self.nodes and self._marked.get(nid) != messages.get(nid):
                self.nodes[nid].set_error(messages.get(nid))
        self._marked = messages
        inference, shown = self.model.inference, self._shown
        if inference is not shown and (inference is None or shown is None or inference.made_from != shown.stamp):
            keys = list(self.edges)
        else:
            keys = [key for key in self._new_edges if key in self.edges]
            if inference is not shown and scope == ROOT:
                keys += [edge.key for nid in inference.rerun if nid in self.nodes
                         for edge in self.nodes[nid].edges if edge.src.node_id == nid]
        for src, port, dst, dst_port in keys:
            info = inference.edge(scope, src, port) if inference else None
            self.edges[(src, port, dst, dst_port)].set_shape_text(str(info) if info else "")
        self._shown, self._new_edges = inference, set()

    def _select_from_model(self) -> None:
        self._syncing = True
        for nid, item in self.nodes.items():
            item.setSelected(nid in self.model.selection)
        self._syncing = False

    def _select_to_model(self) -> None:
        if self._syncing:
            return
        ids = [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]
        self.model.select(ids)

    # -- gestures ---------------------------------------------------------------------
    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def _port_at(self, pos: QPointF) -> tuple[NodeItem, str, str] | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                hit = item.port_at(pos)
                if hit:
                    return item, hit[0], hit[1]
        for item in self.nodes.values():  # the hit area reaches a little outside the box
            hit = item.port_at(pos)
            if hit:
                return item, hit[0], hit[1]
        return None

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            hit = self._port_at(event.scenePos())
            if hit is not None:
                item, direction, port = hit
                if direction == "in":  # pick up an existing connection to move it
                    existing = [k for k in self.edges if k[2] == item.node_id and k[3] == port]
                    if existing:
                        src, src_port, dst, dst_port = existing[-1]
                        self.model.push(Disconnect(self.model.scope, Edge(src, src_port, dst, dst_port)),
                                        "reconnect")
                        item = self.nodes[src]
                        direction, port = "out", src_port
                self._from = (item, direction, port)
                self._temp = QGraphicsPathItem()
                self._temp.setPen(QPen(QColor("#ffd24d"), 2, Qt.DashLine))
                self.addItem(self._temp)
                event.accept()
                return
            self.begin_move()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._from is not None and self._temp is not None:
            item, direction, port = self._from
            start = item.port_pos(port, direction)
            end = event.scenePos()
            self._temp.setPath(curve(start, end) if direction == "out" else curve(end, start))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._from is not None:
            self._finish_connection(event.scenePos())
            return
        super().mouseReleaseEvent(event)
        self._commit_moves()
        self.user_moving = False

    def _finish_connection(self, pos: QPointF) -> None:
        item, direction, port = self._from
        self._from = None
        if self._temp is not None:
            self.removeItem(self._temp)
            self._temp = None
        hit = self._port_at(pos)
        if hit is None:
            return
        other, other_dir, other_port = hit
        if other_dir == direction:
            self.refused.emit([same_side(direction)])
            return
        if direction == "out":
            edge = Edge(item.node_id, port, other.node_id, other_port)
        else:
            edge = Edge(other.node_id, other_port, item.node_id, port)
        self.connect_ports(edge)

    def connect_ports(self, edge: Edge) -> bool:
        """The one path for a new connection: refused with a visible reason, or an undoable edit."""
        problem = can_connect(self.model.doc, self.model.scope, edge, self.model.registry)
        if problem is not None:
            self.refused.emit([problem])
            return False
        self.model.push(Connect(self.model.scope, edge))
        return True

    def begin_move(self) -> None:
        """A press on the canvas: remember where every node was, so the release knows what moved."""
        self._press_positions = {nid: i.pos() for nid, i in self.nodes.items()}
        self.user_moving = True
        self.model.begin_drag()

    def _commit_moves(self) -> None:
        """The nodes this press-drag-release moved become one undo step; nothing else is touched."""
        g = self.model.doc.scope(self.model.scope)
        moves = []
        for nid, item in self.nodes.items():
            before = self._press_positions.get(nid)
            if before is None or item.pos() == before or nid not in g.nodes:
                continue  # not dragged (or created, or in another scope since the press)
            if tuple(g.nodes[nid].position) != (item.pos().x(), item.pos().y()):
                moves.append(MoveNode(self.model.scope, nid, (item.pos().x(), item.pos().y())))
        self._press_positions = {}
        if moves:
            self.model.push_move(Batch(moves, "move"))

    def mouseDoubleClickEvent(self, event) -> None:
        item = self._node_at(event.scenePos())
        if item is not None:
            self.node_activated.emit(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)
