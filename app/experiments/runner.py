"""Runs a study from the window: checks and creation off the GUI thread, trials in worker processes.

The window never waits: making the study (imports Optuna, opens the storage,
checks every range) and reading results run on one background thread; the
trials run in `runtime.study.launch.LocalWorkers` processes, polled by a
timer. Stop ends the workers; their running trials are marked failed so that
running the same study again retries them.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from graph import Document
from runtime.study.space import SearchParam

READ_MS = 1000  # how often the results are read while trials run
POLL_MS = 200  # how often the worker processes are looked after


@dataclass
class StudyRequest:
    """What "Run study" starts: the project as it is now, the search space and the study's options."""

    doc: Document
    project: Path  # the project file (need not exist: an unsaved project's studies live in the app's folder)
    params: list[SearchParam]
    name: str
    trials: int = 16
    jobs: int = 2
    sampler: str = "tpe"
    prune: str = "median"
    metric: str = "val_loss"
    trusted: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    url: str = ""  # empty: SQLite beside the project


def create_study(request: StudyRequest) -> str:
    """Checks the space and makes (or resumes) the study; returns its storage URL. Raises with one line."""
    from runtime.commands.check import project_registry
    from runtime.commands.study import _direction
    from runtime.study.launch import check_space, create_or_resume, setup_for
    from runtime.study.results import read_results
    from runtime.study.space import grid
    from runtime.study.storage import default_url

    request.project.parent.mkdir(parents=True, exist_ok=True)
    check_space(request.doc, project_registry(), request.params, request.project.parent)
    n_trials = request.trials
    if request.sampler == "grid":
        n_trials = min(n_trials, len(grid(request.params)))
    setup = setup_for(request.doc, request.project, request.params, metric=request.metric,
                      direction=_direction(request.metric, None), sampler=request.sampler, prune=request.prune,
                      overrides=request.overrides, n_trials=n_trials)
    url = request.url or default_url(request.project)
    create_or_resume(setup, url, request.name)
    # The first read imports Optuna's importance evaluators and opens a reading connection: done here,
    # before any worker starts, so reads while trials run are short.
    read_results(url, request.name)
    return url


def _import_study_code() -> None:
    import optuna.importance
    import optuna.storages  # noqa: F401
    import sqlalchemy.dialects.sqlite  # noqa: F401
    from alembic import command  # noqa: F401  (what RDBStorage imports when it opens a database)

    optuna.importance.FanovaImportanceEvaluator(seed=0)  # imports its forest (scikit-learn)


class StudyRunner(QObject):
    """One study at a time: `start`, `stop`; results arrive as `results`, problems as `failed` (one line)."""

    results = Signal(object)  # runtime.study.results.StudyResults
    failed = Signal(str)
    started = Signal(str)  # the storage URL
    finished = Signal()
    log = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="study")
        self._pending: list[tuple[Future, Any]] = []
        self.workers: Any = None
        self.url = ""
        self.name = ""
        self.state = "idle"  # idle, creating, running, stopping
        self._last_read = 0.0
        self._reading = False
        self._again = False
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def running(self) -> bool:
        return self.state != "idle"

    def start(self, request: StudyRequest) -> bool:
        if self.running:
            return False
        self.warm_up()
        self.state, self.name = "creating", request.name
        self._submit(create_study, request, then=lambda url: self._launch(url, request))
        self._timer.start()
        return True

    def stop(self) -> None:
        if self.state in ("running", "creating"):
            self.state = "stopping"
            workers, self.workers = self.workers, None
            if workers is not None:
                self._submit(workers.stop, then=lambda _: self._done())
            else:
                self._done()

    def warm_up(self) -> None:
        """Imports Optuna's storage and importance code once, on the GUI thread, before any background work.

        Under PySide every import goes through its import hook; an import on the
        background thread while the GUI thread collects garbage can crash the
        process, so the study code is imported here (a few seconds, once).
        """
        if not getattr(self, "_warm", False):
            _import_study_code()
            self._warm = True

    def show(self, url: str, name: str) -> None:
        """Reads a study (finished or being run elsewhere) once and shows it."""
        self.url, self.name = url, name
        self._read()
        self._timer.start()

    def shutdown(self) -> None:
        """The window closes: workers end, their trials are marked failed; nothing is left running."""
        if self.workers is not None:
            self.workers.stop()
            self.workers = None
        self._timer.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- the GUI thread's side ---------------------------------------------------------------
    def _submit(self, fn, *args, then=None) -> None:
        self._pending.append((self._pool.submit(fn, *args), then))

    def _launch(self, url: str, request: StudyRequest) -> None:
        from runtime.study.launch import LocalWorkers

        if self.state != "creating":
            return
        self.url = url
        self.workers = LocalWorkers(url, request.name, request.jobs, trusted=request.trusted,
                                    log=self.log.emit)
        self.workers.start()
        self.state = "running"
        self.started.emit(url)
        self._read()

    def _done(self) -> None:
        self.state = "idle"
        self._read()
        self.finished.emit()

    def _read(self) -> None:
        from runtime.study.results import read_results

        if not self.url:
            return
        if self._reading:  # a read is under way: read once more after it, so the last state is always shown
            self._again = True
            return
        self._reading, self._again = True, False
        self._last_read = time.monotonic()

        def shown(results) -> None:
            self._reading = False
            self.results.emit(results)
            if self._again:
                self._read()

        self._submit(read_results, self.url, self.name, then=shown)

    def _tick(self) -> None:
        for future, then in [p for p in self._pending if p[0].done()]:
            self._pending.remove((future, then))
            try:
                value = future.result()
            except Exception as exc:  # noqa: BLE001 - shown as one line; the study can be changed and rerun
                self._reading = self._again = False
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                if self.state == "creating":
                    self.state = "idle"
                self.failed.emit(message)
                continue
            if then is not None:
                then(value)
        if self.state == "running" and self.workers is not None and not self.workers.poll():
            self.workers = None
            self._done()
        elif self.state == "running" and time.monotonic() - self._last_read > READ_MS / 1000:
            self._read()
        if self.state == "idle" and not self._pending:
            self._timer.stop()
