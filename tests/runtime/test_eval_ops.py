"""An evaluation makes the tensor operations a careful hand-written evaluation makes, and no others.

On the digits MLP an epoch is ~23 steps of ~0.6 ms, so the once-per-epoch
evaluation is a visible share of it: callgrind showed the engine's evaluation
spending more instructions than the careful loop's (a `topk` partial sort
for top-1 accuracy, a copy to double and a multiply for the loss sum, a
`detach` of tensors that had no graph, slices of a split served whole).
Counted here at the dispatcher (every aten operation), not timed.
"""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from torch.nn import functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.data import DataLoader

from runtime.session import prepare
from tests.runtime.test_engine import blobs, make_trainer
from tests.runtime.test_training import example


class AtenOps(TorchDispatchMode):
    """Counts every aten operation dispatched while it is active, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.seen[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


def test_an_evaluation_makes_the_operations_of_a_careful_evaluation():
    torch.set_num_threads(1)
    job = prepare(example(), overrides={"epochs": 1, "log_layers": False, "activation_every": 0})
    trainer, model = job.trainer, job.trainer.model
    xv, yv = job.bundle.val.tensors
    trainer.evaluate()  # first calls (lazy imports) outside the count
    with AtenOps() as ours:
        result = trainer.evaluate()
    with AtenOps() as careful:
        model.eval()
        with torch.no_grad():
            out = model(xv)
            loss = float(F.cross_entropy(out, yv))
            accuracy = (out.argmax(1) == yv).sum().item() / len(yv)
        model.train()
    assert result == {"val_loss": loss, "val_accuracy": accuracy}
    assert ours.seen == careful.seen, (f"the engine's evaluation makes {dict(ours.seen - careful.seen)} more and "
                                       f"{dict(careful.seen - ours.seen)} fewer operations")


def test_accumulated_metrics_are_unchanged_over_several_batches():
    """Two and eight batches of the same samples: the same accuracy and (in double precision) loss as before."""
    trainer, _ = make_trainer(metrics=["accuracy", "top3"])
    results = [trainer.evaluate(DataLoader(blobs(128, seed=1), batch_size=size)) for size in (128, 64, 16)]
    x, y = blobs(128, seed=1).tensors
    trainer.model.eval()
    with torch.no_grad():
        out = trainer.model(x)
        losses = [float(F.cross_entropy(out[k:k + 16], y[k:k + 16])) * 16 for k in range(0, 128, 16)]
    for result in results:
        assert result["val_accuracy"] == (out.argmax(1) == y).sum().item() / 128
        assert result["val_top3"] == 1.0  # two classes
        assert result["val_loss"] == pytest.approx(sum(losses) / 128, rel=1e-6)
