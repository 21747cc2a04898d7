"""The lean step: the common case (float32, in-memory data, no snapshots, penalty or clipping) steps as the general one.

A fit chooses once between `Trainer.one_batch` and `Trainer.lean_batch`; what
leaves the trainer (events, weights, metrics, the NaN guard, a Stop) must not
tell them apart.
"""

from __future__ import annotations

import pytest
import torch

from runtime.callbacks import Callback
from runtime.engine import Flags, Trainer, TrainingError
from runtime.events import BatchEnded, FitEnded, LogMessage
from runtime.precision import Precision
from runtime.session import prepare, run
from tests.runtime.test_training import example


class EveryStep(Callback):
    def __init__(self):
        self.calls = 0

    def on_after_step(self, trainer):
        self.calls += 1


class Snapshots(Callback):
    needs_snapshot = True


class Poison(Callback):
    """Makes every loss of the next epoch NaN (from outside the step, as a diverging run would)."""

    def on_epoch_end(self, trainer):
        with torch.no_grad():
            for p in trainer.model.parameters():
                p.fill_(float("nan"))


def chosen(**overrides) -> str:
    callbacks = overrides.pop("callbacks", None)
    job = prepare(example(), overrides={"epochs": 1, **overrides}, extra_callbacks=callbacks)
    job.trainer._bind_step()
    return job.trainer._one_step.__name__


def test_the_common_case_takes_the_lean_step_and_everything_else_the_general_one():
    assert chosen() == "lean_batch"  # default monitoring: layer norms, activation statistics
    assert chosen(schedule={"name": "cosine"}) == "lean_batch"  # a per-batch scheduler step is part of both
    assert chosen(callbacks=[Poison(), EveryStep()]) == "lean_batch"  # hooks are called on both
    assert chosen(precision="bf16") == "one_batch"
    assert chosen(clip_grad_norm=1.0) == "one_batch"
    assert chosen(l2=1e-4) == "one_batch"
    assert chosen(loader={"in_memory": "off"}) == "one_batch"
    assert chosen(callbacks=[Snapshots()]) == "one_batch"  # the state is copied before every step


def events_of(monkeypatch, lean: bool) -> tuple[list, dict, dict]:
    monkeypatch.setattr("runtime.batch_events.NORM_SHARE", 1e9)  # norms every step, not as the CPU clock says
    if not lean:
        monkeypatch.setattr(Trainer, "lean_applies", lambda self: False)
    events: list = []
    every = EveryStep()
    job = prepare(example(), emit=events.append, extra_callbacks=[every],
                  overrides={"epochs": 2, "schedule": {"name": "onecycle"}, "activation_every": 5})
    metrics = run(job)
    assert job.trainer._one_step.__name__ == ("lean_batch" if lean else "one_batch")
    assert every.calls == 46
    monkeypatch.undo()
    return events, metrics, {k: v.clone() for k, v in job.trainer.model.state_dict().items()}


def test_the_lean_step_sends_the_general_steps_events_and_ends_with_its_weights(monkeypatch):
    lean, lean_metrics, lean_weights = events_of(monkeypatch, True)
    general, general_metrics, general_weights = events_of(monkeypatch, False)

    def without_rate(events):  # samples/s is a clock reading; everything else is the step's
        return [e._replace(samples_per_s=0.0) if isinstance(e, BatchEnded) else e for e in events]

    batches = [e for e in lean if isinstance(e, BatchEnded)]
    assert len(batches) == 46 and all(e.grad_norms and e.weight_norms for e in batches)
    assert len({e.lr for e in batches}) > 10  # the schedule moved the learning rate every batch
    assert sum(e.kind == "activation_stats" for e in lean) >= 10  # the activation monitor's per-batch hooks ran
    assert without_rate(lean) == without_rate(general)
    assert lean_metrics == general_metrics
    assert lean_weights.keys() == general_weights.keys()
    assert all(torch.equal(lean_weights[k], general_weights[k]) for k in lean_weights)


def test_the_nan_guard_stops_or_skips_on_the_lean_step():
    job = prepare(example(), overrides={"epochs": 2}, extra_callbacks=[Poison()])
    with pytest.raises(TrainingError, match="loss became nan at step 23 \\(epoch 2\\)"):
        run(job)
    assert job.trainer._one_step.__name__ == "lean_batch"

    events: list = []
    job = prepare(example(), emit=events.append, overrides={"epochs": 2}, extra_callbacks=[Poison()])
    job.trainer.on_nan = "skip"
    run(job)
    skipped = [e for e in events if isinstance(e, LogMessage) and "batch skipped" in e.text]
    assert len(skipped) == 23 and job.trainer.step == 23  # every batch of the poisoned epoch, none counted
    assert events[-1].status == "finished"


def test_a_stop_ends_the_lean_step_within_one_batch():
    job = prepare(example(), overrides={"epochs": 3})
    job.trainer.flags = Flags(stop=lambda: job.trainer.step >= 30)
    events: list = []
    job.trainer._send = events.append
    run(job)
    assert job.trainer._one_step.__name__ == "lean_batch"
    assert job.trainer.step == 30
    assert isinstance(events[-1], FitEnded) and events[-1].status == "stopped"


def test_precision_says_what_a_step_calls_and_plain_float32_calls_the_plain_methods():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    plain = Precision("fp32", torch.device("cpu"))
    assert plain.plain and not plain.active
    backward, step = plain.calls(opt)
    assert backward is torch.Tensor.backward and step == opt.step
    for name in ("bf16", "fp16"):
        mixed = Precision(name, torch.device("cpu"))
        assert not mixed.plain and mixed.active
    fp16 = Precision("fp16", torch.device("cpu"))
    backward, step = fp16.calls(opt)
    loss = model(torch.ones(4, 3)).sum()
    backward(loss)  # scaled, then unscaled at once: the gradient is the true one
    assert torch.allclose(model.bias.grad, torch.full((2,), 4.0))
    step()
    assert fp16.scaler._scale is not None


class ToComplex(Callback):
    """Makes the model's output complex from the second epoch on (the lean step calls the model itself)."""

    def on_epoch_end(self, trainer):
        trainer.model.register_forward_hook(lambda module, args, out: torch.complex(out, out))


def test_a_complex_output_is_the_same_error_on_the_lean_step():
    job = prepare(example(), overrides={"epochs": 2, "log_layers": False, "activation_every": 0},
                  extra_callbacks=[ToComplex()])
    with pytest.raises(TrainingError, match="the model's output is complex; add an Abs or Real node"):
        run(job)
    assert job.trainer._one_step.__name__ == "lean_batch" and job.trainer.step == 23
