"""Structural validation: pure functions that return issues, never raise.

The GUI only displays what these return; `torchcanvas check` prints them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import networkx as nx

from graph.codeinfo import CodeEntryError, read_code
from graph.document import ROOT, Document, Edge, Graph
from graph.params import check_value
from graph.ports import find_port, input_ports, output_ports
from graph.registry import Registry

#: Parameters every node may carry besides its type's own.
UNIVERSAL_PARAMS = frozenset({"frozen"})


@dataclass(frozen=True)
class Issue:
    """A problem with the document, pointing at where it is."""

    message: str
    scope: str = ROOT
    node_id: str | None = None
    port: str | None = None
    param: str | None = None
    severity: str = "error"  # or "warning"
    label: str | None = None

    def where(self) -> str:
        parts = []
        if self.scope != ROOT:
            parts.append(f"group {self.scope}")
        if self.node_id is not None:
            parts.append(f"node {self.label or self.node_id!s}")
        if self.param:
            parts.append(f"parameter {self.param}")
        if self.port:
            parts.append(f"port {self.port}")
        return ", ".join(parts) or "project"

    def __str__(self) -> str:
        return f"{self.severity}: {self.where()}: {self.message}"


def scope_digraph(g: Graph) -> nx.MultiDiGraph:
    dg = nx.MultiDiGraph()
    dg.add_nodes_from(g.nodes)
    dg.add_edges_from((e.src, e.dst) for e in g.edges if e.src in g.nodes and e.dst in g.nodes)
    return dg


def topological_order(g: Graph) -> list[str]:
    """Node ids in an order where every node comes after its inputs (stable by document order)."""
    order = {nid: k for k, nid in enumerate(g.nodes)}
    return list(nx.lexicographical_topological_sort(scope_digraph(g), key=order.__getitem__))


def would_create_cycle(g: Graph, src: str, dst: str) -> bool:
    return src == dst or (src in g.nodes and dst in g.nodes and nx.has_path(scope_digraph(g), dst, src))


def can_connect(doc: Document, scope: str, edge: Edge, registry: Registry) -> Issue | None:
    """Why `edge` may not be added, or None if it may."""
    g = doc.scope(scope)
    src, dst = g.nodes.get(edge.src), g.nodes.get(edge.dst)
    if src is None or dst is None:
        return Issue("connects a node that does not exist", scope, edge.dst if src else edge.src)
    out = find_port(output_ports(doc, src, registry), edge.src_port)
    if out is None:
        return Issue(f"{src.label} has no output {edge.src_port!r}", scope, src.id, edge.src_port, label=src.label)
    inp = find_port(input_ports(doc, dst, registry), edge.dst_port)
    if inp is None:
        return Issue(f"{dst.label} has no input {edge.dst_port!r}", scope, dst.id, edge.dst_port, label=dst.label)
    if edge in g.edges:
        return Issue("these ports are already connected", scope, dst.id, edge.dst_port, label=dst.label)
    if not inp.multi and g.edges_into(dst.id, edge.dst_port):
        return Issue(f"input {edge.dst_port!r} of {dst.label} takes one connection and already has one",
                     scope, dst.id, edge.dst_port, label=dst.label)
    if "any" not in (out.dtype, inp.dtype) and out.dtype != inp.dtype:
        return Issue(f"{src.label}.{edge.src_port} gives {out.dtype} values but {dst.label}.{edge.dst_port} "
                     f"needs {inp.dtype}", scope, dst.id, edge.dst_port, label=dst.label)
    if would_create_cycle(g, src.id, dst.id):
        return Issue(f"connecting {src.label} to {dst.label} would create a cycle", scope, dst.id,
                     edge.dst_port, label=dst.label)
    return None


def _check_scope(doc: Document, scope: str, registry: Registry) -> list[Issue]:
    g = doc.scope(scope)
    issues: list[Issue] = []
    for label, count in Counter(n.label for n in g.nodes.values()).items():
        if count > 1:
            for n in g.nodes.values():
                if n.label == label:
                    issues.append(Issue(f"label {label!r} is used by {count} nodes; labels name the layers "
                                        "in generated code and must be unique", scope, n.id, label=n.label))
    incoming = Counter((e.dst, e.dst_port) for e in g.edges)
    for n in g.nodes.values():
        if not n.label.strip():
            issues.append(Issue("label is empty", scope, n.id))
        spec = registry.get(n.type)
        if spec is None:
            issues.append(Issue(f"unknown node type {n.type!r}", scope, n.id, label=n.label))
            continue
        if n.type == "Code":
            issues += _check_code_node(doc, scope, n)
        elif n.type in ("Group", "Ensemble"):
            issues += _check_group_node(doc, scope, n)
        else:
            for name in n.params:
                if spec.param(name) is None and name not in UNIVERSAL_PARAMS:
                    issues.append(Issue(f"{n.type} has no parameter {name!r}", scope, n.id, param=name,
                                        label=n.label))
        for p in spec.params:
            if p.name in n.params:
                message = check_value(p, n.params[p.name])
                if message:
                    issues.append(Issue(message, scope, n.id, param=p.name, label=n.label))
        ins = input_ports(doc, n, registry)
        for port in ins:
            count = incoming.get((n.id, port.name), 0)
            if count == 0 and port.required:
                issues.append(Issue(f"input {port.name!r} is not connected", scope, n.id, port.name,
                                    label=n.label))
            elif count > 1 and not port.multi:
                issues.append(Issue(f"input {port.name!r} takes one connection but has {count}", scope, n.id,
                                    port.name, label=n.label))
    for e in g.edges:
        src, dst = g.nodes.get(e.src), g.nodes.get(e.dst)
        if src is None or dst is None:
            missing = e.src if src is None else e.dst
            issues.append(Issue(f"an edge refers to node {missing!r}, which does not exist", scope,
                                e.dst if dst else e.src))
            continue
        if src.type in registry and find_port(output_ports(doc, src, registry), e.src_port) is None:
            issues.append(Issue(f"has no output {e.src_port!r}", scope, src.id, e.src_port, label=src.label))
        if dst.type in registry and find_port(input_ports(doc, dst, registry), e.dst_port) is None:
            issues.append(Issue(f"has no input {e.dst_port!r}", scope, dst.id, e.dst_port, label=dst.label))
    dg = scope_digraph(g)
    for cycle in list(nx.simple_cycles(nx.DiGraph(dg)))[:5]:
        names = " → ".join(g.nodes[i].label for i in [*cycle, cycle[0]])
        issues.append(Issue(f"the graph has a cycle: {names}", scope, cycle[0], label=g.nodes[cycle[0]].label))
    if scope == ROOT and g.nodes:
        if not g.nodes_of_type("Input"):
            issues.append(Issue("the model has no Input node", scope))
        if not g.nodes_of_type("Output"):
            issues.append(Issue("the model has no Output node", scope))
    return issues


def _check_code_node(doc: Document, scope: str, n) -> list[Issue]:
    entry = n.params.get("code", "")
    if entry not in doc.code:
        return [Issue(f"code entry {entry!r} does not exist", scope, n.id, param="code", label=n.label)]
    try:
        read_code(doc.code[entry])
    except CodeEntryError as exc:
        return [Issue(f"code {entry!r}, {exc}", scope, n.id, param="code", label=n.label)]
    return []


def _check_group_node(doc: Document, scope: str, n) -> list[Issue]:
    name = n.params.get("group", "")
    if name not in doc.groups:
        return [Issue(f"group {name!r} does not exist", scope, n.id, param="group", label=n.label)]
    body = doc.groups[name].graph
    if n.type == "Ensemble" and (len(body.nodes_of_type("Input")) != 1 or len(body.nodes_of_type("Output")) != 1):
        return [Issue("an ensemble's group needs exactly one Input and one Output", scope, n.id, param="group",
                      label=n.label)]
    repeat = n.params.get("repeat", 1)
    if isinstance(repeat, int) and repeat > 1 and (
        len(body.nodes_of_type("Input")) != 1 or len(body.nodes_of_type("Output")) != 1
    ):
        return [Issue(f"repeat {repeat} needs the group to have exactly one Input and one Output", scope, n.id,
                      param="repeat", label=n.label)]
    return []


def group_dependencies(doc: Document) -> nx.DiGraph:
    """Which scope uses which group; a cycle here means a group contains itself."""
    dg = nx.DiGraph()
    for scope in doc.scopes():
        dg.add_node(scope)
        for n in doc.scope(scope).nodes.values():
            if n.type in ("Group", "Ensemble"):
                dg.add_edge(scope, n.params.get("group", ""))
    return dg


def validate(doc: Document, registry: Registry) -> list[Issue]:
    """Every structural problem in the document, model first, then each group."""
    issues: list[Issue] = []
    for scope in doc.scopes():
        issues += _check_scope(doc, scope, registry)
    deps = group_dependencies(doc)
    for cycle in nx.simple_cycles(deps):
        names = " → ".join([*cycle, cycle[0]])
        issues.append(Issue(f"groups contain each other: {names}", cycle[0] if cycle[0] in doc.groups else ROOT))
    for name, group in doc.groups.items():
        if not group.graph.nodes_of_type("Input") or not group.graph.nodes_of_type("Output"):
            issues.append(Issue("a group needs at least one Input and one Output node", name))
    return issues
