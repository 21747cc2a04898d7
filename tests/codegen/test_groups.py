import torch
from torch import nn

from codegen import build_from_compiled, compile_document
from codegen.formatting import lint_source
from codegen.reinit import reinitialize
from codegen.summary import summarize
from graph import ROOT
from tests.codegen.graphs import builder


def forest_doc(members=3, combine="mean", bagging=False, width=12):
    b = builder("forest")
    net = b.group("net", "One small forecaster.")
    x = net.input("x")
    h = net.add("Tanh", net.add("Linear", x, "hidden", out_features=8), "act")
    net.output(net.add("Linear", h, "head", out_features=1), "y")
    inp = b.input("window", [width])
    forest = b.add("Ensemble", inp, "forest", group="net", members=members, combine=combine, bagging=bagging)
    b.output(forest, "forecast")
    return b.doc


def test_ensemble_members_are_independent_copies_combined_by_mean():
    compiled = compile_document(forest_doc())
    assert "self.forest = nn.ModuleList([Net() for _ in range(3)])" in compiled.source
    assert lint_source(compiled.source) == []
    model = build_from_compiled(compiled)
    assert len(model.forest) == 3
    assert not torch.equal(model.forest[0].hidden.weight, model.forest[1].hidden.weight)
    x = torch.randn(4, 12)
    expected = torch.stack([m(x) for m in model.forest]).mean(0)
    torch.testing.assert_close(model(x), expected)


def test_ensemble_bagging_feeds_each_member_its_slice():
    compiled = compile_document(forest_doc(members=3, bagging=True))
    model = build_from_compiled(compiled)
    assert model.forest[0].hidden.in_features == 4
    x = torch.randn(2, 12)
    parts = x.chunk(3, dim=-1)
    expected = torch.stack([m(p) for m, p in zip(model.forest, parts, strict=True)]).mean(0)
    torch.testing.assert_close(model(x), expected)


def test_ensemble_vote_is_log_of_mean_probabilities():
    doc = forest_doc(combine="vote")
    doc.groups["net"].graph.node_by_label("head").params["out_features"] = 4
    model = build_from_compiled(compile_document(doc))
    x = torch.randn(2, 12)
    probs = torch.stack([m(x).softmax(-1) for m in model.forest]).mean(0)
    torch.testing.assert_close(model(x).exp(), probs)


def test_slice_of_one_nets_hidden_layer_feeds_a_fresh_net():
    """The net-forest pattern: part of net A's hidden layer is the input of net B."""
    b = builder("handoff")
    a = b.group("net_a")
    xa = a.input("x")
    ha = a.add("ReLU", a.add("Linear", xa, "hidden", out_features=16), "act")
    a.output(a.add("Linear", ha, "head", out_features=1), "y")
    a.output(ha, "h")
    nb = b.group("net_b")
    xb = nb.input("x")
    nb.output(nb.add("Linear", nb.add("Tanh", nb.add("Linear", xb, "hidden", out_features=8)), "head",
                     out_features=1), "y")
    x = b.input("x", [10])
    first = b.use("net_a", x, "first")
    part = b.add("Slice", b.out(first, "net_a", "h"), "part", dim=1, start=0, stop=4)
    second = b.use("net_b", part, "second", frozen=False)
    b.output(b.add("Add", [first, second], "total"), "y")
    compiled = compile_document(b.doc)
    assert "part = first_h[:, 0:4]" in compiled.source
    model = build_from_compiled(compiled)
    assert model.second.hidden.in_features == 4
    x_ = torch.randn(3, 10)
    h = torch.relu(model.first.hidden(x_))
    expected = model.first.head(h) + model.second(h[:, 0:4])
    torch.testing.assert_close(model(x_), expected)


def test_frozen_group_and_node_are_excluded_and_counted():
    doc = forest_doc()
    ens = doc.graph.node_by_label("forest")
    ens.params["frozen"] = True
    compiled = compile_document(doc)
    model = build_from_compiled(compiled)
    assert all(not p.requires_grad for p in model.forest.parameters())
    summary = summarize(doc, compiled, model)
    assert summary.trainable_params == 0 and summary.total_params == 3 * (12 * 8 + 8 + 8 + 1)
    doc.graph.node_by_label("forest").params["frozen"] = False
    doc.groups["net"].graph.node_by_label("hidden").params["frozen"] = True
    model = build_from_compiled(compile_document(doc))
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {f"forest.{k}.hidden.{w}" for k in range(3) for w in ("weight", "bias")}


def test_reinitialize_a_group_gives_fresh_weights():
    model = build_from_compiled(compile_document(forest_doc()))
    before = model.forest[1].hidden.weight.detach().clone()
    other = model.forest[0].hidden.weight.detach().clone()
    assert reinitialize(model, "forest.1") == 2
    assert not torch.equal(model.forest[1].hidden.weight, before)
    assert torch.equal(model.forest[0].hidden.weight, other)
    assert isinstance(model.forest, nn.ModuleList)


def test_attribute_paths_reach_into_groups():
    doc = forest_doc()
    compiled = compile_document(doc)
    hidden = doc.groups["net"].graph.node_by_label("hidden").id
    assert compiled.attributes[("net", hidden)] == "forest.0.hidden"
    assert compiled.attributes[(ROOT, doc.graph.node_by_label("forest").id)] == "forest"
