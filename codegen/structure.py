"""What a scope's nodes and edges decide for shape inference, worked out once per structure.

The order nodes run in, each node's incoming edges and successors, and which
nodes tie parameters do not change when a parameter changes: a parameter
edit's inference (`codegen.shapes.reinfer_shapes`) takes them from the run
before instead of scanning the whole graph again, and stops following an
edit where a node's outputs come out as they were (`same_values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from graph.document import Edge, Graph
from graph.ties import Tie, ties_of
from graph.validate import topological_order


@dataclass(frozen=True)
class Structure:
    scope: str
    order: list[str]
    #: Each node's place in `order`.
    position: dict[str, int]
    incoming: dict[str, list[Edge]]
    #: The nodes reading each node's outputs (each once).
    after: dict[str, list[str]]
    #: The nodes with well-formed ties, and their ties.
    ties: dict[str, list[Tie]]
    edge_count: int

    @classmethod
    def of(cls, scope: str, g: Graph) -> Structure:
        """Raises NetworkXUnfeasible on a cycle (validation reports it)."""
        order = topological_order(g)
        incoming: dict[str, list[Edge]] = {}
        after: dict[str, list[str]] = {nid: [] for nid in g.nodes}
        for e in g.edges:
            incoming.setdefault(e.dst, []).append(e)
            if e.src in after and e.dst in g.nodes and e.dst not in after[e.src]:
                after[e.src].append(e.dst)
        ties = {nid: found for nid, node in g.nodes.items() if (found := ties_of(scope, node))}
        return cls(scope, order, {nid: k for k, nid in enumerate(order)}, incoming, after, ties, len(g.edges))

    def fits(self, g: Graph) -> bool:
        """A cheap guard: the same number of nodes and edges (a parameter edit changes neither)."""
        return len(self.order) == len(g.nodes) and self.edge_count == len(g.edges)


def same_values(a: Any, b: Any) -> bool:
    """Whether a node's outputs before and after an edit are interchangeable for every node reading them.

    Dense meta tensors match on shape, dtype, device and strides (not on
    requires_grad: a catalogue layer's cached result, `codegen.kinds.layer`,
    comes back without it, so it differs between equal runs); containers
    element by element; other values by type and equality. Anything else
    counts as changed.
    """
    if a is b:
        return True
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and type(a) is type(b)
                and a.layout == b.layout == torch.strided and a.shape == b.shape and a.dtype == b.dtype
                and a.device == b.device and a.stride() == b.stride())
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float, str, bool, bytes, type(None))):
        return a == b
    return False
