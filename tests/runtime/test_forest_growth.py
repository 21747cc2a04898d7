"""Growing a forest during a run: the run, its export, its weights and the reopened project are one model."""

import importlib.util
import json

import pytest
import torch
from safetensors.torch import load_file

from codegen import build_from_compiled, compile_document
from codegen.export import load_weights
from graph import load, save
from graph.builder import Builder
from graph.fileformat import loads
from runtime.analysis import analyse
from runtime.cli import run as cli
from runtime.commands.check import project_registry
from runtime.engine import TrainingError
from runtime.events import HookDecision, MemberContributions, RevisionCreated
from runtime.session import prepare, run


def forest_project(handoff="copy", combine="mean", forest_label="forest"):
    b = Builder("sunspot forest").use_registry(project_registry())
    m = b.group("member", "One small forecaster.")
    x = m.input("window")
    h = m.add("Tanh", m.add("Linear", x, "hidden", out_features=8), "act")
    m.output(m.add("Linear", h, "out", out_features=1), "forecast")
    trees = b.add("Forest", b.input("window", [10]), "forest", group="member", members=1, combine=combine,
                  handoff=handoff, layer="hidden" if handoff == "copy" else "out", units=4)
    b.output(trees, "forecast")
    b.doc.recipe = {"dataset": {"name": "sunspots", "window": 10, "flat": True}, "epochs": 6, "batch_size": 64,
                    "loss": {"name": "mse"}, "metrics": ["mse"], "optimizer": {"name": "adam", "lr": 0.01},
                    "hooks": [{"name": "grow_forest", "params": {"forest": forest_label, "every": 2,
                                                                 "max_members": 3}}]}
    return b.doc


def module_from(path):
    spec = importlib.util.spec_from_file_location(f"run_model_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("handoff,combine", [("copy", "mean"), ("lateral", "learned"), ("fresh", "boosting")])
def test_grown_forest_exported_reloaded_and_reopened_equals_the_trained_model(tmp_path, handoff, combine):
    doc = forest_project(handoff, combine)
    events = []
    job = prepare(doc, run_dir=tmp_path / "run", emit=events.append, num_threads=1)
    run(job)
    live = job.trainer.model.eval()
    assert len(live.forest.members) == 3
    grown = [e for e in events if isinstance(e, HookDecision) and e.decision == "grow"]
    revisions = [e for e in events if isinstance(e, RevisionCreated)]
    assert len(grown) == 2 and [r.revision for r in revisions] == [1, 2]
    folder = tmp_path / "run"
    assert len((folder / "revisions.jsonl").read_text().splitlines()) == 2
    x = torch.stack([job.bundle.val[k][0] for k in range(16)])
    expected = live(x).detach()

    # the run's model.py and weights describe the grown model
    model_py = (folder / "model.py").read_text()
    reloaded = getattr(module_from(folder / "model.py"), job.compiled.class_name)()
    reloaded.load_state_dict(load_file(str(folder / "weights.safetensors")), strict=True)
    assert torch.equal(reloaded.eval()(x), expected)
    # the revision the run recorded compiles to exactly that text, and so does `export`
    revision = loads((folder / "project.json").read_text(), project_registry())
    assert compile_document(revision).source == model_py
    assert cli(["export", str(folder / "project.json"), "--to", "py", "-o", str(tmp_path / "exported.py")]) == 0
    assert (tmp_path / "exported.py").read_text() == model_py
    # reopening the revised project (as the app saves it after the run) gives the trained model
    save(loads(revisions[-1].project, project_registry()), tmp_path / "reopened.json")
    reopened = build_from_compiled(compile_document(load(tmp_path / "reopened.json", project_registry())))
    load_weights(reopened, str(folder / "weights.safetensors"))
    assert torch.equal(reopened.eval()(x), expected)
    assert [p.requires_grad for p in reopened.parameters()] == [p.requires_grad for p in live.parameters()]
    node = next(n for n in revision.graph.nodes.values() if n.label == "forest")
    assert node.params["members"] == 3 and node.params["frozen_members"] == [0, 1]
    assert node.params["seeded_from"] == ([-1, 0, 1] if handoff != "fresh" else [-1, -1, -1])
    # the project as it was before the run cannot hold these weights: that is why the run revises it
    with pytest.raises(Exception, match="members"):
        load_weights(build_from_compiled(compile_document(doc)), str(folder / "weights.safetensors"))
    # the last checkpoint fits the revision too
    checkpoint = folder / "checkpoints" / "last.safetensors"
    if checkpoint.exists():
        load_weights(build_from_compiled(compile_document(revision)), checkpoint, strict=True)
    contributions = [e for e in events if isinstance(e, MemberContributions)]
    assert contributions and len(contributions[-1].contributions) == 3
    assert json.loads((folder / "run.json").read_text())["name"] == "sunspot forest"


def test_a_growth_hook_naming_no_forest_is_a_problem_before_training():
    doc = forest_project(forest_label="trees")
    problems = [p for p in analyse(doc).problems if p.is_error]
    assert [(p.recipe_path, p.message) for p in problems] == [
        ("recipe.hooks[0].params.forest", "grow forest: no Forest node labelled 'trees'")]
    assert problems[0].hint == "forests: forest"
    with pytest.raises(TrainingError, match="no Forest node labelled 'trees'"):
        prepare(doc, num_threads=1)


def test_hand_off_problems_stop_a_run_before_it_starts():
    doc = forest_project()
    node = next(n for n in doc.graph.nodes.values() if n.label == "forest")
    node.params["units"] = 20  # the hidden layer has 8
    with pytest.raises(TrainingError) as err:
        prepare(doc, num_threads=1)
    assert err.value.problems[0].label == "forest" and err.value.problems[0].param == "units"
