"""Every bundled template and example is a valid project that compiles and gets its data offline."""

from pathlib import Path

import pytest

from codegen import compile_document
from codegen.formatting import lint_source
from graph import load
from runtime.analysis import analyse
from runtime.commands.check import project_registry

ROOT = Path(__file__).resolve().parent.parent / "resources"
PROJECTS = sorted((ROOT / "templates").glob("*.json")) + sorted((ROOT / "examples").glob("*.json"))


@pytest.mark.parametrize("path", PROJECTS, ids=[p.stem for p in PROJECTS])
def test_template_compiles_and_matches_its_dataset(path):
    doc = load(path, project_registry())
    assert len(doc.description) > 80, "a template explains what it is and what to watch"
    compiled = compile_document(doc, trusted=True)  # bundled templates are ours
    assert "class " in compiled.source
    assert lint_source(compiled.source) == []
    analysis = analyse(doc, project_dir=path.parent, trusted=True, load_data=True)
    assert analysis.errors == [] and analysis.bundle is not None


def test_input_shape_mismatch_is_explained_on_the_input_node():
    doc = load(ROOT / "templates" / "02_mlp_digits.json", project_registry())
    doc.recipe["dataset"] = {"name": "digits"}  # images, not flat vectors
    (problem,) = analyse(doc, load_data=True).errors
    assert (problem.label, problem.param) == ("x", "shape")
    assert "declares shape (64,), but dataset 'digits' gives samples of shape (1, 8, 8)" in problem.message
    assert "[1, 8, 8]" in problem.hint


@pytest.mark.parametrize("path", PROJECTS, ids=[p.stem for p in PROJECTS])
def test_template_trains_a_few_steps_and_the_loss_goes_down(path):
    from runtime.events import BatchEnded
    from runtime.session import prepare, run

    doc = load(path, project_registry())
    events = []
    overrides = {"max_steps": 30, "epochs": 50, "hooks": [], "eval_batches": 1, "checkpoint_every": 0}
    if doc.recipe["dataset"]["name"] in ("stdlib_text",):
        overrides["dataset"] = {**doc.recipe["dataset"], "max_chars": 40_000}
    run(prepare(doc, project_dir=path.parent, trusted=True, overrides=overrides, emit=events.append,
                num_threads=1))
    losses = [e.loss for e in events if isinstance(e, BatchEnded)]
    assert len(losses) >= 10
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5, losses
