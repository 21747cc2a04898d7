"""GPU speed-ups from the recipe, checked on the CPU: autocast, gradient scaling, channels_last, compile."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from runtime.callbacks import Callback
from runtime.engine import Trainer
from runtime.events import BatchEnded, ModelCompiled
from runtime.optim import build_optimizer
from runtime.recipe import OptimizerSpec, parse_recipe
from runtime.sampling import EpochSampler
from tests.runtime.test_engine import make_trainer


class Seen(Callback):
    """What hooks see: output dtype, input memory format, gradient norms before the step."""

    def __init__(self) -> None:
        self.dtypes: list[torch.dtype] = []
        self.channels_last: list[bool] = []
        self.grad_norms: list[float] = []

    def on_batch_start(self, trainer) -> None:
        x = trainer.batch[0]
        self.channels_last.append(x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last))

    def on_after_backward(self, trainer) -> None:
        self.dtypes.append(trainer.output.dtype)
        self.grad_norms.append(float(torch.cat([p.grad.flatten() for p in trainer.model.parameters()]).norm()))


def test_bf16_autocast_trains_and_hooks_see_bf16_outputs():
    seen = Seen()
    trainer, events = make_trainer([seen], epochs=3, precision="bf16")
    metrics = trainer.fit()
    assert set(seen.dtypes) == {torch.bfloat16}
    assert trainer.precision.scaler is None  # bf16 has float32's range: nothing to scale
    assert metrics["val_accuracy"] > 0.9


def test_fp16_scales_the_loss_and_hooks_see_unscaled_gradients():
    plain, fp16 = Seen(), Seen()
    make_trainer([plain], epochs=1, max_steps=1)[0].fit()
    trainer, _ = make_trainer([fp16], epochs=1, max_steps=1, precision="fp16")
    trainer.fit()
    assert trainer.precision.scaler is not None and trainer.precision.scaler.get_scale() > 1
    assert set(fp16.dtypes) == {torch.float16}
    assert fp16.grad_norms[0] == pytest.approx(plain.grad_norms[0], rel=0.05)  # not multiplied by the scale
    trainer, events = make_trainer(epochs=3, precision="fp16")
    assert trainer.fit()["val_accuracy"] > 0.9


def test_fp16_step_cancelled_by_a_hook_keeps_the_scaler_consistent():
    from runtime.callbacks import CancelStepException

    class SkipOdd(Callback):
        def on_after_backward(self, trainer):
            if trainer.step % 2:
                raise CancelStepException

    trainer, events = make_trainer([SkipOdd()], epochs=1, precision="fp16")
    trainer.fit()
    taken = [e.step_taken for e in events if isinstance(e, BatchEnded)]
    assert taken == [True, False] * 4


def conv_trainer(callbacks=(), **recipe):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (64,), generator=g)
    x = torch.randn(64, 1, 8, 8, generator=g) + y[:, None, None, None].float()
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    loader = DataLoader(TensorDataset(x, y), batch_size=16, sampler=EpochSampler(64), generator=torch.Generator())
    events = []
    rec = parse_recipe({"epochs": 2, "batch_size": 16, **recipe})
    opt = build_optimizer(OptimizerSpec(name="sgd", lr=0.05), model.parameters())
    return Trainer(model, loader, None, rec, nn.CrossEntropyLoss(), opt, callbacks=callbacks,
                   emit=events.append), events


def test_channels_last_keeps_the_numbers_and_changes_the_memory_order():
    seen = Seen()
    nhwc, events = conv_trainer([seen], channels_last=True)
    nhwc.fit()
    assert nhwc.model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert all(seen.channels_last)
    nchw, ref = conv_trainer()
    nchw.fit()
    ours = [e.loss for e in events if isinstance(e, BatchEnded)]
    theirs = [e.loss for e in ref if isinstance(e, BatchEnded)]
    assert ours == pytest.approx(theirs, rel=1e-4, abs=1e-5)


def test_compile_is_off_by_default():
    trainer, events = make_trainer(epochs=1)
    assert trainer._forward_module is trainer.model
    trainer.fit()
    assert not any(isinstance(e, ModelCompiled) for e in events)


@pytest.mark.slow
def test_compiled_model_trains_and_reports_its_compile_time():
    trainer, events = make_trainer(epochs=2, compile=True)
    metrics = trainer.fit()
    compiled = [e for e in events if isinstance(e, ModelCompiled)]
    assert len(compiled) == 1 and compiled[0].step == 1 and compiled[0].seconds > 0
    assert metrics["val_accuracy"] > 0.9
    assert set(trainer.model.state_dict()) == {"0.weight", "0.bias", "3.weight", "3.bias"}  # the plain module


def test_fp16_checkpoint_carries_the_gradient_scale_so_a_resume_continues_it(tmp_path):
    """A resumed fp16 run must not restart its loss scale at 65536 and skip steps to find it again."""
    from runtime.checkpoint import load_checkpoint, save_checkpoint

    trainer, _ = make_trainer(epochs=1, max_steps=3, precision="fp16")
    trainer.fit()
    trainer.precision.scaler.update(1234.0)  # a scale the default constructor never has
    saved = trainer.precision.scaler.state_dict()
    path = save_checkpoint(trainer, tmp_path, "last")
    fresh, _ = make_trainer(epochs=1, max_steps=3, precision="fp16")
    assert fresh.precision.scaler.get_scale() != 1234.0
    load_checkpoint(fresh, path)
    assert fresh.precision.scaler.get_scale() == 1234.0
    assert fresh.precision.scaler.state_dict()["_growth_tracker"] == saved["_growth_tracker"]
