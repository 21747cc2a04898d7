"""Copy and paste of nodes as plain data, so the gesture works headless as well as in the window.

The payload is JSON (nodes with their parameters and positions, edges among
them); pasting gives every node a fresh id and a label unique in the target
scope, keeps the edges between pasted nodes, and is one undoable `Batch`.
A payload from elsewhere (another program's clipboard) is checked first: a
malformed one pastes nothing instead of raising.
"""

from __future__ import annotations

import copy
from typing import Any

from graph.document import Document, Edge
from graph.edits import AddNode, Batch, Connect
from graph.operations import new_node


def copy_payload(doc: Document, scope: str, node_ids: list[str]) -> dict[str, Any] | None:
    """The selected nodes and the edges among them, as JSON-ready data (None when nothing is selected)."""
    g = doc.scope(scope)
    ids = [i for i in node_ids if i in g.nodes]
    if not ids:
        return None
    nodes = [{"id": n.id, "type": n.type, "label": n.label, "params": copy.deepcopy(n.params),
              "position": [float(n.position[0]), float(n.position[1])]} for n in (g.nodes[i] for i in ids)]
    edges = [[e.src, e.src_port, e.dst, e.dst_port] for e in g.edges if e.src in ids and e.dst in ids]
    return {"nodes": nodes, "edges": edges}


def _valid(payload: Any) -> bool:
    if not isinstance(payload, dict) or not isinstance(payload.get("nodes"), list):
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
    return isinstance(edges, list) and all(
        isinstance(e, list) and len(e) == 4 and all(isinstance(v, str) for v in e) and e[0] in ids and e[2] in ids
        for e in edges)


def paste_edit(doc: Document, scope: str, payload: Any, offset: float = 40.0) -> tuple[Batch | None, list[str]]:
    """The edit that pastes `payload` into `scope`, and the new nodes' ids (None, [] for a bad payload)."""
    if not _valid(payload):
        return None, []
    id_map: dict[str, str] = {}
    taken_ids: set[str] = set()
    taken_labels: set[str] = set()
    edits: list = []
    for n in payload["nodes"]:
        x, y = n.get("position", [0.0, 0.0])
        node = new_node(doc, scope, n["type"], label=n["label"], params=n.get("params", {}),
                        position=(x + offset, y + offset), taken_ids=taken_ids, taken_labels=taken_labels)
        taken_ids.add(node.id)
        taken_labels.add(node.label)
        id_map[n["id"]] = node.id
        edits.append(AddNode(scope, node))
    for src, sp, dst, dp in payload.get("edges", []):
        edits.append(Connect(scope, Edge(id_map[src], sp, id_map[dst], dp)))
    return Batch(edits, f"paste {len(id_map)} node(s)"), list(id_map.values())
