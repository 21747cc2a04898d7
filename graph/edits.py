"""Invertible edits: every change to a document returns the edit that undoes it.

The GUI's undo stack wraps these and headless scripts call them directly, so
there is one code path for changing a project. `apply(doc, edit)` performs an
edit, announces it on `doc.changed` and returns its inverse.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from graph.document import ROOT, Document, Edge, GroupDef, Node, copy_node
from graph.problems import ProblemError


class EditError(ProblemError, ValueError):
    """An edit that does not fit the document (missing node, duplicate id, ...).

    A gesture refused up front (grouping the model's Input, ungrouping a
    repeated group) carries `Problem`s naming the nodes, so the editor shows
    it like any other problem: the status bar, and the Problems list that
    selects the node.
    """


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _insert(d: dict, key: str, value: Any, index: int | None) -> dict:
    """`d` with `key` at position `index` (the end when None: then in place, O(1))."""
    if index is None or index >= len(d):
        d[key] = value
        return d
    items = list(d.items())
    items.insert(index, (key, value))
    return dict(items)


def _node(doc: Document, scope: str, node_id: str) -> Node:
    try:
        return doc.scope(scope).nodes[node_id]
    except KeyError:
        raise EditError(f"no node {node_id!r} in {'the model' if scope == ROOT else 'group ' + repr(scope)}") from None


class Edit:
    text = "edit"

    def apply(self, doc: Document) -> Edit:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class AddNode(Edit):
    scope: str
    node: Node
    index: int | None = None

    @property
    def text(self) -> str:
        return f"add {self.node.label}"

    def apply(self, doc: Document) -> Edit:
        if doc.has_node_id(self.node.id):
            raise EditError(f"node id {self.node.id!r} is already used")
        g = doc.scope(self.scope)
        g.nodes = _insert(g.nodes, self.node.id, copy_node(self.node), self.index)
        return RemoveNode(self.scope, self.node.id)


@dataclass
class RemoveNode(Edit):
    """Removes a node and every edge touching it."""

    scope: str
    node_id: str

    @property
    def text(self) -> str:
        return f"remove {self.node_id}"

    def apply(self, doc: Document) -> Edit:
        g = doc.scope(self.scope)
        node = _node(doc, self.scope, self.node_id)
        index = list(g.nodes).index(self.node_id)
        touching = [(i, e) for i, e in enumerate(g.edges) if self.node_id in (e.src, e.dst)]
        g.edges = [e for e in g.edges if self.node_id not in (e.src, e.dst)]
        del g.nodes[self.node_id]
        restore: list[Edit] = [AddNode(self.scope, node, index)]
        restore += [Connect(self.scope, e, i) for i, e in touching]
        return Batch(restore, f"add {node.label}")


@dataclass
class MoveNode(Edit):
    scope: str
    node_id: str
    position: tuple[float, float]
    text = "move"

    def apply(self, doc: Document) -> Edit:
        node = _node(doc, self.scope, self.node_id)
        old = node.position
        node.position = (float(self.position[0]), float(self.position[1]))
        return MoveNode(self.scope, self.node_id, old)


@dataclass
class SetParam(Edit):
    """Sets a parameter value; MISSING removes it (back to the type's default)."""

    scope: str
    node_id: str
    name: str
    value: Any

    @property
    def text(self) -> str:
        return f'parameter "{self.name}"'

    def apply(self, doc: Document) -> Edit:
        node = _node(doc, self.scope, self.node_id)
        old = node.params.get(self.name, MISSING)
        if self.value is MISSING:
            node.params.pop(self.name, None)
        else:
            node.params[self.name] = copy.deepcopy(self.value)
        return SetParam(self.scope, self.node_id, self.name, old)


@dataclass
class SetLabel(Edit):
    scope: str
    node_id: str
    label: str
    text = "rename"

    def apply(self, doc: Document) -> Edit:
        node = _node(doc, self.scope, self.node_id)
        old = node.label
        node.label = self.label
        return SetLabel(self.scope, self.node_id, old)


@dataclass
class Connect(Edit):
    scope: str
    edge: Edge
    index: int | None = None
    text = "connect"

    def apply(self, doc: Document) -> Edit:
        g = doc.scope(self.scope)
        for end in (self.edge.src, self.edge.dst):
            _node(doc, self.scope, end)
        if self.edge in g.edges:
            raise EditError(f"{self.edge} already exists")
        g.edges.insert(len(g.edges) if self.index is None else self.index, self.edge)
        return Disconnect(self.scope, self.edge)


@dataclass
class Disconnect(Edit):
    scope: str
    edge: Edge
    text = "disconnect"

    def apply(self, doc: Document) -> Edit:
        g = doc.scope(self.scope)
        try:
            index = g.edges.index(self.edge)
        except ValueError:
            raise EditError(f"no edge {self.edge}") from None
        del g.edges[index]
        return Connect(self.scope, self.edge, index)


@dataclass
class AddGroup(Edit):
    group: GroupDef
    index: int | None = None

    @property
    def text(self) -> str:
        return f"add group {self.group.name}"

    def apply(self, doc: Document) -> Edit:
        if not self.group.name or self.group.name in doc.groups:
            raise EditError(f"a group named {self.group.name!r} already exists")
        clash = set(n for n in self.group.graph.nodes) & doc.all_node_ids()
        if clash:
            raise EditError(f"node ids {sorted(clash)} are already used")
        doc.groups = _insert(doc.groups, self.group.name, copy.deepcopy(self.group), self.index)
        return RemoveGroup(self.group.name)


@dataclass
class RemoveGroup(Edit):
    name: str

    @property
    def text(self) -> str:
        return f"remove group {self.name}"

    def apply(self, doc: Document) -> Edit:
        if self.name not in doc.groups:
            raise EditError(f"no group named {self.name!r}")
        index = list(doc.groups).index(self.name)
        group = doc.groups.pop(self.name)
        return AddGroup(group, index)


@dataclass
class SetCode(Edit):
    """Adds, replaces or (with MISSING) removes a custom code entry."""

    name: str
    source: Any
    text = "edit code"

    def apply(self, doc: Document) -> Edit:
        old = doc.code.get(self.name, MISSING)
        index = list(doc.code).index(self.name) if self.name in doc.code else None
        if self.source is MISSING:
            doc.code.pop(self.name, None)
            if old is not MISSING:
                return _RestoreCode(self.name, old, index)
        else:
            doc.code[self.name] = self.source
        return SetCode(self.name, old)


@dataclass
class _RestoreCode(Edit):
    name: str
    source: str
    index: int | None
    text = "edit code"

    def apply(self, doc: Document) -> Edit:
        doc.code = _insert(doc.code, self.name, self.source, self.index)
        return SetCode(self.name, MISSING)


@dataclass
class SetRecipe(Edit):
    recipe: dict[str, Any]
    text = "training settings"

    def apply(self, doc: Document) -> Edit:
        old = doc.recipe
        doc.recipe = copy.deepcopy(self.recipe)
        return SetRecipe(old)


@dataclass
class Batch(Edit):
    """Several edits as one step (one undo entry)."""

    edits: list[Edit] = field(default_factory=list)
    text: str = "edit"  # type: ignore[assignment]

    def apply(self, doc: Document) -> Edit:
        inverses: list[Edit] = []
        try:
            for edit in self.edits:
                inverses.append(edit.apply(doc))
        except Exception:
            for inverse in reversed(inverses):  # leave the document as it was
                inverse.apply(doc)
            raise
        return Batch(list(reversed(inverses)), self.text)


def apply(doc: Document, edit: Edit) -> Edit:
    """Performs `edit`, tells listeners, and returns the edit that undoes it."""
    inverse = edit.apply(doc)
    doc.changed.emit(edit)
    return inverse
