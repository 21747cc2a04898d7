"""Structural validation: pure functions that return problems, never raise.

Each node's own checks come from its kind (`graph.kinds`); this module adds
what spans nodes: labels, ports and edges, cycles, groups inside groups.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx

from graph.document import ROOT, Document, Edge, Graph, Node
from graph.kinds import inputs_of, kind_of, outputs_of
from graph.params import check_value
from graph.ports import find_port, input_ports, node_kind, output_ports
from graph.problems import Problem
from graph.registry import Registry
from graph.ties import tie_problems


def scope_digraph(g: Graph) -> nx.MultiDiGraph:
    dg = nx.MultiDiGraph()
    dg.add_nodes_from(g.nodes)
    dg.add_edges_from((e.src, e.dst) for e in g.edges if e.src in g.nodes and e.dst in g.nodes)
    return dg


def topological_order(g: Graph) -> list[str]:
    """Node ids in an order where every node comes after its inputs (stable by document order).

    Kahn's algorithm with a heap keyed by document position: the same order as
    networkx's lexicographical_topological_sort, in O((n + e) log n) — the
    compiler runs it for every scope on every edit, and networkx's version grew
    ~90× for 8× the nodes on a 2,000-node chain. Raises NetworkXUnfeasible on a cycle.
    """
    position = {nid: k for k, nid in enumerate(g.nodes)}
    indegree = dict.fromkeys(g.nodes, 0)
    successors: dict[str, list[str]] = {nid: [] for nid in g.nodes}
    for e in g.edges:
        if e.src in indegree and e.dst in indegree:
            successors[e.src].append(e.dst)
            indegree[e.dst] += 1
    ready = [(position[nid], nid) for nid, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, nid = heapq.heappop(ready)
        order.append(nid)
        for nxt in successors[nid]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (position[nxt], nxt))
    if len(order) != len(indegree):
        raise nx.NetworkXUnfeasible("the graph has a cycle")
    return order


def would_create_cycle(g: Graph, src: str, dst: str) -> bool:
    return src == dst or (src in g.nodes and dst in g.nodes and nx.has_path(scope_digraph(g), dst, src))


def same_side(direction: str) -> Problem:
    """A drag that ended on a port of the side it started from ("out" or "in")."""
    return Problem(f"cannot connect: connect an output (right side) to an input (left side), "
                   f"not {'two outputs' if direction == 'out' else 'two inputs'}")


def label_taken(doc: Document, scope: str, node_id: str, label: str) -> Problem | None:
    """Why node `node_id` may not be called `label` (another node in its scope is), or None."""
    if any(n.label == label for n in doc.scope(scope).nodes.values() if n.id != node_id):
        return Problem(f"not renamed: another node here is already called {label!r}", scope, node_id,
                       label=doc.scope(scope).nodes[node_id].label)
    return None


def can_connect(doc: Document, scope: str, edge: Edge, registry: Registry) -> Problem | None:
    """Why `edge` may not be added, or None if it may."""
    g = doc.scope(scope)
    src, dst = g.nodes.get(edge.src), g.nodes.get(edge.dst)
    if src is None or dst is None:
        return Problem("connects a node that does not exist", scope, edge.dst if src else edge.src)
    out = find_port(output_ports(doc, src, registry), edge.src_port)
    if out is None:
        return Problem(f"{src.label} has no output {edge.src_port!r}", scope, src.id, edge.src_port, label=src.label)
    inp = find_port(input_ports(doc, dst, registry), edge.dst_port)
    if inp is None:
        return Problem(f"{dst.label} has no input {edge.dst_port!r}", scope, dst.id, edge.dst_port, label=dst.label)
    if edge in g.edges:
        return Problem("these ports are already connected", scope, dst.id, edge.dst_port, label=dst.label)
    if not inp.multi and g.edges_into(dst.id, edge.dst_port):
        return Problem(f"input {edge.dst_port!r} of {dst.label} takes one connection and already has one",
                     scope, dst.id, edge.dst_port, label=dst.label)
    if "any" not in (out.dtype, inp.dtype) and out.dtype != inp.dtype:
        return Problem(f"{src.label}.{edge.src_port} gives {out.dtype} values but {dst.label}.{edge.dst_port} "
                     f"needs {inp.dtype}", scope, dst.id, edge.dst_port, label=dst.label)
    if would_create_cycle(g, src.id, dst.id):
        return Problem(f"connecting {src.label} to {dst.label} would create a cycle", scope, dst.id,
                     edge.dst_port, label=dst.label)
    return None


@dataclass
class ScopeChecks:
    """One scope's problems in the order `validate` lists them: labels, then node by node, then edges and cycles.

    Only nodes with problems are kept (in `nodes`), so listing them costs what
    they are, not the scope's size; `position` (document order) orders them
    and `incoming` (connections per input) lets one node be checked again
    without reading every edge.
    """

    head: list[Problem] = field(default_factory=list)
    nodes: dict[str, list[Problem]] = field(default_factory=dict)
    tail: list[Problem] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    incoming: Counter[tuple[str, str]] = field(default_factory=Counter)

    def flat(self) -> list[Problem]:
        ordered = sorted(self.nodes, key=lambda nid: self.position.get(nid, -1))
        return [*self.head, *(p for nid in ordered for p in self.nodes[nid]), *self.tail]


@dataclass
class Validation:
    """`validate`'s problems kept by scope and node, so one node's can be checked again alone (`recheck_node`)."""

    scopes: dict[str, ScopeChecks] = field(default_factory=dict)
    tail: list[Problem] = field(default_factory=list)
    #: Nodes whose own checks ran to make this (counted: a local edit re-checks one).
    checked: int = 0

    def problems(self) -> list[Problem]:
        return [*(p for checks in self.scopes.values() for p in checks.flat()), *self.tail]


def node_problems(doc: Document, scope: str, n: Node, registry: Registry,
                  incoming: Counter[tuple[str, str]]) -> list[Problem]:
    """What is wrong with one node on its own: its label, type, parameters, ties and inputs' connection counts."""
    problems: list[Problem] = []
    if not n.label.strip():
        problems.append(Problem("label is empty", scope, n.id))
    kind = node_kind(n, registry)
    if kind is None:
        problems.append(Problem(f"unknown node type {n.type!r}", scope, n.id, label=n.label))
        return problems
    problems += kind.check(doc, scope, n)
    problems += tie_problems(doc, scope, n)
    for p in kind.spec.params:
        if p.name in n.params:
            message = check_value(p, n.params[p.name])
            if message:
                problems.append(Problem(message, scope, n.id, param=p.name, label=n.label))
    for port in input_ports(doc, n, registry):
        count = incoming.get((n.id, port.name), 0)
        if count == 0 and port.required:
            problems.append(Problem(f"input {port.name!r} is not connected", scope, n.id, port.name,
                                    label=n.label))
        elif count > 1 and not port.multi:
            problems.append(Problem(f"input {port.name!r} takes one connection but has {count}", scope, n.id,
                                    port.name, label=n.label))
    return problems


