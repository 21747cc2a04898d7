"""A run that ends at `max_steps` reports the metrics of the weights it ends with, in the app and in train.py.

Before, it evaluated at the end only when it had never evaluated, so a run
stopped mid-epoch reported the previous epoch's metrics as its result.
"""

from __future__ import annotations

import json

import torch
from torch.utils.data import DataLoader

from runtime.callbacks import Callback
from runtime.checkpoint import Checkpointer, load_checkpoint
from runtime.engine import Flags
from runtime.events import BatchEnded, EpochEnded, EvalEnded, FitEnded
from runtime.session import prepare, run
from tests.runtime.test_engine import make_trainer
from tests.runtime.test_training import example
from tests.runtime.trainscript_support import export, run_script

STEPS = 30  # 23 batches an epoch: the run ends 7 batches into the second epoch


def test_a_run_ended_by_max_steps_reports_its_final_weights_metrics():
    events: list = []
    job = prepare(example(), emit=events.append, overrides={"epochs": 3, "max_steps": STEPS})
    metrics = run(job)
    evals = [e for e in events if isinstance(e, EvalEnded)]
    assert [e.step for e in evals] == [23, STEPS]
    assert metrics == evals[-1].metrics == events[-1].metrics
    assert isinstance(events[-1], FitEnded) and events[-1].status == "finished" and events[-1].step == STEPS
    assert job.trainer.evaluate(max_batches=job.recipe.eval_batches) == metrics  # the weights it ended with


def test_a_run_ended_by_max_steps_evaluates_its_last_step_once():
    events: list = []
    job = prepare(example(), emit=events.append, overrides={"epochs": 3, "max_steps": 20, "eval_every": 10})
    run(job)
    assert [e.step for e in events if isinstance(e, EvalEnded)] == [10, 20]


def test_the_exported_script_reports_the_metrics_of_its_last_step_too(tmp_path):
    doc = example()
    doc.recipe = {**doc.recipe, "epochs": 3, "max_steps": STEPS}
    folder = export(doc, tmp_path / "bundle", None).parent
    printed = run_script(folder).stdout.splitlines()
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [23, STEPS]
    # the epoch max_steps cut ends as in the app: its line (with its metrics), no epoch checkpoint
    ends = [json.loads(line) for line in printed if line.startswith('{"epoch"')]
    assert [(r["epoch"], r["step"], r["val_loss"]) for r in ends] == [(1, 23, evals[0]["metrics"]["val_loss"]),
                                                                      (2, STEPS, evals[1]["metrics"]["val_loss"])]
    assert sorted(p.name for p in (folder / "checkpoints").glob("*.safetensors")) == ["epoch0001.safetensors",
                                                                                      "last.safetensors"]
    events: list = []
    run(prepare(doc, emit=events.append, num_threads=1))
    app = [e.metrics for e in events if isinstance(e, EvalEnded)]
    for script_eval, app_metrics in zip(evals, app, strict=True):
        torch.testing.assert_close(script_eval["metrics"]["val_loss"], app_metrics["val_loss"], rtol=1e-5, atol=1e-7)


# -- the epoch max_steps ends -------------------------------------------------------------------------------------
# Reaching max_steps in the middle of an epoch ends that epoch as every epoch ends (as Lightning calls
# `on_train_epoch_end` and Keras `on_epoch_end` for an epoch cut short): its evaluation, its `EpochEnded` record
# and the hooks' `on_epoch_end` with `trainer.partial_epoch` set. What only a whole epoch earns is not done: the
# per-epoch scheduler does not step (Lightning steps it only when the epoch's batches are all done; a resume
# finishes the epoch and steps it then) and no epoch checkpoint is written (`last` holds the exact position).
# A Stop is not max_steps: it ends the run within one batch, with no epoch end (as Ctrl-C in Lightning or Keras).


class EpochEnds(Callback):
    def __init__(self):
        self.seen: list[tuple[int, int, bool, dict]] = []

    def on_epoch_end(self, trainer):
        self.seen.append((trainer.epoch, trainer.step, trainer.partial_epoch, dict(trainer.last_eval)))


