"""Gestures built from primitive edits: add, delete, group, ungroup.

Each function returns an `Edit` (usually a `Batch`) without applying it, so
the caller decides whether it goes on an undo stack or is applied directly.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from graph.document import ROOT, Document, Edge, Graph, GroupDef, Node
from graph.edits import (
    AddGroup,
    AddNode,
    Batch,
    Connect,
    Disconnect,
    Edit,
    EditError,
    RemoveGroup,
    RemoveNode,
)
from graph.kinds import GROUP, INPUT, OUTPUT, kind_of
from graph.problems import Problem


def new_node(
    doc: Document,
    scope: str,
    type_id: str,
    label: str | None = None,
    params: dict[str, Any] | None = None,
    position: tuple[float, float] = (0.0, 0.0),
    taken_ids: set[str] | None = None,
    taken_labels: set[str] | None = None,
) -> Node:
    return Node(
        id=doc.new_id(taken_ids),
        type=type_id,
        label=doc.unique_label(scope, label or type_id, taken_labels),
        params=dict(params or {}),
        position=(float(position[0]), float(position[1])),
    )


def place_node(doc: Document, scope: str, type_id: str, position: tuple[float, float]) -> AddNode:
    """A new node of a type as the editor drops it: its kind's default label and parameters, on the grid."""
    kind = kind_of(type_id)
    node = new_node(doc, scope, type_id, label=kind.default_label(scope), params=kind.default_params(scope),
                    position=(round(position[0] / 10) * 10, round(position[1] / 10) * 10))
    return AddNode(scope, node)


def add_node(doc: Document, scope: str, type_id: str, **kwargs: Any) -> AddNode:
    return AddNode(scope, new_node(doc, scope, type_id, **kwargs))


def remove_nodes(doc: Document, scope: str, node_ids: Iterable[str]) -> Batch:
    ids = list(dict.fromkeys(node_ids))
    return Batch([RemoveNode(scope, i) for i in ids], f"delete {len(ids)} node(s)")


def refusal(doc: Document, scope: str, node_id: str, message: str, hint: str = "") -> EditError:
    """A gesture refused because of one node: a problem record naming it (the Problems list selects it)."""
    node = doc.scope(scope).nodes.get(node_id)
    return EditError(Problem(message, scope=scope, node_id=node_id, label=node.label if node else None,
                             severity="warning", hint=hint))


def group_nodes(
    doc: Document, scope: str, node_ids: Iterable[str], name: str | None = None
) -> Batch:
    """Moves the selected nodes into a new group and leaves one Group node in their place.

    Every distinct value entering the selection becomes one of the group's
    Input nodes and every distinct value leaving it one of its Output nodes,
    so the network computes the same thing before and after.
    """
    g = doc.scope(scope)
    selected = [i for i in dict.fromkeys(node_ids) if i in g.nodes]
    if not selected:
        raise EditError("select at least one node to group")
    boundary = [i for i in selected if kind_of(g.nodes[i].type).is_boundary]
    if boundary and scope == ROOT:
        raise refusal(doc, scope, boundary[0], "not grouped: the model's Input and Output nodes cannot be moved "
                      "into a group", hint="select the layers between them")
    inside = set(selected)
    name = name or _unique_group_name(doc, "block")
    if name in doc.groups:
        raise EditError(f"a group named {name!r} already exists")

    body = Graph()
    for i in selected:
        body.nodes[i] = copy.deepcopy(g.nodes[i])
    body.edges = [e for e in g.edges if e.src in inside and e.dst in inside]
    incoming = [e for e in g.edges if e.src not in inside and e.dst in inside]
    outgoing = [e for e in g.edges if e.src in inside and e.dst not in inside]

    taken_ids = set(body.nodes)
    labels = {n.label for n in body.nodes.values()}
    ys = [n.position[1] for n in body.nodes.values()] or [0.0]
    xs = [n.position[0] for n in body.nodes.values()] or [0.0]
    instance = new_node(doc, scope, GROUP.type_id, label=name, params={"group": name},
                        position=(sum(xs) / len(xs), sum(ys) / len(ys)), taken_ids=taken_ids)
    taken_ids.add(instance.id)

    outer: list[Edge] = []
    for k, (src, port) in enumerate(dict.fromkeys((e.src, e.src_port) for e in incoming)):
        label = _unique(f"in_{k + 1}" if len(incoming) > 1 else "x", labels)
        inp = Node(doc.new_id(taken_ids), INPUT.type_id, label, {}, (min(xs) - 200, min(ys) + 80 * k))
        taken_ids.add(inp.id)
        body.nodes = {inp.id: inp, **body.nodes}
        for e in incoming:
            if (e.src, e.src_port) == (src, port):
                body.edges.append(Edge(inp.id, "out", e.dst, e.dst_port))
        outer.append(Edge(src, port, instance.id, label))
    for k, (src, port) in enumerate(dict.fromkeys((e.src, e.src_port) for e in outgoing)):
        label = _unique(f"out_{k + 1}" if len(set((e.src, e.src_port) for e in outgoing)) > 1 else "y", labels)
        out = Node(doc.new_id(taken_ids), OUTPUT.type_id, label, {}, (max(xs) + 200, min(ys) + 80 * k))
        taken_ids.add(out.id)
        body.nodes[out.id] = out
        body.edges.append(Edge(src, port, out.id, "x"))
        for e in outgoing:
            if (e.src, e.src_port) == (src, port):
                outer.append(Edge(instance.id, label, e.dst, e.dst_port))

    edits: list[Edit] = [RemoveNode(scope, i) for i in selected]
    edits.append(AddGroup(GroupDef(name, body)))
    edits.append(AddNode(scope, instance))
    edits += [Connect(scope, e) for e in outer]
    return Batch(edits, f"group into {name}")