def _check_scope(doc: Document, scope: str, registry: Registry) -> ScopeChecks:
    g = doc.scope(scope)
    checks = ScopeChecks()
    problems = checks.head
    for label, count in Counter(n.label for n in g.nodes.values()).items():
        if count > 1:
            for n in g.nodes.values():
                if n.label == label:
                    problems.append(Problem(f"label {label!r} is used by {count} nodes; labels name the layers "
                                        "in generated code and must be unique", scope, n.id, label=n.label))
    checks.incoming = incoming = Counter((e.dst, e.dst_port) for e in g.edges)
    checks.position = {nid: k for k, nid in enumerate(g.nodes)}
    for n in g.nodes.values():
        if found := node_problems(doc, scope, n, registry, incoming):
            checks.nodes[n.id] = found
    problems = checks.tail
    for e in g.edges:
        src, dst = g.nodes.get(e.src), g.nodes.get(e.dst)
        if src is None or dst is None:
            missing = e.src if src is None else e.dst
            problems.append(Problem(f"an edge refers to node {missing!r}, which does not exist", scope,
                                e.dst if dst else e.src))
            continue
        if src.type in registry and find_port(output_ports(doc, src, registry), e.src_port) is None:
            problems.append(Problem(f"has no output {e.src_port!r}", scope, src.id, e.src_port, label=src.label))
        if dst.type in registry and find_port(input_ports(doc, dst, registry), e.dst_port) is None:
            problems.append(Problem(f"has no input {e.dst_port!r}", scope, dst.id, e.dst_port, label=dst.label))
    dg = scope_digraph(g)
    cycles = [] if nx.is_directed_acyclic_graph(dg) else list(nx.simple_cycles(nx.DiGraph(dg)))
    for cycle in cycles[:5]:
        names = " → ".join(g.nodes[i].label for i in [*cycle, cycle[0]])
        problems.append(Problem(f"the graph has a cycle: {names}", scope, cycle[0], label=g.nodes[cycle[0]].label))
    if scope == ROOT and g.nodes:
        if not inputs_of(g):
            problems.append(Problem("the model has no Input node", scope))
        if not outputs_of(g):
            problems.append(Problem("the model has no Output node", scope))
    return checks


def group_dependencies(doc: Document) -> nx.DiGraph:
    """Which scope uses which group; a cycle here means a group contains itself."""
    dg = nx.DiGraph()
    for scope in doc.scopes():
        dg.add_node(scope)
        for n in doc.scope(scope).nodes.values():
            group = kind_of(n.type).subnetwork(n)
            if group is not None:
                dg.add_edge(scope, group)
    return dg


def validate(doc: Document, registry: Registry) -> list[Problem]:
    """Every structural problem in the document, model first, then each group."""
    return validation(doc, registry).problems()


def validation(doc: Document, registry: Registry) -> Validation:
    """`validate`, kept by scope and node."""
    result = Validation()
    for scope in doc.scopes():
        result.scopes[scope] = _check_scope(doc, scope, registry)
        result.checked += len(doc.scope(scope).nodes)
    problems = result.tail
    deps = group_dependencies(doc)
    for cycle in nx.simple_cycles(deps):
        names = " → ".join(repr(name) for name in [*cycle, cycle[0]])
        problems.append(Problem(f"groups contain each other: {names}", cycle[0] if cycle[0] in doc.groups else ROOT))
    for name, group in doc.groups.items():
        if not inputs_of(group.graph) or not outputs_of(group.graph):
            problems.append(Problem("a group needs at least one Input and one Output node", name))
    return result


def recheck_node(previous: Validation, doc: Document, scope: str, node_id: str, registry: Registry) -> Validation:
    """`previous` with one node's own checks made again: what a parameter edit can change (nothing else moved)."""
    checks = previous.scopes[scope]
    nodes = dict(checks.nodes)
    nodes.pop(node_id, None)
    if found := node_problems(doc, scope, doc.scope(scope).nodes[node_id], registry, checks.incoming):
        nodes[node_id] = found
    scopes = {**previous.scopes, scope: ScopeChecks(checks.head, nodes, checks.tail, checks.position, checks.incoming)}
    return Validation(scopes, previous.tail, checked=1)
