"""A study run for a window: one process makes the study, runs its warm workers and sends back what to show.

The window never imports Optuna (importing it, or scikit-learn for the
importances, costs seconds, and importing either off the GUI thread crashed
the window before): everything that needs Optuna runs here, in a process of
its own. This process checks the space and makes (or resumes) the study,
imports the training code once, forks the workers from itself (it has no
other threads, so they start warm), reads the results about once a second
and sends them over a pipe as plain records (`runtime.study.results`).

Messages to the window are `(kind, payload)` pairs: ("started", url),
("results", StudyResults), ("log", line), ("failed", line), ("finished", None).
The window sends "stop"; a closed pipe or SIGTERM means the same. Whatever
ends it, the workers are stopped and their running trials marked failed.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.study.space import SearchParam

READ_SECONDS = 1.0  # how often the results are read while trials run
POLL_SECONDS = 0.2  # how often the workers and the window's messages are looked at
STOPPED = "stopped (Stop pressed); retried when the study resumes"


@dataclass
class StudyRequest:
    """What "Run study" starts: the project as it is now, the search space and the study's options."""

    project: str  # the project document, as saved (`graph.fileformat.dumps`)
    project_file: Path  # need not exist: an unsaved project's studies live in the app's folder
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


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def create_study(request: StudyRequest) -> str:
    """Checks the space and makes (or resumes) the study; returns its storage URL. Raises with one line."""
    from graph.fileformat import loads
    from runtime.commands.check import project_registry
    from runtime.commands.study import _direction
    from runtime.study.launch import check_space, create_or_resume, setup_for
    from runtime.study.space import grid
    from runtime.study.storage import default_url

    registry = project_registry()
    doc = loads(request.project, registry)
    request.project_file.parent.mkdir(parents=True, exist_ok=True)
    check_space(doc, registry, request.params, request.project_file.parent)
    n_trials = request.trials
    if request.sampler == "grid":
        n_trials = min(n_trials, len(grid(request.params)))
    setup = setup_for(doc, request.project_file, request.params, metric=request.metric,
                      direction=_direction(request.metric, None), sampler=request.sampler, prune=request.prune,
                      overrides=request.overrides, n_trials=n_trials)
    url = request.url or default_url(request.project_file)
    create_or_resume(setup, url, request.name)
    return url


class _Reader:
    """Reads the results; the importances (a forest fit) only when the complete trials changed."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name
        self.importances: dict[str, float] = {}
        self._complete = -1

    def read(self) -> Any:
        from runtime.study.results import read_importances, read_results

        results = read_results(self.url, self.name, with_importances=False)
        complete = results.counts().get("complete", 0)
        if complete != self._complete:
            self.importances, self._complete = read_importances(self.url, self.name), complete
        results.importances = dict(self.importances)
        return results


def serve(request: StudyRequest, conn: Any) -> None:
    """The host process: make the study, run `request.jobs` workers, report until done or told to stop."""

    def terminated(*_args: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the window's terminal is the window's business

    def send(kind: str, payload: Any = None) -> None:
        try:
            conn.send((kind, payload))
        except (OSError, ValueError):  # the window is gone; the loop below notices and stops
            pass

    try:
        url = create_study(request)
    except Exception as exc:  # noqa: BLE001 - one line for the window; the study can be changed and rerun
        send("failed", one_line(exc))
        send("finished")
        return
    if _told_to_stop(conn):  # Stop pressed while the study was made: fork no worker, start no trial
        try:
            send("results", _Reader(url, request.name).read())
        except Exception as exc:  # noqa: BLE001
            send("failed", one_line(exc))
        send("finished")
        return
    from runtime.study.launch import LocalWorkers

    workers = LocalWorkers(url, request.name, request.jobs, trusted=request.trusted,
                           log=lambda line: send("log", line), start_method="fork")
    reason = None
    try:
        workers.start()
        send("started", url)
        reader = _Reader(url, request.name)
        send("results", reader.read())
        last = time.monotonic()
        while workers.poll():
            if _told_to_stop(conn):
                reason = STOPPED
                break
            if time.monotonic() - last >= READ_SECONDS:
                send("results", reader.read())
                last = time.monotonic()
            workers.wait(POLL_SECONDS)
    except Exception as exc:  # noqa: BLE001 - e.g. the storage went away mid-study
        send("failed", one_line(exc))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the stopping short
        workers.stop(reason or STOPPED)
        try:
            send("results", _Reader(url, request.name).read())
        except Exception as exc:  # noqa: BLE001
            send("failed", one_line(exc))
        send("finished")


def _told_to_stop(conn: Any) -> bool:
    try:
        return bool(conn.poll()) and conn.recv() == "stop"
    except (EOFError, OSError):  # the window closed its end
        return True
