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

ROOT = ""  # the scope name of the top-level graph


@dataclass
class Node:
    id: str
    type: str
    label: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)


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
    edges: list[Edge] = field(default_factory=list)

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

    def new_id(self, taken: set[str] | None = None) -> str:
        """A node id unused anywhere in the document (ids are global)."""
        used = self.all_node_ids() | (taken or set())
        numbers = [int(m.group(1)) for i in used if (m := re.fullmatch(r"n(\d+)", i))]
        n = max(numbers, default=0) + 1
        while f"n{n}" in used:
            n += 1
        return f"n{n}"

    def unique_label(self, scope: str, base: str, taken: set[str] | None = None) -> str:
        """`base` made unique within a scope: conv, conv_2, conv_3, ..."""
        base = make_identifier(base)
        used = {n.label for n in self.scope(scope).nodes.values()} | (taken or set())
        if base not in used:
            return base
        stem = re.sub(r"_\d+$", "", base)
        k = 2
        while f"{stem}_{k}" in used:
            k += 1
        return f"{stem}_{k}"

    def copy(self) -> Document:
        clone = copy.deepcopy(self)
        clone.changed = Event()
        return clone


def make_identifier(text: str) -> str:
    """A Python identifier that reads like `text` (labels become attribute names)."""
    ident = re.sub(r"\W+", "_", text.strip()).strip("_").lower() or "node"
    if ident[0].isdigit():
        ident = f"n_{ident}"
    return ident
