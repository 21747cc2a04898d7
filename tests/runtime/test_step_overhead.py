"""What the engine adds to a training step, counted rather than timed.

On the digits MLP at batch 64 a step is ~1 ms of CPU, most of it the
dispatch of a few dozen small tensor operations; the engine's own per-batch
Python (hooks, events, device checks) was ~40 extra Python-level calls per
step beside a careful hand loop on the same tensor operations, a few per cent
of the step that no single line explained. Counting them (a profile function
sees every Python and built-in call) is exact where timing on a shared
machine is not.
"""

from __future__ import annotations

import sys
from collections import Counter

import torch
from torch import nn

from runtime.session import prepare
from tests.runtime.test_training import example


def calls_during(fn) -> Counter:
    """Python-level calls (functions and built-ins) made while `fn` runs, by name."""
    seen: Counter = Counter()

    def profile(frame, event, arg):
        if event == "call":
            seen[f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_code.co_name}"] += 1
        elif event == "c_call":
            seen[getattr(arg, "__qualname__", repr(arg))] += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return seen


def per_step(run_for) -> tuple[float, Counter]:
    """Calls per training step: two lengths of run differenced, so that setting up and ending cancel out.

    A first short run is thrown away: torch's first calls of a kind (lazy imports, dispatch caches) otherwise
    fell into the short run only and moved the careful loop's count by ±3 from one test run to the next.
    """
    run_for(1)
    short, long_ = run_for(2), run_for(6)
    counts = Counter({k: long_[0][k] - short[0].get(k, 0) for k in long_[0]})
    steps = long_[1] - short[1]
    return sum(counts.values()) / steps, counts


def careful(epochs: int) -> tuple[Counter, int]:
    """The benchmark's careful hand loop (tests/bench/engine_arms.py) on the same data and model."""
    job = prepare(example(), overrides={"epochs": epochs, "log_layers": False, "activation_every": 0})
    model, (x, y) = job.trainer.model, job.bundle.train.tensors
    xv, yv = job.bundle.val.tensors
    opt = torch.optim.Adam(model.parameters(), lr=job.recipe.optimizer.lr)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    n, bs = len(x), job.recipe.batch_size

    def train() -> None:
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(n, generator=g)
            for i in range(0, n, bs):
                idx = perm[i:i + bs]
                loss = loss_fn(model(x[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss.item()
            model.eval()
            with torch.no_grad():
                (model(xv).argmax(1) == yv).float().mean().item()

    return calls_during(train), epochs * len(range(0, n, bs))


def engine(epochs: int, **overrides) -> tuple[Counter, int]:
    job = prepare(example(), overrides={"epochs": epochs, "log_layers": False, "activation_every": 0,
                                        **overrides})
    counts = calls_during(job.trainer.fit)
    return counts, job.trainer.step


def test_the_engine_adds_few_python_calls_to_a_careful_loops_step():
    torch.set_num_threads(1)
    hand, hand_counts = per_step(careful)
    ours, counts = per_step(engine)
    extra = ours - hand
    more = Counter({k: v for k, v in (counts - hand_counts).items()})
    top = ", ".join(f"{k} {v:+d}" for k, v in more.most_common(15))
    print(f"\nPython calls per step: careful loop {hand:.1f}, engine {ours:.1f} (+{extra:.1f}); the engine's "
          f"extra calls over the counted steps: {top}")
    # What is left is each batch's own business, one call each:
    # the step itself, the NaN guard, the samples/s clock, the batch event (its tuple, the event stream) and the
    # isinstance of forward. The fit chooses the lean step once (no per-batch checks of precision, penalties,
    # clipping, snapshots or data placement); the lean step calls the model and the loss itself when the output
    # needs no flattening or complex check, and the layer-norm cadence only when layer norms are logged. Flags
    # nothing can set (this run's: no worker, no GUI) are not read, and in-memory batches come from C iterators
    # (`zip`/`map` over the order's slices) instead of a generator. It was 42 at first, 20.5 before the lean
    # step, 18.0 before those, 13.1 before the flags and the batch iterators and 10.2 after.
    assert extra <= 11, f"the engine makes {extra:.1f} more Python calls per step than a careful loop"