def _epoch_scheduled(trainer):
    trainer.scheduler = torch.optim.lr_scheduler.StepLR(trainer.optimizer, step_size=1, gamma=0.5)
    trainer.scheduler_when = "epoch"
    # A DataLoader without a generator draws its seed from the global RNG at every evaluation, which would shift
    # the dropout masks of a run that evaluated at its cut (the app's loaders have their own generators).
    trainer.val_loader = DataLoader(trainer.val_loader.dataset, batch_size=64, generator=torch.Generator())
    return trainer


def test_max_steps_mid_epoch_ends_that_epoch_with_its_evaluation_record_and_hooks(tmp_path):
    hook = EpochEnds()
    trainer, events = make_trainer([hook, Checkpointer(tmp_path)], epochs=3, max_steps=12)  # 8 batches an epoch
    _epoch_scheduled(trainer)
    metrics = trainer.fit()
    assert [(e.epoch, e.step) for e in events if isinstance(e, EpochEnded)] == [(0, 8), (1, 12)]
    assert [e.step for e in events if isinstance(e, EvalEnded)] == [8, 12]  # the last step evaluated once
    assert [(epoch, step, partial) for epoch, step, partial, _ in hook.seen] == [(0, 8, False), (1, 12, True)]
    ended = [e for e in events if isinstance(e, EpochEnded)][-1]
    assert ended.metrics == hook.seen[-1][3] == metrics == events[-1].metrics
    assert isinstance(events[-1], FitEnded) and events[-1].status == "finished"
    assert events[-1].message == "reached max_steps" and events[-1].step == 12
    assert trainer.scheduler.last_epoch == 1  # the whole epoch stepped it, the cut one did not
    assert sorted(p.name for p in tmp_path.glob("*.safetensors")) == ["epoch0001.safetensors", "last.safetensors"]
    assert load_checkpoint(make_trainer()[0], tmp_path / "last.safetensors")["epoch"] == 1  # resumes inside it


def test_max_steps_at_an_epoch_boundary_ends_a_whole_epoch(tmp_path):
    hook = EpochEnds()
    trainer, events = make_trainer([hook, Checkpointer(tmp_path)], epochs=3, max_steps=16)
    _epoch_scheduled(trainer)
    trainer.fit()
    assert [(e.epoch, e.step) for e in events if isinstance(e, EpochEnded)] == [(0, 8), (1, 16)]
    assert [(epoch, step, partial) for epoch, step, partial, _ in hook.seen] == [(0, 8, False), (1, 16, False)]
    assert trainer.scheduler.last_epoch == 2
    assert (tmp_path / "epoch0002.safetensors").exists()
    assert load_checkpoint(make_trainer()[0], tmp_path / "last.safetensors")["epoch"] == 2  # the next one
    assert events[-1].status == "finished" and events[-1].message == "reached max_steps"


def test_a_resume_after_max_steps_mid_epoch_continues_the_same_curve(tmp_path):
    full, full_events = make_trainer(epochs=3)
    _epoch_scheduled(full).fit()
    first, first_events = make_trainer([Checkpointer(tmp_path)], epochs=3, max_steps=12)
    _epoch_scheduled(first).fit()
    resumed, resumed_events = make_trainer(epochs=3)
    _epoch_scheduled(resumed)
    info = load_checkpoint(resumed, tmp_path / "last.safetensors")
    resumed.step, resumed.epoch = info["step"], info["epoch"]
    resumed.fit()

    def curve(events):
        return [(e.step, e.lr) for e in events if isinstance(e, BatchEnded)], \
            [e.loss for e in events if isinstance(e, BatchEnded)]

    (steps, losses), (first_steps, first_losses), (then_steps, then_losses) = map(
        curve, (full_events, first_events, resumed_events))
    assert first_steps + then_steps == steps  # the learning rates too: the cut epoch stepped its scheduler once
    torch.testing.assert_close(torch.tensor(first_losses + then_losses), torch.tensor(losses))
    assert [e.epoch for e in resumed_events if isinstance(e, EpochEnded)] == [1, 2]


def test_a_stop_ends_within_one_batch_without_an_epoch_end():
    hook = EpochEnds()
    stop_at = {"step": 12}
    trainer, events = make_trainer([hook], epochs=3)
    trainer.flags = Flags(stop=lambda: trainer.step >= stop_at["step"])
    trainer.fit()
    assert [(e.epoch, e.step) for e in events if isinstance(e, EpochEnded)] == [(0, 8)]
    assert [step for _, step, _, _ in hook.seen] == [8]
    assert events[-1].status == "stopped" and events[-1].step == 12
