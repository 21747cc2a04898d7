import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from graph.problems import Problem
from runtime.callbacks import Callback, CancelFitException, CancelStepException
from runtime.checkpoint import Checkpointer, load_checkpoint
from runtime.engine import Flags, Trainer, TrainingError
from runtime.events import (
    BatchEnded,
    CheckpointSaved,
    EvalEnded,
    FitEnded,
    HookDecision,
    PauseChanged,
)
from runtime.optim import build_optimizer
from runtime.policies import RevertAndNoise
from runtime.recipe import OptimizerSpec, parse_recipe, recipe_problems
from runtime.sampling import EpochSampler
from runtime.usercode import UserHook


def blobs(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 4, generator=g) + 2.5 * y[:, None].float()
    return TensorDataset(x, y)


def make_trainer(callbacks=(), epochs=3, lr=0.05, seed=0, **recipe):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))
    rec = parse_recipe({"epochs": epochs, "batch_size": 32, "seed": seed, **recipe})
    train = DataLoader(blobs(), batch_size=32, sampler=EpochSampler(256, seed=seed), generator=torch.Generator())
    val = DataLoader(blobs(128, seed=1), batch_size=64)
    events = []
    opt = build_optimizer(OptimizerSpec(name="sgd", lr=lr, momentum=0.9), model.parameters())
    trainer = Trainer(model, train, val, rec, nn.CrossEntropyLoss(), opt, callbacks=callbacks,
                      emit=events.append)
    return trainer, events


def test_fit_emits_events_and_learns():
    trainer, events = make_trainer()
    metrics = trainer.fit()
    batches = [e for e in events if isinstance(e, BatchEnded)]
    assert len(batches) == 3 * 8 and batches[-1].step == 24
    assert set(batches[0].grad_norms) == {"0", "3"} and all(v > 0 for v in batches[0].grad_norms.values())
    assert [e.step for e in events if isinstance(e, EvalEnded)] == [8, 16, 24]
    assert isinstance(events[-1], FitEnded) and events[-1].status == "finished"
    assert metrics["val_accuracy"] > 0.9


def test_recipe_errors_name_the_setting():
    problems = recipe_problems({"optimizer": {"name": "adam", "lr": -1}, "batch_size": 0, "surprise": 1})
    text = "\n".join(p.text() for p in problems)
    assert {p.recipe_path for p in problems} == {"recipe.optimizer.lr", "recipe.batch_size", "recipe.surprise"}
    assert "recipe.optimizer.lr: expected a positive number, got -1" in text
    assert "recipe.batch_size" in text and "recipe.surprise" in text


class WorsenEveryStep(Callback):
    """Forces each step to make the validation loss worse (a huge step against the gradient)."""

    def on_after_backward(self, trainer):
        for p in trainer.model.parameters():
            p.grad.mul_(-50.0)


def test_revert_noise_restores_weights_plus_noise_of_sigma():
    sigma = 0.02
    policy = RevertAndNoise(sigma=sigma, seed=3, start="current")  # noise on the pre-step weights
    trainer, events = make_trainer([WorsenEveryStep(), policy], epochs=1, max_steps=4)
    before = {}

    class Record(Callback):
        def on_after_backward(self, trainer):
            before[trainer.step] = [p.detach().clone() for p in trainer.model.parameters()]

    trainer.callbacks.insert(0, Record())
    trainer.needs_snapshot = True
    after = {}

    class RecordAfter(Callback):
        def on_after_step(self, trainer):
            after[trainer.step] = [p.detach().clone() for p in trainer.model.parameters()]

    trainer.callbacks.append(RecordAfter())
    trainer.fit()
    decisions = [e for e in events if isinstance(e, HookDecision)]
    assert [d.decision for d in decisions] == ["reverted+noise"] * 4
    diffs = torch.cat([(a - b).flatten() for s in after for a, b in zip(after[s], before[s], strict=True)])
    assert abs(diffs.mean().item()) < 4 * sigma / math.sqrt(diffs.numel())
    assert diffs.std().item() == pytest.approx(sigma, rel=0.1)
    assert policy.reverted == 4 and policy.accepted == 0


def test_revert_noise_keeps_improving_steps():
    policy = RevertAndNoise(sigma=0.5)
    trainer, events = make_trainer([policy], epochs=1, max_steps=3, lr=0.01)
    trainer.fit()
    decisions = [e.decision for e in events if isinstance(e, HookDecision)]
    assert decisions.count("accepted") >= 2
    assert policy.accepted + policy.reverted == 3


def test_cancel_step_skips_the_update():
    class Skip(Callback):
        def on_after_backward(self, trainer):
            raise CancelStepException

    trainer, events = make_trainer([Skip()], epochs=1)
    start = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.fit()
    assert all(torch.equal(a, b) for a, b in zip(start, trainer.model.parameters(), strict=True))
    assert all(not e.step_taken for e in events if isinstance(e, BatchEnded))


def test_cancel_fit_stops_cleanly():
    class Stop(Callback):
        def on_batch_start(self, trainer):
            if trainer.step == 5:
                raise CancelFitException("enough")

    trainer, events = make_trainer([Stop()])
    trainer.fit()
    assert events[-1].status == "stopped" and events[-1].step == 5 and events[-1].message == "enough"


