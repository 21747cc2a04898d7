"""A parameter edit re-analyses only what it can change, and the result is the full analysis' (issue #13.4).

Counted, not timed: `Validation.checked` is how many nodes' own checks ran,
`Inference.ran` how many nodes ran on the meta device (tests/runtime/test_local_edit_work.py
counts the rest of a local edit's work).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from codegen.shapes import downstream
from graph import ROOT, load
from graph.edits import Batch, SetLabel, SetParam, apply
from runtime.analysis import analyse, project_registry, reanalyse
from tests.bench.generated_graphs import chain, wide

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"


def same(a, b) -> None:
    """Two analyses that say the same: problems (as a multiset), every node's run, the memory estimate."""
    assert Counter(a.problems) == Counter(b.problems)
    assert (a.inference is None) == (b.inference is None)
    if a.inference is not None:
        runs = {key: (r.outputs, r.params, r.error, r.skipped, r.weight_bytes) for key, r in a.inference.first_runs.items()}
        assert runs == {key: (r.outputs, r.params, r.error, r.skipped, r.weight_bytes)
                        for key, r in b.inference.first_runs.items()}
    assert a.memory == b.memory


def edit(doc, previous, change, registry):
    apply(doc, change)
    return reanalyse(previous, doc, change, registry=registry)


@pytest.fixture(scope="module")
def registry():
    return project_registry()


def test_a_parameter_edit_on_a_2000_node_chain_runs_only_the_nodes_it_changes(registry):
    doc = chain(2000).doc
    first = analyse(doc, registry=registry)
    assert first.validation.checked == 2000 and first.inference.ran == 2000
    by_label = {n.label: n.id for n in doc.graph.nodes.values()}
    late = edit(doc, first, SetParam(ROOT, by_label["fc990"], "out_features", 24), registry)
    assert late.validation.checked == 1
    # fc990, act990 and fc991 (whose in_features follows): fc991's output is as before, so what follows it
    # keeps its run (the 19 nodes after fc990 all ran again before)
    assert late.inference.ran == 3
    assert late.inference.rerun == {by_label[label] for label in ("fc990", "act990", "fc991")}
    assert late.inference.rerun < downstream(doc.graph, by_label["fc990"])
    same(late, analyse(doc, registry=registry))
    early = edit(doc, late, SetParam(ROOT, by_label["fc10"], "out_features", 40), registry)
    assert early.validation.checked == 1 and early.inference.ran == 3  # as few at the start (1979 before)
    same(early, analyse(doc, registry=registry))


def test_an_edit_that_breaks_a_shape_and_one_that_mends_it_agree_with_the_full_analysis(registry):
    doc = wide(400).doc
    previous = analyse(doc, registry=registry)
    fc = next(n.id for n in doc.graph.nodes.values() if n.label == "s3_fc2")
    for change in (SetParam(ROOT, fc, "in_features", 7), SetParam(ROOT, fc, "out_features", -1),
                   SetParam(ROOT, fc, "out_features", 16), SetParam(ROOT, fc, "in_features", 16)):
        previous = edit(doc, previous, change, registry)
        assert previous.validation.checked == 1
        same(previous, analyse(doc, registry=registry))
    assert not previous.errors


@pytest.mark.parametrize("name", ["05_resnet_mini_digits.json", "08_mini_gpt.json", "02_mlp_digits.json"])
def test_random_parameter_edits_of_templates_agree_with_the_full_analysis(registry, name):
    doc = load(TEMPLATES / name, registry)
    rng = random.Random(13)
    previous = analyse(doc, registry=registry)
    values = {"int": [1, 3, 8, 0, -2], "float": [0.0, 0.5, 1.5], "bool": [True, False]}
    local = 0
    for _ in range(12):
        node = rng.choice(list(doc.graph.nodes.values()))
        spec = registry.get(node.type)
        params = [p for p in (spec.params if spec else ()) if p.kind in values or p.kind == "enum"]
        if not params:
            continue
        p = rng.choice(params)
        value = rng.choice(list(p.choices) if p.kind == "enum" else values[p.kind])
        previous = edit(doc, previous, SetParam(ROOT, node.id, p.name, value), registry)
        local += previous.validation.checked == 1
        same(previous, analyse(doc, registry=registry))
    print(f"{name}: {local} of the edits were incremental")
    assert local >= 3


def test_other_edits_are_analysed_in_full(registry):
    doc = chain(40).doc
    previous = analyse(doc, registry=registry)
    fc = next(n.id for n in doc.graph.nodes.values() if n.label == "fc3")
    for change in (SetLabel(ROOT, fc, "first"), Batch([SetParam(ROOT, fc, "out_features", 8)], "batch")):
        previous = edit(doc, previous, change, registry)
        assert previous.validation.checked == 40 and previous.inference.ran == 40
        same(previous, analyse(doc, registry=registry))
