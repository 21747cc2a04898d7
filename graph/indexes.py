"""Constant-time look-ups over a graph's lists: is this edge there, is this label taken.

The document keeps plain lists and dicts (order matters and code everywhere
reads them directly); these indexes follow them so that building a project
node by node costs O(1) per node instead of a scan of every node or edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, SupportsIndex

if TYPE_CHECKING:
    from graph.document import Edge, Graph


class EdgeList(list):
    """The edge list of a graph, in document order, that also answers `edge in edges` in O(1).

    Order matters (a multi-input port takes its edges in document order), so
    the edges stay a list; a count per edge, kept up to date by every list
    method that adds or removes items, makes the membership test the editor
    does on each connection constant-time instead of a scan of every edge.
    """

    def __init__(self, items: Iterable[Edge] = ()) -> None:
        super().__init__(items)
        self._count: dict[Edge, int] = {}
        for edge in self:
            self._count[edge] = self._count.get(edge, 0) + 1

    def _add(self, edges: Iterable[Edge]) -> None:
        for edge in edges:
            self._count[edge] = self._count.get(edge, 0) + 1

    def _drop(self, edges: Iterable[Edge]) -> None:
        for edge in edges:
            left = self._count.get(edge, 0) - 1
            if left > 0:
                self._count[edge] = left
            else:
                self._count.pop(edge, None)

    def __contains__(self, edge: object) -> bool:
        try:
            return edge in self._count
        except TypeError:  # unhashable: cannot be an edge of this list
            return False

    def append(self, edge: Edge) -> None:
        super().append(edge)
        self._add((edge,))

    def insert(self, index: SupportsIndex, edge: Edge) -> None:
        super().insert(index, edge)
        self._add((edge,))

    def extend(self, edges: Iterable[Edge]) -> None:
        edges = list(edges)
        super().extend(edges)
        self._add(edges)

    def __iadd__(self, edges: Iterable[Edge]) -> EdgeList:  # type: ignore[override,misc]
        self.extend(edges)
        return self

    def remove(self, edge: Edge) -> None:
        super().remove(edge)
        self._drop((edge,))

    def pop(self, index: SupportsIndex = -1) -> Edge:
        edge = super().pop(index)
        self._drop((edge,))
        return edge

    def clear(self) -> None:
        super().clear()
        self._count.clear()

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        gone = self[index] if isinstance(index, slice) else [self[index]]
        super().__delitem__(index)
        self._drop(gone)

    def __setitem__(self, index: SupportsIndex | slice, value: Any) -> None:
        gone = self[index] if isinstance(index, slice) else [self[index]]
        new = list(value) if isinstance(index, slice) else [value]
        super().__setitem__(index, new if isinstance(index, slice) else value)
        self._drop(gone)
        self._add(new)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple:
        return (EdgeList, (list(self),))

    def copy(self) -> EdgeList:
        return EdgeList(self)




_renames = 0  # bumped by every change of an existing node's label


def label_changed() -> None:
    global _renames
    _renames += 1


def labels_in(graph: Graph) -> set[str]:
    """The labels used in `graph`, updated incrementally while nodes are only appended.

    The set is rebuilt when anything else happened: a node removed (the
    dict shrank or its last keys moved), the dict replaced, a label changed.
    """
    nodes = graph.nodes
    cached = graph.__dict__.get("_labels")
    if cached is not None:
        owner, size, last, renames, labels = cached
        if owner is nodes and renames == _renames and len(nodes) >= size and _key_at(nodes, size - 1) == last:
            if len(nodes) > size:
                labels.update(n.label for n in _tail(nodes, len(nodes) - size))
                graph.__dict__["_labels"] = (nodes, len(nodes), _key_at(nodes, len(nodes) - 1), renames, labels)
            return labels
    labels = {n.label for n in nodes.values()}
    graph.__dict__["_labels"] = (nodes, len(nodes), _key_at(nodes, len(nodes) - 1), _renames, labels)
    return labels


def _key_at(nodes: dict[str, Any], index: int) -> str | None:
    """The key at `index` counted from the start, walking from the end (cheap near the end)."""
    if index < 0 or index >= len(nodes):
        return None
    for k, key in enumerate(reversed(nodes)):
        if k == len(nodes) - 1 - index:
            return key
    return None


def _tail(nodes: dict[str, Any], count: int) -> list[Any]:
    out = []
    for key in reversed(nodes):
        if len(out) == count:
            break
        out.append(nodes[key])
    return out
