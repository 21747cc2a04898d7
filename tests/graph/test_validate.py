from graph import ROOT, Edge, Node, can_connect, topological_order, validate
from tests.graph.sample import full_document, registry


def messages(doc):
    return [str(i) for i in validate(doc, registry())]


def test_full_document_is_valid():
    assert messages(full_document()) == []


def test_cycle_is_reported_with_node_labels():
    doc = full_document()
    doc.graph.edges.append(Edge("n5", "out", "n2", "x"))
    text = "\n".join(messages(doc))
    assert "cycle" in text and "fc1" in text


def test_dangling_required_input():
    doc = full_document()
    doc.graph.edges = [e for e in doc.graph.edges if e.dst != "n5"]
    issues = validate(doc, registry())
    assert any(i.node_id == "n5" and i.port == "x" and "not connected" in i.message for i in issues)


def test_unknown_type_duplicate_label_and_bad_param():
    doc = full_document()
    doc.graph.nodes["n9"] = Node("n9", "Warp", "fc1", {})
    doc.graph.nodes["n2"].params["out_features"] = 0
    issues = validate(doc, registry())
    assert any(i.node_id == "n9" and "unknown node type 'Warp'" in i.message for i in issues)
    assert any(i.node_id == "n2" and "'fc1' is used by 2 nodes" in i.message for i in issues)
    assert any(i.param == "out_features" and "positive integer, got 0" in i.message for i in issues)


def test_arity_violation_on_single_input():
    doc = full_document()
    doc.graph.edges.append(Edge("n1", "out", "n2", "x"))
    assert validate(doc, registry()) != []
    doc2 = full_document()
    doc2.graph.edges.pop(0)
    assert can_connect(doc2, ROOT, Edge("n1", "out", "n2", "x"), registry()) is None
    doc2.graph.edges.append(Edge("n1", "out", "n2", "x"))
    refused = can_connect(doc2, ROOT, Edge("n4", "out", "n2", "x"), registry())
    assert refused is not None and "takes one connection" in refused.message


def test_can_connect_refuses_cycles_and_type_mismatch():
    doc = full_document()
    cyc = can_connect(doc, ROOT, Edge("n4", "out", "n4", "xs"), registry())
    assert cyc is not None and "cycle" in cyc.message
    doc.graph.nodes["c1"] = Node("c1", "ToComplex", "to_c", {})
    doc.graph.nodes["c2"] = Node("c2", "Abs", "mag", {})
    doc.graph.nodes["c3"] = Node("c3", "Abs", "mag2", {})
    assert can_connect(doc, ROOT, Edge("c1", "out", "c2", "x"), registry()) is None
    bad = can_connect(doc, ROOT, Edge("c2", "out", "c3", "x"), registry())
    assert bad is not None and "needs complex" in bad.message


def test_group_recursion_and_missing_group():
    doc = full_document()
    doc.groups["inner"].graph.nodes["g9"] = Node("g9", "Group", "loop", {"group": "outer"})
    doc.groups["inner"].graph.edges.append(Edge("g1", "out", "g9", "x"))
    text = "\n".join(messages(doc))
    assert "groups contain each other" in text
    doc.graph.nodes["n3"].params["group"] = "nowhere"
    assert any("group 'nowhere' does not exist" in m for m in messages(doc))


def test_code_errors_point_at_the_line():
    doc = full_document()
    doc.code["scale"] = "class Scale:\n    def forward(self, x)\n        return x\n"
    issues = validate(doc, registry())
    assert any(i.node_id == "n5" and i.line == 2 and "line 2" in str(i) for i in issues)


def test_topological_order_respects_edges():
    order = topological_order(full_document().graph)
    assert order.index("n1") < order.index("n2") < order.index("n4") < order.index("n6")
