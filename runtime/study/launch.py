"""Making (or resuming) a study, checking everything first, and running its trials in local worker processes.

Everything that can be wrong is found before a trial starts: paths that name
nothing, ranges that are empty or do not fit, a storage that cannot be
reached, a study name already used for another search.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import random
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph import Document
from graph.fileformat import dumps
from runtime.study.claims import fail
from runtime.study.setup import ATTR, StudySetup, make_pruner, make_sampler, read_setup
from runtime.study.space import SearchParam, SpaceError, grid
from runtime.study.storage import HEARTBEAT, StorageError, open_storage
from runtime.study.targets import check, resolve
from runtime.study.worker import Wakeups, work


class StudyError(ValueError):
    """The study cannot start; the message says what to change."""


def check_space(doc: Document, registry: Any, params: list[SearchParam], project_dir: Path | None) -> None:
    if not params:
        raise SpaceError("give at least one --param PATH=SPEC, e.g. --param fc1.out_features=int:8..512:log")
    paths = [p.path for p in params]
    if len(set(paths)) != len(paths):
        raise SpaceError(f"--param {next(p for p in paths if paths.count(p) > 1)} is given twice")
    for param in params:
        check(doc, resolve(doc, registry, param.path), param, project_dir)


def create_or_resume(setup: StudySetup, url: str, name: str, heartbeat: float = HEARTBEAT) -> Any:
    """The study with `setup.n_trials` trials done or waiting; raises StudyError/StorageError first."""
    import optuna
    from optuna.trial import TrialState

    storage = open_storage(url, heartbeat)
    direction = setup.direction
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        study = optuna.create_study(study_name=name, storage=storage, direction=direction,
                                    sampler=make_sampler(setup.sampler), pruner=make_pruner(setup.prune, 1))
        study.set_user_attr(ATTR, setup.to_attr())
    else:
        try:
            existing = read_setup(study)
        except ValueError as exc:
            raise StudyError(f"--name {name}: {exc}") from None
        difference = existing.same_search(setup)
        if difference:
            raise StudyError(f"--name {name}: a study of that name exists in the storage and differs (this run "
                             f"{difference}); choose another --name, or repeat its settings to resume it")
    live = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
    trials = study.get_trials(deepcopy=False, states=live)
    if setup.sampler == "grid":
        taken = {tuple(sorted((k, repr(v)) for k, v in t.params.items())) for t in trials}
        taken |= {tuple(sorted((k, repr(v)) for k, v in t.system_attrs.get("fixed_params", {}).items()))
                  for t in trials}
        points = grid(setup.params)
        random.Random(0).shuffle(points)  # a partial grid is a sample, and pruning sees a fair start
        for point in points[: setup.n_trials]:
            if tuple(sorted((k, repr(v)) for k, v in point.items())) not in taken:
                study.enqueue_trial(point)
    else:
        for _ in range(setup.n_trials - len(trials)):
            study.enqueue_trial({})
    return study


def end_with_parent(parent: int) -> None:
    """Asks the kernel to end this worker when the process that started it dies.

    A study killed outright (SIGKILL, an out-of-memory kill, a crashed window)
    runs none of its clean-up, and its forked workers would go on training
    orphaned trials. With PR_SET_PDEATHSIG they get SIGTERM instead; their
    trials stop beating and come back to be retried when the study resumes.
    The workers stay in their parent's session: the scheduler's per-session
    share (autogroup) is the user's policy, not ours to escape.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _job(url: str, name: str, trusted: bool, threads: int, heartbeat: float, project_dir: str | None,
         wakeups: Wakeups, parent: int) -> None:
    import signal

    import torch

    end_with_parent(parent)

    # A forked worker inherits its parent's handlers (the window's study host turns SIGTERM into a clean
    # exit of its own); a worker must end at once when `stop()` terminates it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    torch.set_num_threads(threads)
    work(url, name, trusted=trusted, num_threads=threads, heartbeat=heartbeat, project_dir=project_dir,
         wakeups=wakeups)


def warm_start_method() -> str:
    """"fork" where this process can be copied safely, so workers start with its imports (torch, Optuna) done.

    A worker is long-lived (it takes trials until none is left), but a spawned
    one still spends seconds importing torch and Optuna before its first trial,
    which on short trials costs more than the second job gains. A forked copy
    starts at once. Forking is safe only without other threads (their locks
    would be copied held), so a process with threads (a Qt window: it runs its
    studies through `runtime.study.host`, a process of its own) spawns.
    """
    if hasattr(os, "fork") and threading.active_count() == 1 and not _qt_application():
        return "fork"
    return "spawn"


def _qt_application() -> bool:
    """True when a Qt application object exists here (its threads are not Python's, so not counted above)."""
    qt = sys.modules.get("PySide6.QtCore")
    return qt is not None and qt.QCoreApplication.instance() is not None