def ungroup(doc: Document, scope: str, node_id: str) -> Batch:
    """Replaces a Group node by a copy of its body (the inverse gesture of grouping)."""
    g = doc.scope(scope)
    instance = g.nodes.get(node_id)
    if instance is None:
        raise EditError(f"node {node_id!r} does not exist")
    if kind_of(instance.type) is not GROUP:
        raise refusal(doc, scope, node_id, "not ungrouped: only a group node can be ungrouped")
    name = instance.params.get("group", "")
    if name not in doc.groups:
        raise refusal(doc, scope, node_id, f"not ungrouped: group {name!r} does not exist")
    if instance.params.get("repeat", 1) != 1:
        raise refusal(doc, scope, node_id, "not ungrouped: it repeats its group "
                      f"{instance.params.get('repeat')} times", hint="set repeat to 1 first")
    body = doc.groups[name].graph
    used_elsewhere = any(
        kind_of(n.type).subnetwork(n) == name and n.id != node_id
        for s in doc.scopes() for n in doc.scope(s).nodes.values()
    )
    # Copies need fresh ids when the body stays as a group; otherwise keep them.
    taken: set[str] = set()
    id_map: dict[str, str] = {}
    labels: set[str] = set()
    for n in body.nodes.values():
        if kind_of(n.type).is_boundary:
            continue
        if used_elsewhere:
            id_map[n.id] = doc.new_id(taken)
        else:
            id_map[n.id] = n.id
        taken.add(id_map[n.id])
    edits: list[Edit] = [RemoveNode(scope, node_id)]
    if not used_elsewhere:
        edits.append(RemoveGroup(name))
    inner_src: dict[str, list[tuple[str, str]]] = {}
    for e in body.edges:
        src = body.nodes[e.src]
        if kind_of(src.type) is INPUT:
            inner_src.setdefault(src.label, []).append((e.dst, e.dst_port))
    for n in body.nodes.values():
        if n.id in id_map:
            copy_ = copy.deepcopy(n)
            copy_.id = id_map[n.id]
            copy_.label = doc.unique_label(scope, n.label, labels)
            labels.add(copy_.label)
            edits.append(AddNode(scope, copy_))
    for e in body.edges:
        if e.src in id_map and e.dst in id_map:
            edits.append(Connect(scope, Edge(id_map[e.src], e.src_port, id_map[e.dst], e.dst_port)))
    for e in g.edges:
        if e.dst == node_id:
            for dst, dst_port in inner_src.get(e.dst_port, []):
                if dst in id_map:
                    edits.append(Connect(scope, Edge(e.src, e.src_port, id_map[dst], dst_port)))
    for e in g.edges:
        if e.src == node_id:
            out = body.node_by_label(e.src_port)
            for inner in body.edges_into(out.id) if out is not None else []:
                if inner.src in id_map:
                    edits.append(Connect(scope, Edge(id_map[inner.src], inner.src_port, e.dst, e.dst_port)))
                else:  # an Input wired straight to an Output: connect around it
                    src_label = body.nodes[inner.src].label
                    for o in g.edges_into(node_id, src_label):
                        edits.append(Connect(scope, Edge(o.src, o.src_port, e.dst, e.dst_port)))
    return Batch(edits, f"ungroup {name}")


def _unique(base: str, used: set[str]) -> str:
    name, k = base, 2
    while name in used:
        name, k = f"{base}_{k}", k + 1
    used.add(name)
    return name


def _unique_group_name(doc: Document, base: str) -> str:
    return _unique(base, set(doc.groups))


def disconnect_all(doc: Document, scope: str, edges: Iterable[Edge]) -> Batch:
    return Batch([Disconnect(scope, e) for e in edges], "disconnect")
