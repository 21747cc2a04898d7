"""Validation metrics are summed where the model runs and read back once per evaluation, not once per batch.

A number read from a tensor (`float`, `int`, `.item()`...) makes the host wait
for the device; counted here by wrapping those methods, so the tests need no
GPU and no clock.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader

from runtime.metrics import MetricAccumulator
from tests.runtime.test_engine import blobs, make_trainer

READS = ("item", "tolist", "__float__", "__int__", "__bool__", "__index__")


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Every read-back of a tensor's value to the host, by method name."""
    seen: list[str] = []
    for name in READS:
        original = getattr(torch.Tensor, name)

        def counted(tensor, *args, _name=name, _original=original, **kwargs):
            seen.append(_name)
            return _original(tensor, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return seen


def test_an_evaluation_reads_back_as_often_for_eight_batches_as_for_two(reads):
    trainer, _ = make_trainer(metrics=["accuracy", "top3"])
    counts, results = [], []
    for batch_size in (64, 16):  # 2 and 8 validation batches of the same 128 samples
        reads.clear()
        results.append(trainer.evaluate(DataLoader(blobs(128, seed=1), batch_size=batch_size)))
        counts.append(len(reads))
    assert counts[0] == counts[1], reads
    assert results[0]["val_accuracy"] == results[1]["val_accuracy"]
    assert results[0]["val_loss"] == pytest.approx(results[1]["val_loss"], rel=1e-6)


def test_regression_errors_are_read_back_once(reads):
    g = torch.Generator().manual_seed(0)
    out, target = torch.randn(96, 3, generator=g), torch.randn(96, 3, generator=g)
    counts = []
    for size in (48, 12):
        acc = MetricAccumulator(["mse", "mae"])
        reads.clear()
        for k in range(0, 96, size):
            o, t = out[k:k + size], target[k:k + size]
            acc.add(o, t, torch.nn.functional.mse_loss(o, t))
        result = acc.result()
        counts.append(len(reads))
        assert result["val_mse"] == pytest.approx(float(((out - target) ** 2).mean()), rel=1e-6)
        assert result["val_mae"] == pytest.approx(float((out - target).abs().mean()), rel=1e-6)
        assert result["val_loss"] == pytest.approx(result["val_mse"], rel=1e-6)
    assert counts[0] == counts[1]


def test_the_sums_equal_reading_each_batch_back():
    """What the accumulator gave when it read every batch: the same numbers, to the last bit."""
    g = torch.Generator().manual_seed(1)
    logits, labels = torch.randn(100, 7, generator=g), torch.randint(0, 7, (100,), generator=g)
    acc = MetricAccumulator(["accuracy", "top5"])
    loss_sum, correct, top5 = 0.0, 0, 0
    for k in range(0, 100, 32):
        o, t = logits[k:k + 32], labels[k:k + 32]
        loss = torch.nn.functional.cross_entropy(o, t)
        acc.add(o, t, loss)
        loss_sum += float(loss) * len(t)
        correct += int((o.argmax(1) == t).sum())
        top5 += int((o.topk(5, dim=1).indices == t[:, None]).any(1).sum())
    assert acc.result() == {"val_loss": loss_sum / 100, "val_accuracy": correct / 100, "val_top5": top5 / 100}
    plain = MetricAccumulator(["accuracy"])  # a loss given as a number (older exported scripts) still counts
    plain.add(logits, labels, float(torch.nn.functional.cross_entropy(logits, labels)))
    assert plain.result()["val_loss"] == pytest.approx(loss_sum / 100, rel=1e-6)
