"""Studies: two local jobs against one, and pruning against none, on this 2-core machine.

Printed figures (issue #15): K = 2 jobs finish a 16-trial study in ≤ 0.6× the
time of K = 1 (medians of 3 rounds); median pruning cuts the total epochs of a width study by
≥ 40 % and finds the same best value within noise. Arms are interleaved.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time

import optuna
import pytest
from optuna.trial import TrialState

from app.launch import EXAMPLE
from graph import load
from runtime.commands.check import project_registry
from runtime.study.launch import create_or_resume, run_local, setup_for
from runtime.study.space import parse_param

pytestmark = pytest.mark.slow


def _project(tmp_path, epochs: int, batch_size: int = 32):
    data = json.loads(EXAMPLE.read_text())
    data["recipe"].update({"epochs": epochs, "batch_size": batch_size, "checkpoint_every": 0})
    path = tmp_path / "digits.json"
    path.write_text(json.dumps(data))
    return path


def _study(path, name: str, params: list[str], trials: int, prune: str, sampler: str = "random"):
    doc = load(path, project_registry())
    setup = setup_for(doc, path, [parse_param(p) for p in params], sampler=sampler, prune=prune, n_trials=trials)
    url = f"sqlite:///{path.with_suffix('.optuna.db')}"
    create_or_resume(setup, url, name)
    return url


def _cpu() -> float:
    """CPU seconds of this process and its ended children (K = 1 runs its trials here, K = 2 in children)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def test_two_local_jobs_against_one(tmp_path):
    path = _project(tmp_path, epochs=4)
    params = ["fc1.out_features=int:16..128:log", "recipe.optimizer.lr=float:1e-3..1e-2:log"]
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}  # per trial: does not depend on the other engineers' load
    loads: dict[int, list[float]] = {1: [], 2: []}
    for rep, jobs in enumerate((1, 2, 2, 1, 1, 2)):
        url = _study(path, f"jobs{jobs}-{rep}", params, 16, "none")
        start, used = time.perf_counter(), _cpu()
        run_local(url, f"jobs{jobs}-{rep}", jobs, log=lambda line: None)
        times[jobs].append(time.perf_counter() - start)
        cpu[jobs].append((_cpu() - used) / 16)
        loads[jobs].append(round(os.getloadavg()[0], 1))
        done = optuna.load_study(study_name=f"jobs{jobs}-{rep}", storage=url).get_trials()
        assert len(done) == 16 and all(t.state == TrialState.COMPLETE for t in done)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    rounds = {k: [round(t, 1) for t in v] for k, v in times.items()}
    per_trial = {k: [round(t, 3) for t in v] for k, v in cpu.items()}
    print(f"\n[bench] 16-trial study, medians of 3 interleaved rounds: 1 job {one:.1f} s, 2 jobs {two:.1f} s, "
          f"ratio {two / one:.2f} (target ≤ 0.60; rounds {rounds}; load after each {loads}); "
          f"CPU per trial, all processes: {per_trial} s")
    assert two / one <= 0.6


def test_median_pruning_cuts_epochs_and_keeps_the_best(tmp_path):
    path = _project(tmp_path, epochs=8, batch_size=64)
    # The same 24 points in both arms (a grid), so only pruning differs.
    params = ["fc1.out_features=choice:1,2,4,8,16,32,64,128", "recipe.optimizer.lr=choice:0.0003,0.003,0.03"]
    results = {}
    for prune in ("none", "median"):
        url = _study(path, prune, params, 24, prune, sampler="grid")
        run_local(url, prune, 2, log=lambda line: None)
        study = optuna.load_study(study_name=prune, storage=url)
        epochs = sum(t.user_attrs.get("epochs", 0) for t in study.trials)
        results[prune] = (epochs, study.best_value, sum(t.state == TrialState.PRUNED for t in study.trials))
    (full, best_full, _), (cut, best_cut, pruned) = results["none"], results["median"]
    print(f"\n[bench] width study, 24 trials × 8 epochs: {full} epochs without pruning (best val_loss "
          f"{best_full:.4f}), {cut} with median pruning ({pruned} pruned, best {best_cut:.4f}): "
          f"{1 - cut / full:.0%} fewer epochs")
    assert cut <= 0.6 * full
    assert abs(best_cut - best_full) <= 0.03 + 0.15 * best_full
