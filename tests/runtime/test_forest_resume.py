"""Resuming a run whose forest grew: the checkpoint's structure and optimizer groups, so the run goes on exactly."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from graph import load, save
from runtime.cli import run as cli
from runtime.commands.check import project_registry
from runtime.engine import Flags
from runtime.events import BatchEnded, HookDecision, RevisionCreated
from runtime.session import prepare, run
from tests.runtime.test_forest_growth import forest_project

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"


def growing(handoff, combine, epochs=7):
    doc = forest_project(handoff, combine)
    doc.recipe["epochs"] = epochs
    doc.recipe["hooks"][0]["params"]["max_members"] = 4
    return doc


def losses(events):
    return [(e.step, e.loss) for e in events if isinstance(e, BatchEnded)]


@pytest.mark.parametrize("handoff,combine", [("copy", "mean"), ("lateral", "learned"), ("fresh", "boosting")])
def test_a_grown_forest_resumed_from_its_checkpoint_trains_as_the_uninterrupted_run(tmp_path, handoff, combine):
    whole_events = []
    whole = prepare(growing(handoff, combine), run_dir=tmp_path / "whole", emit=whole_events.append, num_threads=1)
    run(whole)
    steps_per_epoch = len(whole.trainer.train_loader)
    assert len(whole.trainer.model.forest.members) == 4  # grown after epochs 2, 4 and 6

    # the same run stopped mid-epoch 5: after two growths, one still to come
    stop_at = 4 * steps_per_epoch + 2
    part_events = []
    part = prepare(growing(handoff, combine), run_dir=tmp_path / "part", emit=part_events.append, num_threads=1)
    part.trainer.flags = Flags(stop=lambda: part.trainer.step >= stop_at)
    run(part)
    assert part.trainer.status == "stopped" and len(part.trainer.model.forest.members) == 3
    assert len(part.trainer.optimizer.param_groups) == 3

    events = []
    resumed = prepare(growing(handoff, combine), run_dir=tmp_path / "resumed", emit=events.append, num_threads=1,
                      resume_from=tmp_path / "part" / "checkpoints" / "last.safetensors")
    assert len(resumed.trainer.model.forest.members) == 3 and resumed.trainer.step == stop_at
    run(resumed)
    assert resumed.trainer.status == "finished"
    assert losses(events) == [(s, v) for s, v in losses(whole_events) if s > stop_at]
    final = whole.trainer.model.state_dict()
    for name, value in resumed.trainer.model.state_dict().items():
        assert torch.equal(value, final[name]), name
    assert [p.requires_grad for p in resumed.trainer.model.parameters()] == \
        [p.requires_grad for p in whole.trainer.model.parameters()]
    assert [len(g["params"]) for g in resumed.trainer.optimizer.param_groups] == \
        [len(g["params"]) for g in whole.trainer.optimizer.param_groups]
    # the resumed run's folder describes the model it trains: its revisions go on from the checkpoint's
    grown = [e for e in events if isinstance(e, HookDecision) and e.decision == "grow"]
    assert len(grown) == 1
    assert [e.revision for e in events if isinstance(e, RevisionCreated)] == [3]
    assert (tmp_path / "resumed" / "model.py").read_text() == (tmp_path / "whole" / "model.py").read_text()
    assert (tmp_path / "resumed" / "project.json").read_text() == (tmp_path / "whole" / "project.json").read_text()
    assert [json.loads(line)["revision"] for line in
            (tmp_path / "resumed" / "revisions.jsonl").read_text().splitlines()] == [3]


def test_resuming_a_grown_forest_through_the_cli(tmp_path, capsys):
    project = tmp_path / "forest.json"
    save(growing("copy", "mean", epochs=5), project)
    assert cli(["train", str(project), "--quiet", "--out", str(tmp_path / "whole")]) == 0
    # stopped after the second growth (epoch 4), then continued from that run's checkpoint
    assert cli(["train", str(project), "--quiet", "--epochs", "4", "--out", str(tmp_path / "part")]) == 0
    checkpoint = tmp_path / "part" / "checkpoints" / "last.safetensors"
    assert cli(["train", str(project), "--quiet", "--resume", str(checkpoint), "--out", str(tmp_path / "resumed")]) == 0
    out = capsys.readouterr().out
    assert "finished after" in out
    whole = load_file(str(tmp_path / "whole" / "weights.safetensors"))
    resumed = load_file(str(tmp_path / "resumed" / "weights.safetensors"))
    assert whole.keys() == resumed.keys()
    for name, value in whole.items():
        torch.testing.assert_close(resumed[name], value, rtol=0, atol=1e-6, msg=name)
    # the run folder's own project (its latest revision) resumes too
    assert cli(["train", str(tmp_path / "part" / "project.json"), "--quiet", "--epochs", "5", "--resume",
                str(checkpoint), "--out", str(tmp_path / "again")]) == 0
    again = load_file(str(tmp_path / "again" / "weights.safetensors"))
    for name, value in whole.items():
        torch.testing.assert_close(again[name], value, rtol=0, atol=1e-6, msg=name)


def test_the_exported_train_script_resumes_a_grown_forest(tmp_path):
    from tests.runtime.trainscript_support import export, run_scripts, script_curve

    doc = growing("copy", "learned", epochs=5)
    steps_per_epoch = len(prepare(doc, run_dir=tmp_path / "app", num_threads=1).trainer.train_loader)
    full = export(doc, tmp_path / "full", None).parent
    part = export(doc, tmp_path / "part", None).parent
    # the whole run and the one stopped after the first growth side by side, from one torch import
    stopped = ["--max-steps", str(2 * steps_per_epoch + 3)]
    assert [r.returncode for r in run_scripts([full, part], {part: stopped})] == [0, 0]
    want = script_curve(full)
    assert len(want["loss"]) == 5 * steps_per_epoch  # the script batches as the app does
    assert torch.load(part / "checkpoints" / "last.pt", weights_only=True)["members"] == {"forest": 2}
    (result,) = run_scripts([part], {part: ["--resume", "checkpoints/last.pt"]})
    assert result.returncode == 0, result.stderr[-2000:]
    got = script_curve(part)
    assert len(got["loss"]) == len(want["loss"])
    torch.testing.assert_close(torch.tensor(got["loss"]), torch.tensor(want["loss"]), rtol=0, atol=1e-6)
    whole, resumed = (load_file(str(f / "checkpoints" / "last.safetensors")) for f in (full, part))
    assert whole.keys() == resumed.keys() and len({k.split(".")[2] for k in whole if ".members." in k}) == 3
    for name, value in whole.items():
        torch.testing.assert_close(resumed[name], value, rtol=0, atol=1e-6, msg=name)


def test_a_grown_forests_checkpoint_given_to_another_project_is_one_line(tmp_path, capsys):
    project = tmp_path / "forest.json"
    save(growing("copy", "mean", epochs=2), project)
    assert cli(["train", str(project), "--quiet", "--out", str(tmp_path / "part")]) == 0
    plain = tmp_path / "plain.json"
    save(load(TEMPLATES / "02_mlp_digits.json", project_registry()), plain)
    capsys.readouterr()
    code = cli(["train", str(plain), "--quiet", "--resume", str(tmp_path / "part" / "checkpoints" / "last.safetensors")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    assert "last.safetensors: the checkpoint grew forest 'forest', which this project does not have" in err[0]
    assert "Traceback" not in err[0]