class LocalWorkers:
    """`jobs` worker processes on this machine, watched without blocking (the window polls `poll()`).

    Each worker is warm and long-lived: it takes waiting trials one after the
    other from the storage (as `study-worker` does on other machines), and it is
    forked from this process where that is safe (`warm_start_method`).
    A worker that dies (crash, SIGKILL, out of memory) has its running trial
    marked failed at once (it is retried with the same parameters) and is
    replaced while trials are waiting, at most 2 × jobs times. `stop()` ends
    the workers; their running trials are failed so that resuming retries them.
    """

    # One thread per trial: trials in parallel beat threads in parallel for the models people search,
    # and intra-op threads slow to a crawl when the cores are oversubscribed.
    THREADS = 1

    def __init__(self, url: str, name: str, jobs: int, *, trusted: bool = False, heartbeat: float = HEARTBEAT,
                 log: Callable[[str], None] = print, project_dir: str | None = None,
                 start_method: str | None = None) -> None:
        self.url, self.name, self.jobs, self.heartbeat, self.log = url, name, jobs, heartbeat, log
        self.start_method = start_method or warm_start_method()
        self._context = multiprocessing.get_context(self.start_method)
        self.wakeups = Wakeups(self._context, jobs)
        self._args = (url, name, trusted, self.THREADS, heartbeat, project_dir, self.wakeups, os.getpid())
        self.processes: list[Any] = []
        self.restarts = 2 * jobs

    def start(self) -> None:
        if self.start_method == "fork":
            _preload()
        for _ in range(self.jobs):
            self._spawn()

    def _spawn(self) -> None:
        proc = self._context.Process(target=_job, args=self._args, daemon=False)
        proc.start()
        self.processes.append(proc)

    @property
    def running(self) -> bool:
        return bool(self.processes)

    def poll(self) -> bool:
        """Looks after ended workers; True while any is alive."""
        for proc in [p for p in self.processes if not p.is_alive()]:
            self.processes.remove(proc)
            if proc.exitcode:
                self.log(f"worker {proc.pid} ended with {_exit_text(proc.exitcode)}; its trial is marked failed "
                         "and will be retried")
                _fail_trials_of(self.url, self.name, proc.pid, self.heartbeat,
                                f"its worker ended with {_exit_text(proc.exitcode)}; retried")
                self.wakeups.post()  # its retry is waiting: an idle worker takes it now
                if self.restarts and _waiting(self.url, self.name, self.heartbeat):
                    self.restarts -= 1
                    self._spawn()
        return self.running

    def wait(self, seconds: float) -> None:
        """Returns when a worker ends, or after `seconds`."""
        multiprocessing.connection.wait([p.sentinel for p in self.processes], timeout=seconds)

    def stop(self, reason: str = "stopped; retried when the study resumes") -> None:
        """Ends every worker now; their running trials become failed, saying `reason` (retried on resuming)."""
        procs, self.processes = self.processes, []
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join()
            _fail_trials_of(self.url, self.name, proc.pid, self.heartbeat, reason)


def _preload() -> None:
    """The training code, imported once here so that every forked worker starts with it done."""
    import torch

    import runtime.session  # noqa: F401
    import runtime.study.trial  # noqa: F401

    torch.set_num_threads(LocalWorkers.THREADS)  # no intra-op thread pool for the forked workers to inherit


def run_local(url: str, name: str, jobs: int, *, trusted: bool = False, heartbeat: float = HEARTBEAT,
              log: Callable[[str], None] = print, project_dir: str | None = None) -> None:
    """Runs the study's waiting trials in `jobs` processes (this one when jobs == 1)."""
    if jobs == 1:
        import torch

        torch.set_num_threads(LocalWorkers.THREADS)
        work(url, name, trusted=trusted, num_threads=LocalWorkers.THREADS, heartbeat=heartbeat, log=log,
             project_dir=project_dir)
        return
    workers = LocalWorkers(url, name, jobs, trusted=trusted, heartbeat=heartbeat, log=log, project_dir=project_dir)
    workers.start()
    try:
        while workers.poll():
            workers.wait(0.2)
    finally:
        workers.stop()


def _exit_text(code: int) -> str:
    return f"signal {-code}" if code < 0 else f"exit code {code}"


def _fail_trials_of(url: str, name: str, pid: int, heartbeat: float, reason: str) -> None:
    import optuna
    from optuna.trial import TrialState

    from runtime.study.trial import worker_id

    storage = open_storage(url, heartbeat)
    study = optuna.load_study(study_name=name, storage=storage)
    host = worker_id().split(":")[0]
    for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if frozen.user_attrs.get("worker") == f"{host}:{pid}":
            fail(storage, study, frozen, reason=reason)


def _waiting(url: str, name: str, heartbeat: float) -> bool:
    import optuna
    from optuna.trial import TrialState

    study = optuna.load_study(study_name=name, storage=open_storage(url, heartbeat))
    return bool(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))


def setup_for(doc: Document, project: Path, params: list[SearchParam], **options: Any) -> StudySetup:
    return StudySetup(dumps(doc), str(project.resolve().parent), project.stem, params, **options)


__all__ = ["LocalWorkers", "StorageError", "StudyError", "check_space", "create_or_resume", "run_local", "setup_for"]
