"""Building a project costs O(1) per node: ids, labels and edge checks never scan the whole document."""

from __future__ import annotations

import copy
import pickle

import pytest

from graph.builder import Builder
from graph.document import Document, Edge, Graph, Node
from graph.edits import AddNode, Connect, EditError, RemoveNode, SetLabel, apply
from graph.indexes import EdgeList, labels_in
from graph.operations import new_node


def edges(n: int) -> list[Edge]:
    return [Edge(f"n{k}", "out", f"n{k + 1}", "x") for k in range(n)]


def consistent(lst: EdgeList) -> bool:
    return all(e in lst for e in lst) and sum(lst._count.values()) == len(lst)


def test_edge_membership_follows_every_list_change():
    a, b, c, d = edges(4)
    g = Graph()
    g.edges = [a, b]  # a plain list assigned is wrapped
    assert isinstance(g.edges, EdgeList) and a in g.edges and c not in g.edges
    g.edges.append(c)
    g.edges.insert(0, d)
    assert consistent(g.edges) and d in g.edges and g.edges[0] == d
    g.edges.pop(0)
    g.edges.remove(a)
    del g.edges[0]
    assert list(g.edges) == [c] and a not in g.edges and b not in g.edges and d not in g.edges
    g.edges += [a, a]
    g.edges.remove(a)
    assert a in g.edges  # one copy left
    g.edges[0:2] = [b, c]
    g.edges[-1] = d
    assert list(g.edges) == [b, d] and consistent(g.edges) and c not in g.edges and a not in g.edges
    g.edges.extend([c])
    clone = copy.deepcopy(g)
    back = pickle.loads(pickle.dumps(g.edges))
    assert clone.edges == g.edges and consistent(clone.edges) and consistent(back) and c in back
    g.edges.clear()
    assert not g.edges and c not in g.edges and c in clone.edges
    assert "not an edge" not in g.edges and [1] not in g.edges


def test_connect_checks_for_a_duplicate_without_comparing_edges(monkeypatch):
    b = Builder("chain")
    h = b.input("x", [4])
    for k in range(50):
        h = b.add("Linear", h, f"fc{k}", out_features=4)
    comparisons = []
    original = Edge.__eq__
    monkeypatch.setattr(Edge, "__eq__", lambda self, other: comparisons.append(1) or original(self, other))
    last = b.doc.graph.node_by_label("fc49").id
    out = b.node("Output", "y")
    apply(b.doc, Connect("", Edge(last, "out", out.node_id, "x")))
    assert comparisons == []  # a hash look-up, not a scan of the 50 edges
    with pytest.raises(EditError, match="already exists"):
        apply(b.doc, Connect("", Edge(last, "out", out.node_id, "x")))


def test_new_ids_are_found_without_scanning_the_document_again(monkeypatch):
    doc = Document()
    doc.graph.nodes = {f"n{k}": Node(f"n{k}", "ReLU", f"r{k}") for k in (1, 2, 7)}
    assert doc.new_id() == "n8"  # one more than the highest, as before
    scans = []
    monkeypatch.setattr(Document, "all_node_ids", lambda self: scans.append(1) or set())
    for _ in range(30):
        apply(doc, AddNode("", new_node(doc, "", "ReLU")))
    assert scans == [] and len(doc.graph.nodes) == 33
    assert doc.new_id() == "n38" and doc.new_id({"n38"}) == "n39"
    apply(doc, RemoveNode("", "n37"))
    fresh = doc.new_id()
    assert not doc.has_node_id(fresh)
    apply(doc, AddNode("", Node(fresh, "ReLU", "r")))
    assert not doc.has_node_id(doc.new_id())


def test_labels_stay_unique_after_renames_removals_and_inserts():
    doc = Document()
    for _ in range(3):
        apply(doc, AddNode("", new_node(doc, "", "Linear", label="fc")))
    assert [n.label for n in doc.graph.nodes.values()] == ["fc", "fc_2", "fc_3"]
    first = next(iter(doc.graph.nodes))
    apply(doc, SetLabel("", first, "head"))
    assert doc.unique_label("", "fc") == "fc"  # freed by the rename
    assert doc.unique_label("", "head") == "head_2"
    apply(doc, RemoveNode("", first))
    assert doc.unique_label("", "head") == "head"
    apply(doc, AddNode("", Node("n99", "ReLU", "fc"), index=0))  # inserted at the front, not appended
    assert doc.unique_label("", "fc") == "fc_4" and "fc" in labels_in(doc.graph)
    assert doc.unique_label("", "fc", taken={"fc_4"}) == "fc_5"
