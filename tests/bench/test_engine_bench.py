"""Engine throughput vs a plain hand-written loop on the same model and data (same process, interleaved)."""

from __future__ import annotations

import statistics
import time

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from runtime.engine import Trainer
from runtime.optim import build_optimizer
from runtime.policies import RevertAndNoise
from runtime.recipe import OptimizerSpec, parse_recipe
from runtime.sampling import EpochSampler

pytestmark = pytest.mark.slow


def mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                         nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84),
                         nn.Tanh(), nn.Linear(84, 10))


def data(shape, n=2048):
    g = torch.Generator().manual_seed(0)
    return TensorDataset(torch.randn(n, *shape, generator=g), torch.randint(0, 10, (n,), generator=g))


def plain_loop(model, loader, epochs=1) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    seen, start = 0, time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += x.shape[0]
    return seen / (time.perf_counter() - start)


def engine_loop(model, loader, callbacks=(), epochs=1) -> float:
    recipe = parse_recipe({"epochs": epochs, "batch_size": loader.batch_size})
    opt = build_optimizer(OptimizerSpec(name="adam", lr=1e-3), model.parameters())
    events = []
    trainer = Trainer(model, loader, None, recipe, nn.CrossEntropyLoss(), opt, callbacks=callbacks,
                      emit=events.append)
    start = time.perf_counter()
    trainer.fit()
    return len(loader.dataset) * epochs / (time.perf_counter() - start)


@pytest.mark.parametrize("name", ["digits MLP", "LeNet 28x28"])
def test_engine_throughput_ratio(name):
    torch.set_num_threads(1)
    make, shape, batch = (mlp, (64,), 64) if name == "digits MLP" else (lenet, (1, 28, 28), 64)
    ds = data(shape)
    ratios = []
    for k in range(6):
        loader = DataLoader(ds, batch_size=batch, sampler=EpochSampler(len(ds), seed=k))
        torch.manual_seed(k)
        a, b = make(), make()
        if k % 2:
            plain, ours = plain_loop(a, loader, 3), engine_loop(b, loader, epochs=3)
        else:
            ours, plain = engine_loop(b, loader, epochs=3), plain_loop(a, loader, 3)
        ratios.append(ours / plain)
    ratio = statistics.median(ratios)
    print(f"\n[bench] engine/plain samples per second, {name} (hooks and per-layer norms on): {ratio:.3f} "
          f"(runs: {', '.join(f'{r:.3f}' for r in ratios)})")
    assert ratio > 0


def test_revert_noise_cost_per_step():
    torch.set_num_threads(1)
    ds = data((64,))
    val = DataLoader(data((64,), 512), batch_size=256)
    times = {}
    for label, callbacks in (("plain step", []), ("revert+noise", [RevertAndNoise(sigma=0.01)])):
        loader = DataLoader(ds, batch_size=64, sampler=EpochSampler(len(ds)))
        model = mlp()
        recipe = parse_recipe({"epochs": 1, "batch_size": 64})
        opt = build_optimizer(OptimizerSpec(name="adam"), model.parameters())
        trainer = Trainer(model, loader, val, recipe, nn.CrossEntropyLoss(), opt, callbacks=callbacks)
        start = time.perf_counter()
        trainer.fit()
        times[label] = (time.perf_counter() - start) / trainer.step
    print(f"\n[bench] revert+noise policy: {times['revert+noise'] * 1e3:.3f} ms/step vs plain "
          f"{times['plain step'] * 1e3:.3f} ms/step ({times['revert+noise'] / times['plain step']:.2f}×; the "
          "policy evaluates a fixed validation batch after every step)")
