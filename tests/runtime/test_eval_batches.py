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

from runtime.batches import IndexBatches, batch_taker, sample_bytes, val_batch_size
from runtime.session import prepare
from runtime.trainscript import loop_text
from tests.runtime.test_training import example

DIGITS = (64,)
IMAGENET = (3, 224, 224)


def split(n: int, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` float samples of `shape` with int64 labels; big ones are one sample expanded (no memory taken)."""
    return torch.zeros(1, *shape).expand(n, *shape), torch.zeros(n, dtype=torch.long)


def script_val_batches(n: int, batch_size: int, shape: tuple[int, ...] = (2,)) -> list[int]:
    """The exported script's own `val_batches`, run on a split of `n` samples: the sizes it yields."""
    space: dict = {"RECIPE": {"batch_size": batch_size}, "TARGET_IS_INPUT": False, "torch": torch}
    start = loop_text.SETUP.index("def val_batches")
    exec(loop_text.SETUP[start:], space)  # noqa: S102 - our own template text
    batches = space["val_batches"](*split(n, shape))
    return [len(x) for x, _ in batches or []]


def app_val_batches(n: int, batch_size: int, shape: tuple[int, ...] = (2,)) -> list[int]:
    ds = TensorDataset(*split(n, shape))
    return [len(x) for x, _ in IndexBatches(batch_taker(ds), n, val_batch_size(n, batch_size, sample_bytes(ds)))]


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


@pytest.mark.parametrize("n,batch_size,shape,sizes", [
    (359, 64, DIGITS, [359]),
    (359, 64, (3, 32, 32), [256, 103]),  # 4.4 MB of CIFAR-sized images: over the budget
    (300, 64, IMAGENET, [256, 44]),
    (300, 64, (3, 32, 32), [300]),  # 3.7 MB: within the budget
    (20, 16, IMAGENET, [20]),  # fewer samples than one batch: one batch however big
])
def test_a_split_of_big_samples_keeps_its_batches(n, batch_size, shape, sizes):
    assert app_val_batches(n, batch_size, shape) == sizes
    assert script_val_batches(n, batch_size, shape) == sizes


def test_a_split_only_a_dataloader_can_read_is_not_merged():
    class Lazy(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 300

        def __getitem__(self, i: int):
            return torch.zeros(2), 0

    assert sample_bytes(Lazy()) is None and val_batch_size(300, 64, None) == 256


def test_an_evaluation_of_the_digits_split_calls_the_model_once():
    job = prepare(example(), overrides={"epochs": 1})
    calls = []
    job.trainer.model.register_forward_hook(lambda *_: calls.append(1))
    metrics = job.trainer.evaluate()
    assert len(calls) == 1 and set(metrics) >= {"val_loss", "val_accuracy"}