def test_the_loop_says_where_it_waits_while_paused_and_goes_on_from_there():
    trainer, events = make_trainer()
    polls: list[int] = []

    def paused() -> bool:  # Pause pressed during step 5, Resume after the loop looked three times
        if trainer.step == 5 and len(polls) < 3:
            polls.append(trainer.step)
            return True
        return False

    trainer.flags = Flags(paused=paused)
    trainer.fit()
    marks = [(k, e) for k, e in enumerate(events) if isinstance(e, PauseChanged)]
    assert [(e.step, e.paused) for _, e in marks] == [(5, True), (5, False)]
    before = [e.step for e in events[:marks[0][0]] if isinstance(e, BatchEnded)]
    after = [e.step for e in events[marks[1][0]:] if isinstance(e, BatchEnded)]
    assert before == [1, 2, 3, 4, 5] and after == list(range(6, 25))


def test_a_stop_while_paused_ends_the_run_at_the_paused_step():
    trainer, events = make_trainer()
    trainer.flags = Flags(paused=lambda: trainer.step >= 7,
                          stop=lambda: any(isinstance(e, PauseChanged) for e in events))
    trainer.fit()
    assert [(e.step, e.paused) for e in events if isinstance(e, PauseChanged)] == [(7, True)]
    assert max(e.step for e in events if isinstance(e, BatchEnded)) == 7
    assert events[-1].status == "stopped" and events[-1].step == 7


USER_HOOK = '''class Boom(Callback):
    def __init__(self, at=3):
        self.at = at

    def on_after_step(self, trainer):
        if trainer.step == self.at:
            raise RuntimeError("my hook broke")
'''


def test_user_hook_error_names_hook_and_line_and_keeps_checkpoint(tmp_path):
    hook = UserHook("noisy", USER_HOOK, {"at": 10})
    ckpt = Checkpointer(tmp_path, every=1)
    trainer, events = make_trainer([hook, ckpt])
    with pytest.raises(TrainingError) as err:
        trainer.fit()
    assert "hook Boom.on_after_step (code entry 'noisy', line 7): RuntimeError: my hook broke" in str(err.value)
    assert events[-1].status == "failed" and "line 7" in events[-1].message
    saved = [e.path for e in events if isinstance(e, CheckpointSaved)]
    assert saved[0].endswith("epoch0001.safetensors") and saved[-1].endswith("last.safetensors")
    fresh, _ = make_trainer()
    info = load_checkpoint(fresh, tmp_path / "epoch0001.safetensors")
    assert info["step"] == 8 and info["epoch"] == 1


def test_nan_loss_stops_with_a_clear_message():
    class Poison(Callback):
        def on_batch_start(self, trainer):
            if trainer.step == 2:
                with torch.no_grad():
                    trainer.model[0].weight.fill_(float("nan"))

    trainer, events = make_trainer([Poison()])
    with pytest.raises(TrainingError, match="loss became nan at step 2"):
        trainer.fit()
    assert events[-1].status == "failed"


def test_resume_gives_the_same_loss_curve(tmp_path):
    full, full_events = make_trainer(epochs=3)
    full.fit()
    curve = [e.loss for e in full_events if isinstance(e, BatchEnded)]

    class StopAt(Callback):
        def on_batch_start(self, trainer):
            if trainer.step == 13:
                raise CancelFitException

    first, first_events = make_trainer([StopAt(), Checkpointer(tmp_path)], epochs=3)
    first.fit()
    resumed, resumed_events = make_trainer(epochs=3)
    with torch.no_grad():  # a different state everywhere; the checkpoint must replace all of it
        for p in resumed.model.parameters():
            p.copy_(torch.randn_like(p))
    torch.manual_seed(1234)
    info = load_checkpoint(resumed, tmp_path / "last.safetensors")
    resumed.step, resumed.epoch = info["step"], info["epoch"]
    resumed.fit()
    got = [e.loss for e in first_events if isinstance(e, BatchEnded)] + \
        [e.loss for e in resumed_events if isinstance(e, BatchEnded)]
    assert len(got) == len(curve)
    torch.testing.assert_close(torch.tensor(got), torch.tensor(curve))


class Broken(Callback):
    def on_after_step(self, trainer):
        if trainer.step == 2:
            raise RuntimeError("not a user hook: a bug")


def test_an_unexpected_failure_still_reaches_the_views_as_a_problem_record():
    trainer, events = make_trainer([Broken()])
    with pytest.raises(RuntimeError):
        trainer.fit()
    ended = events[-1]
    assert isinstance(ended, FitEnded) and ended.status == "failed"
    assert [Problem.from_dict(p).text() for p in ended.problems] == [
        "RuntimeError: not a user hook: a bug (the run's log has the traceback)"]


def test_the_loop_reads_the_flags_only_when_something_can_set_them():
    assert not Flags().watched  # a script's or a test's run: no Stop or Pause can come, two calls a batch saved
    assert Flags(stop=lambda: False).watched and Flags(paused=lambda: False).watched
    reads = []
    trainer, events = make_trainer(epochs=1)
    trainer.flags = Flags(stop=lambda: reads.append(trainer.step) or False)
    trainer.fit()
    assert reads == list(range(8))  # before every batch
