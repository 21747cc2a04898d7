"""The storage contract study workers rely on (`runtime.study.claims`), on SQLite and journal storages.

Workers take waiting trials with Optuna's public storage interface instead of
`Study.ask()` (which makes a new trial when none is waiting). If a release of
Optuna changes what these methods promise, these tests fail first.
"""

from __future__ import annotations

import threading

import optuna
import pytest
from optuna.trial import TrialState

from runtime.study.claims import fail, take_waiting, trial_id
from runtime.study.storage import open_storage


@pytest.fixture(params=["sqlite", "journal"])
def url(request, tmp_path):
    return f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite" else f"journal:{tmp_path / 's.log'}"


def make(url: str, n: int):
    study = optuna.create_study(study_name="s", storage=open_storage(url))
    for k in range(n):
        study.enqueue_trial({"x": float(k)})
    return study


def test_running_to_running_is_refused(url):
    storage = open_storage(url)
    study = make(url, 1)
    tid = trial_id(storage, study, 0)
    assert storage.set_trial_state_values(tid, state=TrialState.RUNNING) is True
    assert storage.set_trial_state_values(tid, state=TrialState.RUNNING) is False


def test_racing_workers_take_each_waiting_trial_exactly_once_and_make_none(url):
    make(url, 12)
    taken: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        storage = open_storage(url)  # each worker its own connection, as on separate machines
        study = optuna.load_study(study_name="s", storage=storage)
        while (claim := take_waiting(storage, study)) is not None:
            trial, tid = claim
            assert trial.suggest_float("x", 0, 100) == trial.params["x"]  # the enqueued value
            with lock:
                taken.append(trial.number)
            study.tell(trial, trial.params["x"])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == list(range(12))
    study = optuna.load_study(study_name="s", storage=open_storage(url))
    assert len(study.trials) == 12 and all(t.state == TrialState.COMPLETE for t in study.trials)
    assert take_waiting(open_storage(url), study) is None
    assert len(study.trials) == 12  # nothing was made when nothing was waiting


def test_a_dead_workers_trial_fails_and_comes_back_with_its_parameters(url):
    storage = open_storage(url)
    study = make(url, 1)
    trial, _ = take_waiting(storage, study)
    trial.suggest_float("x", 0, 100)
    frozen = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))[0]
    assert fail(storage, study, frozen) is True
    assert fail(storage, study, frozen) is False  # already failed
    states = [t.state for t in study.get_trials(deepcopy=False)]
    assert states == [TrialState.FAIL, TrialState.WAITING]
    retry, _ = take_waiting(storage, study)
    assert retry.suggest_float("x", 0, 100) == 0.0
