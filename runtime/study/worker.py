"""A study worker: takes waiting trials from the storage one at a time until none are left.

The study's budget is its waiting trials (enqueued when the study is made),
and taking one is atomic in the storage, so however many workers join, on
however many machines, each trial runs exactly once. While a trial runs its
worker beats; a trial whose worker died stops beating, and the next worker
that looks marks it failed and enqueues a retry with the same parameters.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runtime.study.claims import fail, take_waiting
from runtime.study.storage import HEARTBEAT, MAX_RETRY, is_journal, open_storage
from runtime.study.trial import TrialFailed, run_trial, worker_id

Log = Callable[[str], None]
#: Seconds between looks while nothing is waiting but other workers' trials run (one may fail and come back).
#: Short, because the study (and `run_local`) ends only when the last worker has looked once more; local
#: workers are woken at once by `Wakeups` instead.
LINGER = 0.5


class Wakeups:
    """Local workers wake each other when a trial ends, so an idle one looks again at once.

    An idle worker waits for another's trial to end (it may fail and come back
    to be retried, or it was the last). Looking again only after `LINGER` cost
    a two-job study up to half a second at its end, when the last trial ended
    just after the idle worker had looked: ~10 % of a 16-trial study of short
    trials. A trial that ends posts a wake-up for each other worker (at most
    that many are kept, so wake-ups posted while nobody waits cost an idle
    worker at most one extra look each). A semaphore has no owner, so a worker
    killed at any moment leaves none held. Workers on other machines still look
    every `LINGER`.
    """

    def __init__(self, context: Any, jobs: int) -> None:
        self._others = max(1, jobs - 1)
        self._posted = context.BoundedSemaphore(self._others)
        for _ in range(self._others):
            self._posted.acquire()

    def post(self) -> None:
        """A trial ended (or came back waiting): wakes the idle workers."""
        for _ in range(self._others):
            try:
                self._posted.release()
            except ValueError:  # as many wake-ups as workers are already posted
                return

    def wait(self, seconds: float) -> None:
        self._posted.acquire(timeout=seconds)


def _states():
    from optuna.trial import TrialState

    return TrialState


@contextmanager
def beating(storage: Any, trial: Any, tid: int, interval: float, journal: bool):
    """Records a heartbeat every `interval` seconds while the trial runs."""
    stop = threading.Event()

    def beat() -> None:
        if journal:
            trial.set_user_attr("heartbeat", time.time())
        else:
            storage.record_heartbeat(tid)

    def loop() -> None:
        while not stop.wait(interval):
            try:
                beat()
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next interval
                pass

    beat()
    thread = threading.Thread(target=loop, daemon=True, name="study-heartbeat")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def recover_stale(storage: Any, study: Any, interval: float, journal: bool) -> None:
    """Fails the trials whose worker stopped beating and enqueues their retries."""
    import optuna
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not journal:
            optuna.storages.fail_stale_trials(study)
            return
        retry = RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)
        now = time.time()
        for frozen in study.get_trials(deepcopy=False, states=(_states().RUNNING,)):
            last = frozen.user_attrs.get("heartbeat")
            started = frozen.datetime_start.timestamp() if frozen.datetime_start else now
            if now - (last or started) > 3 * interval:
                fail(storage, study, frozen, retry)


def describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def work(url: str, name: str, *, trusted: bool = False, num_threads: int | None = None,
         heartbeat: float = HEARTBEAT, log: Log = print, stop: Callable[[], bool] = lambda: False,
         project_dir: str | None = None, wakeups: Wakeups | None = None) -> int:
    """Runs trials of study `name` until none are waiting or running; returns how many this worker ran.

    `project_dir`: the project's folder on this machine (data files, runs/), if not where the study was made.
    `wakeups`: shared with the other local workers (`run_local`), which wake this one when a trial ends.
    """
    import optuna

    from graph.fileformat import loads
    from graph.trust import code_that_runs
    from runtime.commands.check import project_registry
    from runtime.study.setup import make_pruner, make_sampler, read_setup
    from runtime.study.targets import resolve
    from runtime.warm_worker import caching_loader

    storage = open_storage(url, heartbeat)
    study = optuna.load_study(study_name=name, storage=storage)
    setup = read_setup(study)
    if project_dir or not Path(setup.project_dir).is_dir():
        setup.project_dir = str(Path(project_dir or ".").resolve())
    study.sampler, study.pruner = make_sampler(setup.sampler), make_pruner(setup.prune, setup.n_trials)
    registry = project_registry()
    doc = loads(setup.project, registry)
    targets = {p.path: resolve(doc, registry, p.path) for p in setup.params}
    journal, done, states = is_journal(url), 0, _states()
    # Each trial trains on the same data (unless a dataset setting is searched): loaded once per worker
    # (digits: 35 ms of a 0.35 s trial). Not where the project's own code runs: it could change the data.
    datasets = None if code_that_runs(doc, True) else caching_loader()
    while not stop():
        recover_stale(storage, study, heartbeat, journal)
        taken = take_waiting(storage, study)
        if taken is None:
            if not study.get_trials(deepcopy=False, states=(states.RUNNING, states.WAITING)):
                return done
            # Another worker's trial may still fail and come back.
            (wakeups.wait if wakeups is not None else time.sleep)(min(heartbeat, LINGER))
            continue
        trial, tid = taken
        with beating(storage, trial, tid, heartbeat, journal):
            try:
                outcome = run_trial(trial, setup, name, doc, targets, trusted=trusted, num_threads=num_threads,
                                    dataset_loader=datasets)
            except KeyboardInterrupt:
                study.tell(trial, state=states.FAIL)
                raise
            except Exception as exc:  # noqa: BLE001 - a bad corner of the space fails one trial, not the study
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                trial.set_user_attr("error", message if isinstance(exc, (TrialFailed, ValueError)) else
                                    f"{type(exc).__name__}: {message}")
                study.tell(trial, state=states.FAIL)
                _ended(wakeups)
                log(f"trial {trial.number:>3}  failed    {message}")
                done += 1
                continue
        if outcome.pruned:
            study.tell(trial, state=states.PRUNED)
        else:
            study.tell(trial, outcome.value)
        _ended(wakeups)
        state = "pruned" if outcome.pruned else "complete"
        value = "" if outcome.value is None else f"{setup.metric} {outcome.value:.4f}  "
        log(f"trial {trial.number:>3}  {state:<9} {value}{describe(outcome.values)}  "
            f"({outcome.epochs} epochs, {outcome.seconds:.1f} s, {worker_id()})")
        done += 1
    return done


def _ended(wakeups: Wakeups | None) -> None:
    if wakeups is not None:
        wakeups.post()
