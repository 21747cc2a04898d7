"""One trial: the project with the trial's values, trained in an ordinary run folder, reporting each epoch.

The trial's project revision is written into its run folder by the usual
training path (`runtime.session.prepare`), so a trial is a run like any
other: the Runs panel lists it, `export --weights` takes its weights.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from graph import Document
from runtime.callbacks import Callback, CancelFitException
from runtime.study.setup import StudySetup
from runtime.study.space import suggest
from runtime.study.targets import Target, apply_values


class TrialFailed(Exception):
    """The trial's training could not produce the objective; the message says why."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class EpochReporter(Callback):
    """Reports the objective after every epoch; stops the run when the pruner says so."""

    name = "study"

    def __init__(self, trial: Any, metric: str) -> None:
        self.trial, self.metric = trial, metric
        self.epochs = 0
        self.pruned = False

    def on_epoch_end(self, trainer: Any) -> None:
        self.epochs += 1
        value = trainer.last_eval.get(self.metric)
        if value is None:
            return
        self.trial.report(float(value), trainer.epoch)
        if self.trial.should_prune():
            self.pruned = True
            raise CancelFitException(f"pruned by the study after epoch {trainer.epoch + 1}")


@dataclass
class Outcome:
    value: float | None
    pruned: bool
    epochs: int
    seconds: float
    values: dict[str, Any]


def run_trial(trial: Any, setup: StudySetup, study_name: str, doc: Document, targets: dict[str, Target],
              *, trusted: bool, num_threads: int | None = None, dataset_loader: Any = None) -> Outcome:
    """Trains the trial's revision of the project; records its run folder and results on the trial.

    `dataset_loader`: as `runtime.session.prepare` takes it (a worker passes one that keeps its datasets).
    """
    from runtime.run_folder import new_run_dir
    from runtime.session import prepare, run

    started = time.perf_counter()
    values = suggest(trial, setup.params)
    variant = apply_values(doc, targets, values)
    run_dir = new_run_dir(setup.folder / "runs", f"{study_name}-trial{trial.number}")
    trial.set_user_attr("run_dir", str(run_dir))
    trial.set_user_attr("worker", worker_id())
    reporter = EpochReporter(trial, setup.metric)
    job = prepare(variant, project_dir=setup.folder, trusted=trusted, overrides=setup.overrides, run_dir=run_dir,
                  extra_callbacks=[reporter], num_threads=num_threads, dataset_loader=dataset_loader)
    metrics = run(job)
    trial.set_user_attr("metrics", metrics)
    trial.set_user_attr("epochs", reporter.epochs)
    trial.set_user_attr("parameters", sum(p.numel() for p in job.trainer.model.parameters()))
    if not reporter.pruned:
        train = job.trainer.evaluate(job.trainer.train_loader)
        trial.set_user_attr("train_loss", train.get("val_loss"))
    value = metrics.get(setup.metric)
    seconds = time.perf_counter() - started
    if value is None and not reporter.pruned:
        raise TrialFailed(f"the run reported no {setup.metric} (it has {', '.join(metrics) or 'no metrics'})")
    return Outcome(None if value is None else float(value), reporter.pruned, reporter.epochs, seconds, values)
