"""Engine throughput beside a careful hand loop, the simplest DataLoader loop and PyTorch Lightning.

Arms are interleaved (their order rotates every round) so that the load other
processes put on this shared machine hits every arm alike; each cell is the
median over the rounds with the range beside it. Throughput is samples per
second of process CPU time (what the run costs) and of wall time (what the
user waits). Ratios are taken round by round against the careful loop of the
same round, then the median. Nothing here asserts a time: the table is the
result (`make bench` prints it).
"""

from __future__ import annotations

import os
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
from tests.bench import engine_arms as arms

pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("TORCHCANVAS_BENCH_ROUNDS", "5"))
ARMS = {
    "careful index loop": arms.careful_loop,
    "DataLoader loop": arms.dataloader_loop,
    "Lightning": arms.lightning_loop,
    "engine, monitoring + run folder": arms.engine_default,
    "engine, minimal": arms.engine_minimal,
}
# (project, batch size, epochs): about a second of training per arm and round.
CONFIGS = [("digits MLP", 64, 60), ("digits MLP", 1, 1), ("LeNet", 64, 6), ("LeNet", 1, 1)]
GOALS = {("engine, monitoring + run folder", 64): 0.97, ("engine, monitoring + run folder", 1): 0.90}
LIGHTNING_GOAL = 2.5


def _spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def measure(setup: arms.Setup, tmp_path, rounds: int) -> dict[str, list[tuple[float, float]]]:
    names = list(ARMS)
    for name in names:  # warm-up: imports, allocator, Lightning's first start
        ARMS[name](setup.warm_up(), 0, tmp_path / f"warm-{name}")
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            results[name].append(ARMS[name](setup, r, tmp_path / f"run-{r}-{len(results[name])}-{hash(name)}"))
    return results


def table(setup: arms.Setup, results: dict[str, list[tuple[float, float]]]) -> list[str]:
    n = setup.samples
    base = results["careful index loop"]
    lines = [f"\n[bench] {setup.name}: {setup.epochs} epoch(s) of {len(setup.x)} samples, {len(base)} interleaved "
             "rounds; median (min–max)",
             f"  {'arm':34} {'samples/CPU-s':>26} {'samples/s (wall)':>26} {'÷ careful (CPU)':>22} "
             f"{'÷ careful (wall)':>22}  goal"]
    for name, runs in results.items():
        cpu = [n / c for c, _ in runs]
        wall = [n / w for _, w in runs]
        r_cpu = [b[0] / c for (c, _), b in zip(runs, base, strict=True)]
        r_wall = [b[1] / w for (_, w), b in zip(runs, base, strict=True)]
        goal = GOALS.get((name, setup.batch_size))
        mark = "" if goal is None else f"≥ {goal:.2f} {'✓' if statistics.median(r_cpu) >= goal else '✗'}"
        lines.append(f"  {name:34} {_spread(cpu):>26} {_spread(wall):>26} {_spread(r_cpu, '{:.3f}'):>22} "
                     f"{_spread(r_wall, '{:.3f}'):>22}  {mark}")
    ours = results["engine, monitoring + run folder"]
    vs = [light[0] / c for (c, _), light in zip(ours, results["Lightning"], strict=True)]
    ok = "✓" if statistics.median(vs) >= LIGHTNING_GOAL else "✗"
    lines.append(f"  engine (monitoring + run folder) ÷ Lightning, CPU: {_spread(vs, '{:.2f}')}  goal ≥ "
                 f"{LIGHTNING_GOAL} {ok}")
    return lines


@pytest.mark.parametrize("project,batch_size,epochs", CONFIGS, ids=[f"{p} b{b}" for p, b, _ in CONFIGS])
def test_engine_against_hand_loops_and_lightning(project, batch_size, epochs, tmp_path):
    pytest.importorskip("pytorch_lightning", reason="install the bench extra: pip install -e .[bench]")
    torch.set_num_threads(1)
    setup = arms.setup(project, batch_size, epochs)
    results = measure(setup, tmp_path, ROUNDS)
    print("\n".join(table(setup, results)))
    assert all(len(runs) == ROUNDS for runs in results.values())


def test_revert_noise_cost_per_step():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    ds = TensorDataset(torch.randn(2048, 64, generator=g), torch.randint(0, 10, (2048,), generator=g))
    val = DataLoader(TensorDataset(torch.randn(512, 64), torch.randint(0, 10, (512,))), batch_size=256)
    times = {}
    for label, callbacks in (("plain step", []), ("revert+noise", [RevertAndNoise(sigma=0.01)])):
        loader = DataLoader(ds, batch_size=64, sampler=EpochSampler(len(ds)))
        model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))
        recipe = parse_recipe({"epochs": 1, "batch_size": 64})
        opt = build_optimizer(OptimizerSpec(name="adam"), model.parameters())
        trainer = Trainer(model, loader, val, recipe, nn.CrossEntropyLoss(), opt, callbacks=callbacks)
        start = time.perf_counter()
        trainer.fit()
        times[label] = (time.perf_counter() - start) / trainer.step
    print(f"\n[bench] revert+noise policy: {times['revert+noise'] * 1e3:.3f} ms/step vs plain "
          f"{times['plain step'] * 1e3:.3f} ms/step ({times['revert+noise'] / times['plain step']:.2f}×; the "
          "policy evaluates a fixed validation batch after every step)")
