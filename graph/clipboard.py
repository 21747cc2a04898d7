"""Copy and paste of nodes as plain data, so the gesture works headless as well as in the window.

The payload is JSON: the nodes (type, label, parameters, position), the
edges among them, and what they need to mean the same thing in another
project (the group definitions and code entries they use). Pasting gives
every node a fresh id and a label unique in the target scope, keeps the
edges between pasted nodes, is one undoable `Batch`, and places the copies
where no node already sits, so pasting or duplicating again cascades instead
of stacking copies exactly on top of each other. A payload from elsewhere
(another program's clipboard) is checked first: a malformed one pastes
nothing instead of raising.
"""

from __future__ import annotations

import copy
from typing import Any

from graph.document import Document, Edge, Graph, GroupDef, Node
from graph.edits import AddGroup, AddNode, Batch, Connect, Edit, SetCode
from graph.kinds import kind_of
from graph.operations import new_node

FORMAT = "torchcanvas-nodes"
VERSION = 1
#: How far each paste moves the copies (down and right), in scene units.
STEP = 40.0


def copy_payload(doc: Document, scope: str, node_ids: list[str]) -> dict[str, Any] | None:
    """The selected nodes and the edges among them, as JSON-ready data (None when nothing is selected)."""
    g = doc.scope(scope)
    ids = [i for i in dict.fromkeys(node_ids) if i in g.nodes]
    if not ids:
        return None
    chosen = set(ids)
    nodes = [_node_dict(g.nodes[i]) for i in ids]
    edges = [[e.src, e.src_port, e.dst, e.dst_port] for e in g.edges if e.src in chosen and e.dst in chosen]
    groups: dict[str, Any] = {}
    code: dict[str, str] = {}
    _collect(doc, [g.nodes[i] for i in ids], groups, code)
    return {"format": FORMAT, "version": VERSION, "nodes": nodes, "edges": edges, "groups": groups, "code": code}


def _node_dict(n: Node) -> dict[str, Any]:
    return {"id": n.id, "type": n.type, "label": n.label, "params": copy.deepcopy(n.params),
            "position": [n.position[0], n.position[1]]}


def _collect(doc: Document, nodes: list[Node], groups: dict[str, Any], code: dict[str, str]) -> None:
    """The group definitions (nested ones too) and code entries the nodes refer to."""
    for n in nodes:
        entry = n.params.get("code")
        if kind_of(n.type).runs_user_code and isinstance(entry, str) and entry in doc.code:
            code[entry] = doc.code[entry]
        name = kind_of(n.type).subnetwork(n)
        if name and name in doc.groups and name not in groups:
            body = doc.groups[name].graph
            groups[name] = {"description": doc.groups[name].description,
                            "nodes": [_node_dict(m) for m in body.nodes.values()],
                            "edges": [[e.src, e.src_port, e.dst, e.dst_port] for e in body.edges]}
            _collect(doc, list(body.nodes.values()), groups, code)


def _valid(payload: Any) -> bool:
    if not isinstance(payload, dict) or not isinstance(payload.get("nodes"), list):
        return False
    if payload.get("format", FORMAT) != FORMAT or not isinstance(payload.get("version", VERSION), int) \
            or payload.get("version", VERSION) > VERSION:
        return False
    for n in payload["nodes"]:
        if not (isinstance(n, dict) and isinstance(n.get("id"), str) and isinstance(n.get("type"), str)
                and isinstance(n.get("label"), str) and isinstance(n.get("params", {}), dict)):
            return False
        pos = n.get("position", [0, 0])
        if not (isinstance(pos, list) and len(pos) == 2 and all(isinstance(v, (int, float)) for v in pos)):
            return False
    ids = {n["id"] for n in payload["nodes"]}
    edges = payload.get("edges", [])
    groups = payload.get("groups", {})
    code = payload.get("code", {})
    return isinstance(edges, list) and all(
        isinstance(e, list) and len(e) == 4 and all(isinstance(v, str) for v in e) and e[0] in ids and e[2] in ids
        for e in edges) and isinstance(code, dict) and all(isinstance(v, str) for v in code.values()) \
        and isinstance(groups, dict) and all(_valid({"nodes": g.get("nodes"), "edges": g.get("edges", [])})
                                             for g in groups.values() if isinstance(g, dict)) \
        and all(isinstance(g, dict) for g in groups.values())


def free_offset(doc: Document, scope: str, payload: dict[str, Any], step: float = STEP) -> tuple[float, float]:
    """The first multiple of `step` (down-right) at which no copy lands on an existing node's spot."""
    occupied = {(round(n.position[0]), round(n.position[1])) for n in doc.scope(scope).nodes.values()}
    spots = [(float(n.get("position", [0, 0])[0]), float(n.get("position", [0, 0])[1])) for n in payload["nodes"]]
    k = 1
    while any((round(x + k * step), round(y + k * step)) in occupied for x, y in spots):
        k += 1
    return k * step, k * step


def paste_edit(doc: Document, scope: str, payload: Any,
               offset: float | tuple[float, float] | None = None) -> tuple[Batch | None, list[str]]:
    """The edit that pastes `payload` into `scope`, and the new nodes' ids (None, [] for a bad payload).

    Without `offset` the copies move down-right by the first multiple of `STEP`
    at which none lands on an existing node. Groups and code entries the
    document lacks are added; one of the same name it already has is used as
    it is (pasting within a project reuses it).
    """
    if not _valid(payload):
        return None, []
    if offset is None:
        offset = free_offset(doc, scope, payload)
    dx, dy = (offset, offset) if isinstance(offset, (int, float)) else offset
    taken_ids: set[str] = set()
    edits: list[Edit] = []
    for name, source in payload.get("code", {}).items():
        if name not in doc.code:
            edits.append(SetCode(name, source))
    for name, data in payload.get("groups", {}).items():
        if name not in doc.groups:
            edits.append(AddGroup(_group(doc, name, data, taken_ids)))
    id_map: dict[str, str] = {}
    taken_labels: set[str] = set()
    for n in payload["nodes"]:
        x, y = n.get("position", [0.0, 0.0])
        node = new_node(doc, scope, n["type"], label=n["label"], params=n.get("params", {}),
                        position=(x + dx, y + dy), taken_ids=taken_ids, taken_labels=taken_labels)
        taken_ids.add(node.id)
        taken_labels.add(node.label)
        id_map[n["id"]] = node.id
        edits.append(AddNode(scope, node))
    for src, sp, dst, dp in payload.get("edges", []):
        edits.append(Connect(scope, Edge(id_map[src], sp, id_map[dst], dp)))
    return Batch(edits, f"paste {len(id_map)} node(s)"), list(id_map.values())


def _group(doc: Document, name: str, data: dict[str, Any], taken_ids: set[str]) -> GroupDef:
    """A copied group definition with node ids fresh for this document (ids are document-wide)."""
    body = Graph()
    id_map: dict[str, str] = {}
    for n in data.get("nodes", []):
        new_id = doc.new_id(taken_ids)
        taken_ids.add(new_id)
        id_map[n["id"]] = new_id
        x, y = n.get("position", [0.0, 0.0])
        body.nodes[new_id] = Node(new_id, n["type"], n["label"], copy.deepcopy(n.get("params", {})),
                                  (float(x), float(y)))
    for s, sp, d, dp in data.get("edges", []):
        if s in id_map and d in id_map:
            body.edges.append(Edge(id_map[s], sp, id_map[d], dp))
    return GroupDef(name, body, data.get("description", ""))
