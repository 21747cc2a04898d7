"""Layered left-to-right layout for generated or imported graphs."""

from __future__ import annotations

import networkx as nx

from graph.document import Graph
from graph.validate import scope_digraph

COLUMN = 290.0
ROW = 120.0


def layered_positions(g: Graph, band: int = 0) -> dict[str, tuple[float, float]]:
    """x by longest path from the inputs (so every edge points right), y spread within a column.

    A chain stays on one line, left to right, however long: rows appear only
    where the network branches (several nodes at the same depth). Wrapping a
    chain into bands joined by long diagonal edges made templates hard to
    read; the canvas has a minimap for graphs wider than the view instead.
    `band` > 0 still wraps every `band` columns (for pictures of huge graphs).
    """
    dg = nx.DiGraph(scope_digraph(g))
    if not nx.is_directed_acyclic_graph(dg):
        dg = nx.DiGraph([(u, v) for u, v in dg.edges if u != v])
        dg.add_nodes_from(g.nodes)
        dg.remove_edges_from(list(nx.find_cycle(dg)) if not nx.is_directed_acyclic_graph(dg) else [])
    depth: dict[str, int] = {}
    order = {nid: k for k, nid in enumerate(g.nodes)}
    for nid in nx.lexicographical_topological_sort(dg, key=order.__getitem__) if nx.is_directed_acyclic_graph(dg) \
            else list(g.nodes):
        depth[nid] = max((depth[p] + 1 for p in dg.predecessors(nid) if p in depth), default=0)
    columns: dict[int, list[str]] = {}
    for nid in g.nodes:
        columns.setdefault(depth.get(nid, 0), []).append(nid)
    positions: dict[str, tuple[float, float]] = {}
    for col, ids in sorted(columns.items()):
        # keep nodes near their parents: sort by the mean row of predecessors
        if col:
            ids.sort(key=lambda i: sum(positions[p][1] for p in dg.predecessors(i) if p in positions)
                     / max(1, sum(1 for p in dg.predecessors(i) if p in positions)))
        top = -(len(ids) - 1) * ROW / 2
        for k, nid in enumerate(ids):
            positions[nid] = (col * COLUMN, top + k * ROW)
    if band and len(columns) > band + 2:
        tallest = max(len(ids) for ids in columns.values())
        band_height = (tallest + 1) * ROW + 40
        for nid, (x, y) in positions.items():
            col = int(round(x / COLUMN))
            positions[nid] = ((col % band) * COLUMN, y + (col // band) * band_height)
    return positions
