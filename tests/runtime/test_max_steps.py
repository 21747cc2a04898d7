"""A run that ends at `max_steps` reports the metrics of the weights it ends with, in the app and in train.py.

Before, it evaluated at the end only when it had never evaluated, so a run
stopped mid-epoch reported the previous epoch's metrics as its result.
"""

from __future__ import annotations

import json

import torch

from runtime.events import EvalEnded, FitEnded
from runtime.session import prepare, run
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
    run_script(folder)
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [23, STEPS]
    events: list = []
    run(prepare(doc, emit=events.append, num_threads=1))
    app = [e.metrics for e in events if isinstance(e, EvalEnded)]
    for script_eval, app_metrics in zip(evals, app, strict=True):
        torch.testing.assert_close(script_eval["metrics"]["val_loss"], app_metrics["val_loss"], rtol=1e-5, atol=1e-7)
