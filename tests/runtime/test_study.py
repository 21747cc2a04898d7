"""Optuna studies over node parameters and recipe fields: parsing, checking, running, resuming, failing."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from app.launch import EXAMPLE
from graph import load
from graph.edits import apply
from runtime import cli
from runtime.commands.check import project_registry
from runtime.study.launch import check_space
from runtime.study.space import SpaceError, parse_param
from runtime.study.targets import apply_values, edits, resolve

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def torchcanvas(capfd):
    """The command line, in this process (a study with --jobs 1 trains here; more jobs spawn workers)."""

    def call(*args):
        capfd.readouterr()
        code = cli.run(list(args))
        out, err = capfd.readouterr()
        return Result(code, out, err)

    return call


def project(tmp_path, **recipe):
    data = json.loads(EXAMPLE.read_text())
    data["recipe"].update({"epochs": 2, "batch_size": 128, **recipe})
    path = tmp_path / "digits.json"
    path.write_text(json.dumps(data))
    return path


def trials(path, name="digits", storage=None):
    url = storage or f"sqlite:///{path.with_suffix('.optuna.db')}"
    return optuna.load_study(study_name=name, storage=url).get_trials()


def test_param_specs_parse():
    p = parse_param("fc1.out_features=int:8..512:log")
    assert (p.path, p.kind, p.low, p.high, p.log) == ("fc1.out_features", "int", 8, 512, True)
    p = parse_param("recipe.optimizer.lr=float:1e-4..1e-1:log")
    assert (p.kind, p.low, p.high, p.log) == ("float", 1e-4, 0.1, True)
    assert parse_param("recipe.hooks.revert_noise.sigma=choice:0,0.01,0.05").choices == (0, 0.01, 0.05)
    assert parse_param("conv.kernel_size=choice:[3,3],[5,5]").choices == ([3, 3], [5, 5])
    assert parse_param("act.mode=choice:relu,tanh").choices == ("relu", "tanh")


@pytest.mark.parametrize("text,message", [
    ("fc1.out_features", "expected PATH=SPEC"),
    ("fc1.out_features=int:512..8", "the range 512..8 is empty"),
    ("fc1.out_features=int:8..8", "the range 8..8 is empty"),
    ("fc1.out_features=int:1.5..8", "int ranges need whole numbers"),
    ("recipe.optimizer.lr=float:0..1:log", "a log range must be above 0"),
    ("recipe.optimizer.lr=float:1e-4", "expected a range LOW..HIGH"),
    ("recipe.optimizer.lr=normal:0..1", "unknown kind 'normal'"),
    ("fc1.out_features=choice:", "choice needs at least one value"),
    ("fc1.out_features=choice:2,2", "listed twice"),
])
def test_bad_param_specs_are_one_line_errors(text, message):
    with pytest.raises(SpaceError, match=re.escape(message)) as info:
        parse_param(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text,message", [
    ("nope.out_features=int:8..64", "no node labelled 'nope'"),
    ("fc1.width=int:8..64", "node 'fc1' (Linear) has no parameter 'width'"),
    ("fc1.out_features=float:8..64", "does not fit fc1.out_features: expected a positive integer"),
    ("fc1.out_features=int:0..64", "0 does not fit fc1.out_features"),
    ("recipe.optimizer.lrr=float:1e-4..1e-2", "recipe.optimizer.lrr"),
    ("recipe.epochs=float:1..5", "does not fit recipe.epochs"),
    ("recipe.optimizer.name=choice:adam,lion", "'lion' does not fit recipe.optimizer.name"),
    ("recipe.hooks.revert_noise.sigma=choice:0.1", "the recipe needs a 'revert_noise' hook"),
    ("recipe.dataset.val_fraction=float:0.1..1.5", "does not fit recipe.dataset.val_fraction"),
])
def test_paths_and_ranges_are_checked_against_the_project(text, message):
    doc = load(EXAMPLE, project_registry())
    with pytest.raises(SpaceError, match=re.escape(message)):
        check_space(doc, project_registry(), [parse_param(text)], EXAMPLE.parent)


def test_values_apply_to_a_copy_and_as_one_undoable_edit():
    doc = load(EXAMPLE, project_registry())
    doc.recipe["hooks"] = [{"name": "revert_noise", "params": {"sigma": 0.01}}]
    registry = project_registry()
    paths = ["fc1.out_features", "recipe.optimizer.lr", "recipe.policy.sigma"]
    targets = {p: resolve(doc, registry, p) for p in paths}
    values = {"fc1.out_features": 48, "recipe.optimizer.lr": 0.02, "recipe.policy.sigma": 0.05}
    variant = apply_values(doc, targets, values)
    assert variant.graph.node_by_label("fc1").params["out_features"] == 48
    assert variant.recipe["optimizer"]["lr"] == 0.02 and variant.recipe["hooks"][0]["params"]["sigma"] == 0.05
    assert doc.graph.node_by_label("fc1").params["out_features"] != 48  # the project itself is untouched
    before = json.dumps(doc.recipe, sort_keys=True), dict(doc.graph.node_by_label("fc1").params)
    undo = apply(doc, edits(doc, targets, values))
    assert doc.graph.node_by_label("fc1").params["out_features"] == 48 and doc.recipe["optimizer"]["lr"] == 0.02
    apply(doc, undo)
    assert (json.dumps(doc.recipe, sort_keys=True), dict(doc.graph.node_by_label("fc1").params)) == before


def test_study_runs_each_trial_as_a_run_folder_and_reports_the_best(torchcanvas, tmp_path):
    path = project(tmp_path)
    result = torchcanvas("study", str(path), "--param", "fc1.out_features=int:4..64:log", "--param",
                         "recipe.optimizer.lr=float:1e-3..3e-2:log", "--trials", "4", "--sampler", "random",
                         "--prune", "none")
    assert result.returncode == 0, result.stderr
    done = trials(path)
    assert [t.state for t in done] == [TrialState.COMPLETE] * 4
    for t in done:
        run_dir = Path(t.user_attrs["run_dir"])
        assert run_dir.parent == tmp_path / "runs" and (run_dir / "weights.safetensors").exists()
        revision = json.loads((run_dir / "project.json").read_text())
        fc1 = next(n for n in revision["nodes"] if n["label"] == "fc1")
        assert fc1["params"]["out_features"] == t.params["fc1.out_features"]
        assert revision["recipe"]["optimizer"]["lr"] == t.params["recipe.optimizer.lr"]
        assert list(t.intermediate_values) == [0, 1]  # validation reported after each epoch
        assert t.value == t.user_attrs["metrics"]["val_loss"]
    best = min(done, key=lambda t: t.value)
    assert f"best: trial {best.number}  val_loss {best.value:.4f}" in result.stdout


def test_study_resumes_to_its_budget_and_refuses_a_different_search_under_the_same_name(torchcanvas, tmp_path):
    path = project(tmp_path, epochs=1)
    args = ["study", str(path), "--param", "fc1.out_features=choice:8,16,32", "--sampler", "grid"]
    assert torchcanvas(*args, "--trials", "2").returncode == 0
    assert len(trials(path)) == 2
    result = torchcanvas(*args, "--trials", "3")
    assert result.returncode == 0, result.stderr
    done = trials(path)
    assert len(done) == 3 and sorted(t.params["fc1.out_features"] for t in done) == [8, 16, 32]
    other = torchcanvas("study", str(path), "--param", "fc1.out_features=choice:8,64", "--sampler", "grid")
    assert other.returncode == 1 and other.stderr.count("\n") == 1
    assert "--name digits: a study of that name exists in the storage and differs" in other.stderr


@pytest.mark.parametrize("storage,message", [
    ("postgresql://nobody@127.0.0.1:9/nowhere", "cannot reach storage postgresql://nobody@127.0.0.1:9/nowhere"),
    ("journal:/no/such/folder/study.log", "the folder /no/such/folder does not exist"),
    ("nonsense", "expected sqlite:///FILE"),
])
def test_unreachable_storage_is_one_line_before_any_trial(torchcanvas, tmp_path, storage, message):
    path = project(tmp_path)
    result = torchcanvas("study", str(path), "--param", "fc1.out_features=int:4..64", "--storage", storage)
    assert result.returncode == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "runs").exists()


def test_bad_path_is_one_line_before_any_trial(torchcanvas, tmp_path):
    path = project(tmp_path)
    result = torchcanvas("study", str(path), "--param", "fc9.out_features=int:4..64")
    assert result.returncode == 1 and result.stderr == "error: --param fc9.out_features: no node labelled 'fc9'\n"
    assert not (tmp_path / "runs").exists() and not path.with_suffix(".optuna.db").exists()


def test_pruning_stops_bad_trials_after_an_epoch(torchcanvas, tmp_path):
    path = project(tmp_path, epochs=4)
    result = torchcanvas("study", str(path), "--param", "recipe.optimizer.lr=choice:0.01,0.02,0.00001,0.000001",
                         "--sampler", "grid", "--prune", "median")
    assert result.returncode == 0, result.stderr
    done = {t.params["recipe.optimizer.lr"]: t for t in trials(path)}
    assert done[0.01].state == TrialState.COMPLETE and done[0.02].state == TrialState.COMPLETE
    pruned = [lr for lr, t in done.items() if t.state == TrialState.PRUNED]
    assert pruned and set(pruned) <= {1e-5, 1e-6}, pruned  # the first trials of a study are never pruned
    assert all(len(done[lr].intermediate_values) < 4 for lr in pruned)


def _wait_for(predicate, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def _running(path):
    try:
        return [t for t in trials(path) if t.state == TrialState.RUNNING and "worker" in t.user_attrs]
    except Exception:  # noqa: BLE001 - the study may not exist yet
        return []


def test_a_killed_worker_fails_its_trial_which_is_retried_and_the_study_completes(tmp_path):
    path = project(tmp_path, epochs=3)
    proc = subprocess.Popen([sys.executable, "-m", "app", "study", str(path), "--param",
                             "fc1.out_features=choice:8,16,24", "--sampler", "grid", "--jobs", "2", "--prune", "none"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    victim = _wait_for(lambda: _running(path))[0]
    os.kill(int(victim.user_attrs["worker"].split(":")[1]), signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "ended with signal 9; its trial is marked failed and will be retried" in out
    done = trials(path)
    assert [t.state for t in done].count(TrialState.FAIL) == 1
    assert sorted(t.params["fc1.out_features"] for t in done if t.state == TrialState.COMPLETE) == [8, 16, 24]


def test_a_study_killed_whole_is_resumed_and_its_stale_trial_retried(torchcanvas, tmp_path):
    path = project(tmp_path, epochs=3)
    args = ["study", str(path), "--param", "fc1.out_features=choice:8,16", "--sampler", "grid", "--prune", "none",
            "--heartbeat", "1"]
    proc = subprocess.Popen([sys.executable, "-m", "app", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=ENV)
    _wait_for(lambda: _running(path))
    proc.kill()
    proc.wait()
    assert len(_running(path)) == 1  # nobody is left to say it failed
    result = torchcanvas(*args)
    assert result.returncode == 0, result.stderr
    done = trials(path)
    assert [t.state for t in done].count(TrialState.FAIL) == 1
    assert sorted(t.params["fc1.out_features"] for t in done if t.state == TrialState.COMPLETE) == [8, 16]


def test_jobs_run_trials_in_separate_processes_each_exactly_once(torchcanvas, tmp_path):
    path = project(tmp_path, epochs=1)
    result = torchcanvas("study", str(path), "--param", "fc1.out_features=int:4..64", "--trials", "6",
                         "--sampler", "random", "--jobs", "2", "--prune", "none")
    assert result.returncode == 0, result.stderr
    done = trials(path)
    assert len(done) == 6 and all(t.state == TrialState.COMPLETE for t in done)
    assert len({t.user_attrs["worker"] for t in done}) == 2
    assert sorted(int(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("trial ")) == \
        list(range(6))
    assert len({t.user_attrs["run_dir"] for t in done}) == 6


def test_study_plot_draws_the_objective_against_the_searched_parameter(torchcanvas, tmp_path):
    from runtime.study.figure import figure_of
    from runtime.study.results import read_results

    path = project(tmp_path, epochs=1)
    out = tmp_path / "widths.png"
    result = torchcanvas("study", str(path), "--param", "fc1.out_features=choice:32,4,128", "--sampler", "grid",
                         "--prune", "none", "--plot", str(out), "--mark", "inputs=64")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"plot: {out}" in result.stdout
    by_width = {t.params["fc1.out_features"]: t for t in trials(path)}
    figure = figure_of(read_results(f"sqlite:///{path.with_suffix('.optuna.db')}", "digits"))
    assert figure.x == [4, 32, 128] and figure.xlabel == "fc1.out_features" and figure.log_x
    assert figure.series["val_loss (validation)"] == [by_width[w].value for w in (4, 32, 128)]
    assert figure.series["loss on the training set"] == [by_width[w].user_attrs["train_loss"] for w in (4, 32, 128)]


def test_a_bad_plot_mark_is_one_line_before_any_trial(torchcanvas, tmp_path):
    path = project(tmp_path)
    result = torchcanvas("study", str(path), "--param", "fc1.out_features=choice:4,8", "--plot",
                         str(tmp_path / "p.png"), "--mark", "threshold=two hundred")
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0
    assert "--mark threshold=two hundred" in result.stderr and not path.with_suffix(".optuna.db").exists()


@pytest.mark.parametrize("text,path", [
    ("recipe.batch_size=choice:a,b", "recipe.batch_size"),
    ("recipe.epochs=float:1..5", "recipe.epochs"),
])
def test_a_recipe_value_that_does_not_fit_names_its_path_once(text, path):
    """The line read `'a' does not fit recipe.batch_size: recipe.batch_size: expected ...`."""
    doc = load(EXAMPLE, project_registry())
    with pytest.raises(SpaceError) as info:
        check_space(doc, project_registry(), [parse_param(text)], EXAMPLE.parent)
    reason = str(info.value).split(" does not fit ", 1)[1]
    assert reason.count(path) == 1, str(info.value)
