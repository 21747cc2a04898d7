"""The Forest kind: hand-off rules compiled into a readable class with grow(), and its problems."""

import subprocess

import pytest
import torch

from codegen import CompileError, build_from_compiled, compile_document
from codegen.formatting import ruff_binary
from graph import validate
from graph.builder import Builder
from runtime.analysis import analyse
from runtime.commands.check import project_registry


def forest_doc(handoff="copy", combine="mean", members=2, layer=None, units=4, select="norm", hidden=8,
               after=None):
    b = Builder("forest net").use_registry(project_registry())
    m = b.group("member", "One small net.")
    x = m.input("x")
    h = m.add("Tanh", m.add("Linear", x, "hidden", out_features=hidden), "act")
    for type_id, label, params in after or ():
        h = m.add(type_id, h, label, **params)
    m.output(m.add("Linear", h, "out", out_features=3), "y")
    if layer is None:
        layer = "hidden" if handoff == "copy" else "out"
    b.output(b.add("Forest", b.input("x", [6]), "forest", group="member", members=members, combine=combine,
                   handoff=handoff, layer=layer, units=units, select=select))
    b.doc.recipe = {"dataset": {"name": "sunspots", "window": 6, "flat": True}, "loss": {"name": "mse"}}
    return b.doc


@pytest.mark.parametrize("handoff", ["copy", "lateral", "fresh"])
@pytest.mark.parametrize("combine", ["mean", "learned", "boosting"])
def test_every_rule_compiles_to_lint_clean_code_whose_shape_inference_matches(handoff, combine, tmp_path):
    compiled = compile_document(forest_doc(handoff, combine))
    run = next(r for r in compiled.inference.root.nodes.values() if r.label == "forest")
    model = build_from_compiled(compiled)
    out = model(torch.randn(5, 6))
    assert run.outputs["out"].shape == ("B", 3) and out.shape == (5, 3)
    assert "def grow(self):" in compiled.source and "def combine(self, outs, members=None):" in compiled.source
    path = tmp_path / "model.py"
    path.write_text(compiled.source)
    lint = subprocess.run([ruff_binary(), "check", "--isolated", "--select", "E,F,W,I,B", str(path)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    new = model.forest.grow()
    assert len(model.forest.members) == 3
    assert model(torch.randn(5, 6)).shape == (5, 3)
    assert all(p.requires_grad for p in new) and new


def test_copy_hands_the_units_with_the_largest_weight_norm_to_the_newcomer():
    torch.manual_seed(0)
    model = build_from_compiled(compile_document(forest_doc("copy", units=3, members=1)))
    old = model.forest.members[0].hidden
    norms = old.weight.detach().norm(dim=1)
    units = set(norms.topk(3).indices.tolist())
    new = model.forest.grow()
    newcomer = model.forest.members[1].hidden
    for k in range(8):
        same = torch.equal(newcomer.weight[k], old.weight[k]) and torch.equal(newcomer.bias[k], old.bias[k])
        assert same == (k in units), k  # the chosen units copied, the rest fresh
    assert not any(p.requires_grad for p in model.forest.members[0].parameters())  # the older member is frozen
    assert {id(p) for p in new} == {id(p) for p in model.forest.members[1].parameters()}


def test_lateral_newcomer_receives_the_older_members_activations():
    torch.manual_seed(0)
    model = build_from_compiled(compile_document(forest_doc("lateral", members=1)))
    model.forest.grow()
    assert [len(a) for a in model.forest.lateral] == [0, 1]
    x = torch.randn(4, 6)
    _, tap = model.forest.members[0](x)
    out_new, _ = model.forest.members[1](x, model.forest.lateral[1][0](tap))
    alone, _ = model.forest.members[1](x)
    assert not torch.allclose(out_new, alone)  # the older member's hidden activation reaches the newcomer
    assert torch.allclose(model(x), (model.forest.members[0](x)[0] + out_new) / 2, atol=1e-6)
    assert not any(p.requires_grad for p in model.forest.lateral[0].parameters())


def test_boosting_sums_and_learned_weights_are_a_softmax():
    torch.manual_seed(0)
    boost = build_from_compiled(compile_document(forest_doc("fresh", "boosting")))
    x = torch.randn(4, 6)
    assert torch.allclose(boost(x), sum(m(x) for m in boost.forest.members), atol=1e-6)
    learned = build_from_compiled(compile_document(forest_doc("fresh", "learned")))
    with torch.no_grad():
        learned.forest.mix[0].fill_(2.0)
    w = torch.tensor([2.0, 0.0]).softmax(0)
    outs = [m(x) for m in learned.forest.members]
    assert torch.allclose(learned(x), w[0] * outs[0] + w[1] * outs[1], atol=1e-6)
    assert torch.allclose(learned.forest.combine([outs[1]], [1]), outs[1])  # member 0 left out


def test_recorded_growth_builds_frozen_members_and_lateral_adapters():
    doc = forest_doc("lateral", members=3)
    node = next(n for n in doc.graph.nodes.values() if n.label == "forest")
    node.params.update(frozen_members=[0, 1], seeded_from=[-1, 0, 1])
    compiled = compile_document(doc)
    model = build_from_compiled(compiled)
    assert [any(p.requires_grad for p in m.parameters()) for m in model.forest.members] == [False, False, True]
    assert "member 1 was seeded from member 0, member 2 from member 1" in " ".join(compiled.source.split()) or \
        "member 2 was seeded from member 1" in " ".join(compiled.source.split())


def problems_of(doc):
    return [p for p in analyse(doc, training=False).problems if p.is_error]


def test_hand_off_problems_are_on_the_forest_node_before_training():
    missing = problems_of(forest_doc("copy", layer="hiddne"))
    assert [(p.label, p.param) for p in missing] == [("forest", "layer")]
    assert "hand-off layer 'hiddne' does not exist in group 'member'" in missing[0].message
    assert "hidden, act, out" in missing[0].hint
    too_many = problems_of(forest_doc("copy", units=12))
    assert [(p.label, p.param) for p in too_many] == [("forest", "units")]
    assert "takes 12 units of 'hidden', which has only 8" in too_many[0].message
    no_weights = problems_of(forest_doc("copy", layer="act"))
    assert no_weights[0].param == "layer" and "has no weights" in no_weights[0].message
    shapes = problems_of(forest_doc("lateral", layer="flat", after=[("Reshape", "grid", {"shape": [2, 4]}),
                                                                     ("Flatten", "flat", {})]))
    assert [(p.label, p.param) for p in shapes] == [("forest", "layer")]
    assert "incompatible shapes" in shapes[0].message
    first = problems_of(forest_doc("lateral", layer="hidden"))
    assert first[0].param == "layer" and "not the member's input" in first[0].message
    with pytest.raises(CompileError) as err:
        compile_document(forest_doc("copy", units=12))
    assert err.value.problems[0].param == "units"
    bad = forest_doc("copy")
    node = next(n for n in bad.graph.nodes.values() if n.label == "forest")
    node.params.update(frozen_members=[5], seeded_from=[-1, 1])
    params = {p.param for p in validate(bad, project_registry()) if p.node_id == node.id}
    assert params == {"frozen_members", "seeded_from"}


@pytest.mark.parametrize("handoff,combine", [("copy", "mean"), ("lateral", "learned"), ("fresh", "boosting")])
def test_a_grown_forest_exported_and_imported_is_the_same_forest(handoff, combine, tmp_path):
    """export → import → export: the Forest node, its rule and growth record come back, weights included."""
    from tests.codegen.roundtrip import fixed_point

    doc = forest_doc(handoff, combine, members=3)
    node = next(n for n in doc.graph.nodes.values() if n.label == "forest")
    node.params.update(frozen_members=[0, 1], seeded_from=[-1, 0, 1])
    first, second, keys1, keys2, summary, doc2 = fixed_point(doc, tmp_path)
    assert second == first and keys2 == keys1 and summary.max_abs_diff == 0.0
    forest = next(n for n in doc2.graph.nodes.values() if n.type == "Forest")
    assert forest.params["members"] == 3 and forest.params["handoff"] == handoff
    assert forest.params["frozen_members"] == [0, 1] and forest.params["seeded_from"] == [-1, 0, 1]
    assert [n.label for n in doc2.groups[forest.params["group"]].graph.nodes.values()] == \
        ["x", "hidden", "act", "out", "y"]
