"""A local edit costs work in proportion to what it changed, not to the project's size (issue #13.4).

Counted, not timed, on a 2,000-node chain: the nodes run on the meta device,
the per-node memory estimates, the topological orders computed and the nodes
whose ties are looked up. Changing one Linear's width changes its own output,
the activation after it and the next Linear's `in_features`; that Linear's
output is as before, so nothing after it runs again — and the memory estimate
and the ties are brought up to date from those three nodes alone.
"""

from __future__ import annotations

from collections import Counter

import pytest

import codegen.memory
import codegen.structure
from codegen.shapes import reinfer_shapes
from graph import ROOT, load
from graph.edits import SetParam, apply
from runtime.analysis import analyse, project_registry, reanalyse
from tests.bench.generated_graphs import chain
from tests.codegen.test_ties import tied_lm
from tests.runtime.test_incremental_analysis import TEMPLATES, same


@pytest.fixture(scope="module")
def registry():
    return project_registry()


@pytest.fixture
def work(monkeypatch):
    """Counts of the per-node work an analysis does."""
    counts: Counter[str] = Counter()

    def counted(name, module, attr):
        real = getattr(module, attr)

        def wrapper(*args, **kwargs):
            counts[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, attr, wrapper)

    counted("node estimates", codegen.memory, "node_bytes")
    counted("orders", codegen.structure, "topological_order")
    counted("tie lookups", codegen.structure, "ties_of")
    return counts


def edit(doc, previous, change, registry):
    apply(doc, change)
    return reanalyse(previous, doc, change, registry=registry)


def test_a_local_edit_of_a_2000_node_chain_works_on_the_three_nodes_it_changed(registry, work):
    doc = chain(2000).doc
    analysis = analyse(doc, registry=registry)
    assert work == {"node estimates": 2000, "orders": 1, "tie lookups": 2000}  # a full analysis sees every node
    fc = doc.graph.node_by_label("fc500").id
    for width in (33, 32, 33, 7):  # wider than every other layer (the largest one changes), back, again, narrower
        work.clear()
        analysis = edit(doc, analysis, SetParam(ROOT, fc, "out_features", width), registry)
        assert analysis.inference.ran == 3  # fc500, act500 and fc501, whose in_features follows
        assert work == {"node estimates": 3}  # no order, no tie lookup, three nodes' memory
        assert analysis.inference.node(ROOT, doc.graph.node_by_label("fc501").id).params["in_features"] == width
        same(analysis, analyse(doc, registry=registry))
    largest = analysis.memory.largest
    assert largest is not None and largest[1] != fc  # at width 7 fc500 is no longer the largest layer
    analysis = edit(doc, analysis, SetParam(ROOT, fc, "out_features", 40), registry)
    assert analysis.memory.largest[1] == fc
    same(analysis, analyse(doc, registry=registry))


def test_an_edit_that_fails_a_node_runs_what_follows_it_once_and_mending_it_runs_them_again(registry):
    doc = chain(60).doc
    analysis = analyse(doc, registry=registry)
    fc = doc.graph.node_by_label("fc20").id
    analysis = edit(doc, analysis, SetParam(ROOT, fc, "in_features", 5), registry)  # the input is 32 wide
    assert analysis.inference.ran == 1  # fc20 fails; act20 … y are skipped (they run nothing)
    same(analysis, analyse(doc, registry=registry))
    analysis = edit(doc, analysis, SetParam(ROOT, fc, "in_features", 32), registry)
    assert analysis.inference.ran == 19 and not analysis.errors  # fc20 … fc28, act20 … act28, y

    same(analysis, analyse(doc, registry=registry))


@pytest.mark.parametrize("through_group", [False, True])
def test_ties_are_checked_again_when_either_side_changes(registry, through_group):
    doc, head = tied_lm(through_group)
    analysis = analyse(doc, registry=registry)
    assert not analysis.errors
    changes = [SetParam(ROOT, head, "out_features", 21), SetParam(ROOT, head, "out_features", 20)]
    if not through_group:
        emb = doc.graph.node_by_label("tok_emb").id
        changes += [SetParam(ROOT, emb, "num_embeddings", 19), SetParam(ROOT, emb, "num_embeddings", 20)]
    for change in changes:
        analysis = edit(doc, analysis, change, registry)
        assert analysis.validation.checked == 1
        same(analysis, analyse(doc, registry=registry))
        assert any(p.param == "tie" for p in analysis.errors) == (change.value != 20)


def records(analysis) -> tuple:
    """The containers a parameter edit could copy: the root run's, the first runs, the memory tally's."""
    inference = analysis.inference
    tally = inference.tally
    return (inference.root.nodes, inference.root.values, inference.root.children, inference.first_runs,
            tally.parts, tally.largest, tally.heap)


def test_a_local_edit_takes_the_previous_records_over_instead_of_copying_them(registry):
    """Copying them cost the whole model per edit (five dicts of 2,000 entries and the memory heap)."""
    doc = chain(2000).doc
    analysis = analyse(doc, registry=registry)
    before = records(analysis)
    fc = doc.graph.node_by_label("fc500").id
    for width in (33, 7):
        analysis = edit(doc, analysis, SetParam(ROOT, fc, "out_features", width), registry)
        assert analysis.inference.ran == 3
        assert all(new is old for new, old in zip(records(analysis), before, strict=True))
    same(analysis, analyse(doc, registry=registry))


def test_an_edit_that_reaches_a_group_falls_back_and_leaves_the_previous_run_as_it_was(registry):
    """stem → stem_act → blocks (a repeated group): stem and stem_act run again, then the group would have
    to — the full analysis takes over, and the inference the editor still shows is put back as it was."""
    doc = load(TEMPLATES / "05_resnet_mini_digits.json", registry)
    analysis = analyse(doc, registry=registry)
    shown = {key: (run, run.outputs) for key, run in analysis.inference.first_runs.items()}
    values = dict(analysis.inference.root.values)
    stem = doc.graph.node_by_label("stem").id
    apply(doc, SetParam(ROOT, stem, "out_channels", 24))
    assert reinfer_shapes(doc, analysis.base, frozenset({stem}), trusted=False) is None
    assert {key: (run, run.outputs) for key, run in analysis.inference.first_runs.items()} == shown
    assert analysis.inference.root.values == values
    assert all(analysis.inference.root.values[nid] is v for nid, v in values.items())


def test_while_a_node_is_broken_an_edit_after_it_takes_the_skipped_runs_over(registry):
    """fc20 broken: everything after it is skipped (1,959 runs); an edit further on must not copy that list."""
    doc = chain(2000).doc
    analysis = edit(doc, analyse(doc, registry=registry), SetParam(ROOT, doc.graph.node_by_label("fc20").id,
                                                                   "in_features", 5), registry)
    skipped = analysis.inference.skipped
    assert len(skipped) > 1900
    for width in (33, 7):
        analysis = edit(doc, analysis, SetParam(ROOT, doc.graph.node_by_label("fc500").id, "out_features", width),
                        registry)
        assert analysis.inference.skipped is skipped and analysis.inference.ran == 0  # skipped again, not copied
        same(analysis, analyse(doc, registry=registry))
    assert analysis.inference.skipped == analyse(doc, registry=registry).inference.skipped
