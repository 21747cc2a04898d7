"""The project document: nodes, edges, groups, code, recipe, UI state.

Plain mutable dataclasses; every change that should be undoable goes through
`graph.edits`, which is the one code path shared by the GUI's undo stack and
headless scripts.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from graph.events import Event
from graph.indexes import EdgeList, label_changed, labels_in

ROOT = ""  # the scope name of the top-level graph


@dataclass
class Node:
    id: str
    type: str
    label: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "label" and "label" in self.__dict__:
            label_changed()  # renames invalidate the label look-ups (graph.indexes)
        super().__setattr__(name, value)


@dataclass(frozen=True)
class Edge:
    src: str
    src_port: str
    dst: str
    dst_port: str


@dataclass
class Graph:
    """One level of the network: the model itself or a group's body."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=EdgeList)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "edges" and not isinstance(value, EdgeList):
            value = EdgeList(value)  # every way of replacing the list keeps the O(1) membership test
        super().__setattr__(name, value)

    def node_by_label(self, label: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.label == label), None)

    def edges_into(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.dst == node_id and (port is None or e.dst_port == port)]

    def edges_out_of(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.src == node_id and (port is None or e.src_port == port)]

    def nodes_of_type(self, type_id: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == type_id]


@dataclass
class GroupDef:
    """A named, reusable sub-network; its Input/Output nodes are its ports."""

    name: str
    graph: Graph = field(default_factory=Graph)
    description: str = ""


@dataclass
class Document:
    name: str = "untitled"
    description: str = ""
    graph: Graph = field(default_factory=Graph)
    groups: dict[str, GroupDef] = field(default_factory=dict)
    #: Custom code entries by name: Python source text defining a layer or hook.
    code: dict[str, str] = field(default_factory=dict)
    #: The training recipe; opaque to the graph layer.
    recipe: dict[str, Any] = field(default_factory=dict)
    #: Editor state that is safe to lose (view, dock layout, ...).
    ui: dict[str, Any] = field(default_factory=dict)
    changed: Event = field(default_factory=Event, compare=False, repr=False)
    #: Where `new_id` starts looking (not saved; found again by one scan after loading).
    _next_number: int | None = field(default=None, init=False, compare=False, repr=False)

    def scope(self, name: str = ROOT) -> Graph:
        """The graph of the top level (`ROOT`) or of the named group."""
        if name == ROOT:
            return self.graph
        try:
            return self.groups[name].graph
        except KeyError:
            raise KeyError(f"no group named {name!r}") from None

    def scopes(self) -> list[str]:
        return [ROOT, *self.groups]

    def all_node_ids(self) -> set[str]:
        ids = set(self.graph.nodes)
        for g in self.groups.values():
            ids |= set(g.graph.nodes)
        return ids

    def has_node_id(self, node_id: str) -> bool:
        """Whether any scope holds `node_id` (a look-up per scope, not a set of every id)."""
        return node_id in self.graph.nodes or any(node_id in g.graph.nodes for g in self.groups.values())

    def new_id(self, taken: set[str] | None = None) -> str:
        """A node id unused anywhere in the document (ids are global): ``n`` + one more than the highest.

        The highest number is found by one scan and then remembered, so adding
        node after node costs O(1) each instead of a scan of every id.
        """
        if self._next_number is None:
            numbers = [int(m.group(1)) for i in self.all_node_ids() if (m := _NUMBERED.fullmatch(i))]
            self._next_number = max(numbers, default=0) + 1
        n = self._next_number
        while self.has_node_id(f"n{n}") or (taken and f"n{n}" in taken):
            n += 1
        self._next_number = n  # the caller may not use it (a refused gesture): hand it out again then
        return f"n{n}"

    def unique_label(self, scope: str, base: str, taken: set[str] | None = None) -> str:
        """`base` made unique within a scope: conv, conv_2, conv_3, ..."""
        base = make_identifier(base)
        used = labels_in(self.scope(scope))
        taken = taken or set()
        if base not in used and base not in taken:
            return base
        stem = re.sub(r"_\d+$", "", base)
        k = 2
        while f"{stem}_{k}" in used or f"{stem}_{k}" in taken:
            k += 1
        return f"{stem}_{k}"

    def copy(self) -> Document:
        # The listeners stay with the original: a window's document has Qt objects listening, which cannot be copied.
        return copy.deepcopy(self, {id(self.changed): Event()})

    def snapshot(self) -> Document:
        """A copy another thread may read while this one goes on editing, about 10× cheaper than `copy`.

        Graphs, nodes and parameter dicts are new; parameter values are shared,
        which is safe because edits replace a value and never change one in
        place (`graph.edits`). The recipe, small, is copied deeply.
        """
        def graph(g: Graph) -> Graph:
            nodes = {nid: Node(n.id, n.type, n.label, dict(n.params), n.position) for nid, n in g.nodes.items()}
            return Graph(nodes, EdgeList(g.edges))

        return Document(self.name, self.description, graph(self.graph),
                        {k: GroupDef(d.name, graph(d.graph), d.description) for k, d in self.groups.items()},
                        dict(self.code), copy.deepcopy(self.recipe), {})


_NUMBERED = re.compile(r"n(\d+)")
#: Parameter values that need no copying (immutable).
_ATOMS = frozenset({str, int, float, bool, type(None)})


def copy_node(node: Node) -> Node:
    """A node that shares nothing mutable with `node` (what an edit puts into the document).

    The same as ``copy.deepcopy(node)``, but a node whose parameters are plain
    numbers, strings and flags — nearly every node — is copied without
    deepcopy's generic walk, which was half the cost of adding a node. Every
    field is copied by name, so a field added to `Node` later is kept.
    """
    values = vars(node)
    copied = {name: value if type(value) in _ATOMS else copy.deepcopy(value) for name, value in values.items()
              if name not in ("params", "position")}
    params = node.params
    params = dict(params) if all(type(v) in _ATOMS for v in params.values()) else copy.deepcopy(params)
    position = node.position if type(node.position) is tuple else copy.deepcopy(node.position)
    return type(node)(**copied, params=params, position=position)


def make_identifier(text: str) -> str:
    """A Python identifier that reads like `text` (labels become attribute names)."""
    ident = re.sub(r"\W+", "_", text.strip()).strip("_").lower() or "node"
    if ident[0].isdigit():
        ident = f"n_{ident}"
    return ident
