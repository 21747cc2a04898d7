"""Our topological order is networkx's lexicographical one (by document position), only faster."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.document import Edge, Graph, Node
from graph.validate import scope_digraph, topological_order


@st.composite
def dags(draw):
    n = draw(st.integers(1, 25))
    ids = [f"n{k}" for k in draw(st.permutations(range(n)))]
    g = Graph()
    for nid in ids:
        g.nodes[nid] = Node(nid, "ReLU", nid)
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))
    rank = {nid: k for k, nid in enumerate(sorted(ids, key=lambda i: int(i[1:])))}
    for a, b in pairs:
        src, dst = ids[a], ids[b]
        if rank[src] < rank[dst]:  # edges follow a hidden order: always acyclic; duplicates allowed
            g.edges.append(Edge(src, "out", dst, "x"))
    return g


@settings(max_examples=200, deadline=None)
@given(dags())
def test_same_order_as_networkx_lexicographical_sort(g):
    position = {nid: k for k, nid in enumerate(g.nodes)}
    expected = list(nx.lexicographical_topological_sort(scope_digraph(g), key=position.__getitem__))
    assert topological_order(g) == expected


def test_a_cycle_raises():
    g = Graph()
    for nid in ("a", "b"):
        g.nodes[nid] = Node(nid, "ReLU", nid)
    g.edges = [Edge("a", "out", "b", "x"), Edge("b", "out", "a", "x")]
    with pytest.raises(nx.NetworkXUnfeasible):
        topological_order(g)
