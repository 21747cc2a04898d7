"""Taking, beating and failing trials through Optuna's public storage interface (`optuna.storages.BaseStorage`).

`Study.ask()` takes a waiting trial but, when none is left, makes a new one:
a worker that must stop when the budget is spent cannot call it. Its
internals (`Study._pop_waiting_trial_id`, `Trial._trial_id`) are private, so
the same steps are taken here with the storage's documented methods:

* `get_trial_id_from_study_id_trial_number` names a trial by its number;
* `set_trial_state_values(trial_id, RUNNING)` is atomic (row lock in RDB
  storages, the replayed log in journal storages) and returns False when the
  trial is no longer waiting, so exactly one caller wins it (BaseStorage's
  contract: "False if the state is kept the same");
* `optuna.trial.Trial(study, trial_id)` is what `ask()` returns for it;
  the waiting trials are listed with `Study.get_trials`, which brings the
  study's view of the storage up to date.

`tests/runtime/test_study_claims.py` checks that contract on SQLite and journal
storages with racing threads, so an Optuna release that changes it fails there
first.
"""

from __future__ import annotations

from typing import Any


def trial_id(storage: Any, study: Any, number: int) -> int:
    """The storage's id of trial `number` of `study`."""
    study_id = storage.get_study_id_from_name(study.study_name)
    return storage.get_trial_id_from_study_id_trial_number(study_id, number)


def take_waiting(storage: Any, study: Any) -> tuple[Any, int] | None:
    """The next waiting trial, now running here, with its storage id; None when none is waiting."""
    import optuna
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    study_id = storage.get_study_id_from_name(study.study_name)
    # Listed through the study, so the study's own view of the storage (a cache for RDB storages) knows
    # the trial before `Trial` writes its parameters through it.
    for frozen in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        tid = storage.get_trial_id_from_study_id_trial_number(study_id, frozen.number)
        try:
            if storage.set_trial_state_values(tid, state=TrialState.RUNNING):
                return optuna.trial.Trial(study, tid), tid
        except UpdateFinishedTrialError:  # another worker took it and finished it meanwhile
            continue
    return None


def fail(storage: Any, study: Any, frozen: Any, retry: Any = None, reason: str = "") -> bool:
    """Marks a running trial failed (its worker is gone) and enqueues a retry; False if it had finished.

    `reason` is kept as the trial's "error" (what the trials table shows for it).
    """
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from optuna.trial import TrialState

    from runtime.study.storage import MAX_RETRY

    tid = trial_id(storage, study, frozen.number)
    try:
        if reason:
            storage.set_trial_user_attr(tid, "error", reason)
        if not storage.set_trial_state_values(tid, state=TrialState.FAIL):
            return False
    except UpdateFinishedTrialError:
        return False
    (retry or RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY))(study, frozen)
    return True
