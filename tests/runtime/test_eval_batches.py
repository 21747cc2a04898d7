"""How a validation split is cut into batches, in the app and in the exported train.py alike.

A small split (at most two evaluation batches' worth) is evaluated in one
batch: a remainder batch of a hundred samples costs a whole model call, a
loss and its metric kernels again, which on a small model at the end of
every short epoch was a visible share of the run. The exported script cuts
the split the same way, because the tests compare app and script number by
number (validation losses are summed per batch).
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import TensorDataset

from runtime.batches import IndexBatches, batch_taker, val_batch_size
from runtime.session import prepare
from runtime.trainscript import loop_text
from tests.runtime.test_training import example


def script_val_batches(n: int, batch_size: int) -> list[int]:
    """The exported script's own `val_batches`, run on a split of `n` samples: the sizes it yields."""
    space: dict = {"RECIPE": {"batch_size": batch_size}, "TARGET_IS_INPUT": False, "torch": torch}
    start = loop_text.SETUP.index("def val_batches")
    exec(loop_text.SETUP[start:], space)  # noqa: S102 - our own template text
    batches = space["val_batches"](torch.zeros(n, 2), torch.zeros(n))
    return [len(x) for x, _ in batches or []]


def app_val_batches(n: int, batch_size: int) -> list[int]:
    ds = TensorDataset(torch.zeros(n, 2), torch.zeros(n))
    return [len(x) for x, _ in IndexBatches(batch_taker(ds), n, val_batch_size(n, batch_size))]


@pytest.mark.parametrize("n,batch_size,sizes", [
    (359, 64, [359]),  # digits' validation split: one batch, not 256 + 103
    (512, 64, [512]),
    (513, 64, [256, 256, 1]),
    (100, 1, [100]),
    (600, 300, [600]),
    (601, 300, [300, 300, 1]),
    (1000, 300, [300, 300, 300, 100]),
])
def test_a_small_validation_split_is_one_batch_in_the_app_and_in_the_script(n, batch_size, sizes):
    assert app_val_batches(n, batch_size) == sizes
    assert script_val_batches(n, batch_size) == sizes


def test_an_evaluation_of_the_digits_split_calls_the_model_once():
    job = prepare(example(), overrides={"epochs": 1})
    calls = []
    job.trainer.model.register_forward_hook(lambda *_: calls.append(1))
    metrics = job.trainer.evaluate()
    assert len(calls) == 1 and set(metrics) >= {"val_loss", "val_accuracy"}
