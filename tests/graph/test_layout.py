"""Auto-layout: a chain on one line, left to right; rows only where the network branches."""

from graph import ROOT
from graph.builder import Builder
from graph.layout import layered_positions


def test_a_long_chain_stays_on_one_line_left_to_right():
    b = Builder("chain")
    h = b.input("x", [8])
    for k in range(12):
        h = b.add("Linear", h, f"fc{k}", out_features=8)
    b.output(h)
    pos = layered_positions(b.doc.scope(ROOT))
    order = list(b.doc.graph.nodes)
    assert len({y for _, y in pos.values()}) == 1, "one row"
    xs = [pos[i][0] for i in order]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), "left to right in order"


def test_branches_get_rows_and_the_chain_around_them_stays_level():
    b = Builder("branches")
    x = b.input("x", [8])
    a = b.add("Linear", x, "a", out_features=8)
    c = b.add("Linear", x, "c", out_features=8)
    s = b.add("Add", [a, c], "sum")
    b.output(s)
    pos = layered_positions(b.doc.scope(ROOT))
    g = b.doc.graph
    y = {n.label: pos[n.id][1] for n in g.nodes.values()}
    assert y["a"] != y["c"], "parallel branches are on two rows"
    assert y["x"] == y["sum"] == y["y"], "the chain around them stays on one line"
