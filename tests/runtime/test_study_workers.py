"""What a study worker does once rather than per trial, and how local workers end together.

A worker loads the project's dataset once for all its trials. An idle local worker waits while another's trial runs (that trial may fail and
come back). It used to look again only every `LINGER` seconds, so a two-job
study ended up to that long after its last trial. Here `LINGER` is made far
longer than the test may take: the idle worker must be woken by the trial's end.
"""

from __future__ import annotations

import json
import time

import optuna
from optuna.trial import TrialState

from app.launch import EXAMPLE
from graph import load
from runtime.commands.check import project_registry
from runtime.study import worker
from runtime.study.launch import LocalWorkers, create_or_resume, setup_for
from runtime.study.space import parse_param
from runtime.study.trial import Outcome


def _study(tmp_path, trials: int, **recipe) -> str:
    path = tmp_path / "digits.json"
    data = json.loads(EXAMPLE.read_text())
    data["recipe"].update(recipe)
    path.write_text(json.dumps(data))
    doc = load(path, project_registry())
    setup = setup_for(doc, path, [parse_param("fc1.out_features=int:8..64:log")], sampler="random", prune="none",
                      n_trials=trials)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    create_or_resume(setup, url, "s")
    return url


def test_an_idle_worker_is_woken_when_the_last_trial_ends(tmp_path, monkeypatch):
    url = _study(tmp_path, trials=2)
    release = tmp_path / "release"

    def trial_zero_waits_for_the_test(trial, *_args, **_kwargs):  # no training: the trials' timing is the test's
        while trial.number == 0 and not release.exists():
            time.sleep(0.02)
        return Outcome(0.5, False, 1, 0.0, {})

    monkeypatch.setattr(worker, "run_trial", trial_zero_waits_for_the_test)
    monkeypatch.setattr(worker, "LINGER", 3600.0)  # an idle worker not woken would outlast the test
    workers = LocalWorkers(url, "s", 2, heartbeat=3600.0, log=lambda line: None, start_method="fork")
    workers.start()
    try:
        study = optuna.load_study(study_name="s", storage=url)
        deadline = time.monotonic() + 120
        while [t.state for t in study.get_trials()] != [TrialState.RUNNING, TrialState.COMPLETE]:
            assert time.monotonic() < deadline, [t.state for t in study.get_trials()]
            time.sleep(0.05)
        assert len(workers.processes) == 2, "the worker that ran trial 1 waits while trial 0 runs"
        release.touch()
        while workers.poll():
            assert time.monotonic() < deadline, "the idle worker was not woken when trial 0 ended"
            workers.wait(0.2)
    finally:
        workers.stop()
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 2


def test_a_worker_loads_its_dataset_once_for_all_its_trials(tmp_path, monkeypatch):
    import runtime.data

    url = _study(tmp_path, trials=3, epochs=1, checkpoint_every=0)
    loads: list[str] = []
    load = runtime.data.load_dataset
    monkeypatch.setattr(runtime.data, "load_dataset", lambda spec, folder: (loads.append(spec["name"]),
                                                                             load(spec, folder))[1])
    assert worker.work(url, "s", log=lambda line: None) == 3
    study = optuna.load_study(study_name="s", storage=url)
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 3
    assert loads == ["digits"]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_local_workers_end_with_a_study_killed_outright(tmp_path):
    """A SIGKILLed study runs no clean-up: the kernel must end its forked workers (PR_SET_PDEATHSIG)."""
    import os
    import signal
    import subprocess
    import sys

    path = tmp_path / "digits.json"
    data = json.loads(EXAMPLE.read_text())
    data["recipe"].update({"epochs": 20000, "checkpoint_every": 0})  # trials that outlast the test
    path.write_text(json.dumps(data))
    url = f"sqlite:///{path.with_suffix('.optuna.db')}"
    study = subprocess.Popen([sys.executable, "-m", "app", "study", str(path), "--param",
                              "fc1.out_features=choice:8,16", "--sampler", "grid", "--jobs", "2", "--prune", "none"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 300
        while len(workers) < 2:
            assert time.monotonic() < deadline and study.poll() is None, "two trials never ran"
            time.sleep(0.3)
            try:
                running = optuna.load_study(study_name="digits", storage=url).get_trials(states=(TrialState.RUNNING,))
            except KeyError:  # not made yet
                continue
            workers = [int(t.user_attrs["worker"].split(":")[1]) for t in running if "worker" in t.user_attrs]
        study.kill()  # no clean-up runs: the kernel ends the workers with their parent
        study.wait()
        deadline = time.monotonic() + 60
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived its killed study"
            time.sleep(0.1)
    finally:
        study.kill()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
