"""What each piece of the engine's default monitoring costs, switched on one at a time over the minimal engine.

The default run (the GUI's and the CLI's) adds to the minimal engine: per-layer
weight/gradient norms, activation statistics, and a run folder, which is the
metrics file and TensorBoard writers plus the checkpoints and final weights.
Each arm here is the minimal engine with one of those pieces switched on (the
run folder split into its writers and its checkpoints), beside the careful
hand loop and the full default; all take turns epoch by epoch
(`tests.bench.turns`), timed by their own thread's CPU, so a piece's cost is
the difference of two arms measured under the same load. A piece's share is
(its arm's CPU − the minimal arm's CPU) ÷ the minimal arm's CPU. Nothing is
asserted about time: the table is the result.

    TORCHCANVAS_BENCH_ROUNDS=3 TORCHCANVAS_BENCH_REPEATS=2 \
        .venv/bin/python -m pytest -q -s -m slow tests/bench/test_monitoring_bench.py
"""

from __future__ import annotations

import os
import statistics
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import torch

from runtime.checkpoint import Checkpointer
from tests.bench import engine_arms as arms
from tests.bench.turns import Turn, Turns

pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("TORCHCANVAS_BENCH_ROUNDS", "3"))
REPEATS = int(os.environ.get("TORCHCANVAS_BENCH_REPEATS", "2"))
MINIMAL = {"log_layers": False, "activation_every": 0}
#: (project, batch size, epochs): a rotation of all arms takes about a minute on a quiet machine.
CONFIGS = [("LeNet", 64, 6), ("digits MLP", 64, 30)]


def engine_piece(s: arms.Setup, seed: int, run_dir: Path, turn: Turn, *, folder: str = "", **overrides: Any
                 ) -> tuple[float, float]:
    """`engine_arms.engine` with some pieces on; `folder`: "" none, "all", "writers" or "checkpoints"."""
    from runtime.session import prepare, run

    job = prepare(s.doc, project_dir=s.project_dir, run_dir=run_dir if folder else None,
                  extra_callbacks=[arms.HandOver(turn)], overrides=s.overrides(seed=seed, **overrides))
    if folder == "writers":  # the run folder without its checkpoints (the final weights stay)
        job.trainer.callbacks = [c for c in job.trainer.callbacks if not isinstance(c, Checkpointer)]
    elif folder == "checkpoints":  # the run folder without its metrics and TensorBoard files
        for subscriber in list(job.events._subscribers):
            job.events._subscribers.remove(subscriber)
            close = getattr(subscriber, "close", None)
            if close is not None:
                close()
    turn.start()
    result = arms._timed(lambda: run(job))
    assert job.trainer.step == len(range(0, len(s.x), s.batch_size)) * s.epochs, "the engine did not finish"
    return result


ARMS = {
    "careful index loop": arms.careful_loop,
    "engine, minimal": partial(engine_piece, **MINIMAL),
    "+ layer norms": partial(engine_piece, **{**MINIMAL, "log_layers": True}),
    "+ activation stats": partial(engine_piece, **{**MINIMAL, "activation_every": "auto"}),
    "+ run-folder writers": partial(engine_piece, folder="writers", **MINIMAL),
    "+ checkpoints, weights": partial(engine_piece, folder="checkpoints", **MINIMAL),
    "+ whole run folder": partial(engine_piece, folder="all", **MINIMAL),
    "engine, default": partial(engine_piece, folder="all"),
}


#: TORCHCANVAS_MONITOR_ARMS=ends: only the careful loop and the engine's minimal and default arms (a shorter
#: run for the default ÷ careful ratio alone).
ENDS = ("careful index loop", "engine, minimal", "engine, default")


def measure(setup: arms.Setup, tmp_path: Path) -> dict[str, list[float]]:
    """Per arm: its mean CPU seconds in each round."""
    names = list(ENDS if os.environ.get("TORCHCANVAS_MONITOR_ARMS") == "ends" else ARMS)
    for name in names:
        if name == "careful index loop":
            ARMS[name](setup.warm_up(), 0, tmp_path / "warm")
        else:
            Turns().run([partial(ARMS[name], setup.warm_up(), 0, tmp_path / f"warm-{name}")])
    results: dict[str, list[float]] = {name: [] for name in names}
    for r in range(ROUNDS):
        runs: dict[str, list[float]] = {name: [] for name in names}
        for k in range(REPEATS):
            shift = (r * REPEATS + k) % len(names)
            order = names[shift:] + names[:shift]
            times = Turns().run([partial(ARMS[name], setup, r, tmp_path / f"run-{r}-{k}-{name}") for name in order])
            for name, (cpu, _wall) in zip(order, times, strict=True):
                runs[name].append(cpu)
        for name, cpus in runs.items():
            results[name].append(statistics.fmean(cpus))
    return results


def table(setup: arms.Setup, results: dict[str, list[float]], load: str) -> list[str]:
    base, minimal = results["careful index loop"], results["engine, minimal"]

    def spread(values: list[float], fmt: str) -> str:
        return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"

    lines = [f"\n[bench] monitoring pieces, {setup.name}: {setup.epochs} epochs of {len(setup.x)} samples, "
             f"{ROUNDS} rounds × {REPEATS} rotations taking turns epoch by epoch; CPU time, median (min–max); "
             f"1-min load {load}",
             f"  {'arm':26} {'CPU s':>22} {'÷ careful (speed)':>22} {'cost over minimal':>24}"]
    for name, cpus in results.items():
        speed = [b / c for b, c in zip(base, cpus, strict=True)]
        share = [c / m - 1 for m, c in zip(minimal, cpus, strict=True)]
        lines.append(f"  {name:26} {spread(cpus, '{:.3f}'):>22} {spread(speed, '{:.3f}'):>22} "
                     f"{spread([100 * s for s in share], '{:+.1f} %'):>24}")
    return lines


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("project,batch_size,epochs", CONFIGS, ids=[f"{p} b{b}" for p, b, _ in CONFIGS])
def test_monitoring_pieces(project, batch_size, epochs, tmp_path):
    torch.set_num_threads(1)
    setup = arms.setup(project, batch_size, epochs)
    before = os.getloadavg()[0]
    results = measure(setup, tmp_path)
    print("\n".join(table(setup, results, f"{before:.1f} → {os.getloadavg()[0]:.1f}")))
    assert all(len(cpus) == ROUNDS for cpus in results.values())


class Accounts:
    """Thread CPU seconds spent inside each piece, exclusive: a piece called from another (a checkpoint's
    event reaching the writers) is counted once, for the inner piece. The timing's own cost per call,
    measured on an empty function, is taken off (a piece called per batch would otherwise carry ~2 µs a call)."""

    def __init__(self) -> None:
        import time

        self.clock = time.thread_time
        self.spent: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list] = []
        #: What the timing itself adds to a call (two clock reads, ~1.5 µs each): taken off every call.
        self.overhead = 0.0
        probe = self.wrap("probe", lambda: None)
        for _ in range(2000):
            probe()
        self.overhead = self.spent.pop("probe") / self.calls.pop("probe")

    def wrap(self, piece: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [self.clock(), 0.0]
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                elapsed = self.clock() - frame[0]
                self.spent[piece] = self.spent.get(piece, 0.0) + elapsed - frame[1] - self.overhead
                self.calls[piece] = self.calls.get(piece, 0) + 1
                if self._stack:
                    self._stack[-1][1] += elapsed

        return timed


PIECES = ("layer norms", "activation stats", "activation stats: sampling", "run-folder writers",
          "metrics.jsonl: writing", "TensorBoard file: writing", "checkpoints", "final weights + result", "evaluation")


def accounted_run(s: arms.Setup, seed: int, run_dir: Path, accounts: Accounts) -> float:
    """One default run (norms, activations, run folder), each piece's entry points timed; the run's thread CPU."""
    import time

    from runtime import activations, session
    from runtime.run_folder import MetricsWriter, RunFolderWriter
    from runtime.session import prepare, run
    from runtime.tensorboard_writer import TensorBoardWriter

    job = prepare(s.doc, project_dir=s.project_dir, run_dir=run_dir, overrides=s.overrides(seed=seed))
    trainer = job.trainer
    trainer._norms.measure = accounts.wrap("layer norms", trainer._norms.measure)
    trainer._norms.read = accounts.wrap("layer norms", trainer._norms.read)
    trainer.evaluate = accounts.wrap("evaluation", trainer.evaluate)
    for callback in trainer.callbacks:
        piece = {activations.ActivationMonitor: "activation stats", Checkpointer: "checkpoints"}.get(type(callback))
        if piece:
            for hook in ("on_fit_start", "on_batch_start", "on_after_backward", "on_epoch_end", "on_fit_end"):
                if hook in type(callback).__dict__:
                    setattr(callback, hook, accounts.wrap(piece, getattr(callback, hook)))
    subscribers = job.events._subscribers
    for k, subscriber in enumerate(subscribers):
        if isinstance(subscriber, RunFolderWriter):  # each file's writing apart from the per-event work
            for writer in subscriber.writers:
                piece = {MetricsWriter: "metrics.jsonl", TensorBoardWriter: "TensorBoard file"}[type(writer)]
                writer.write_block = accounts.wrap(f"{piece}: writing", writer.write_block)
            wrapped = accounts.wrap("run-folder writers", subscriber.__call__)
            wrapped.close = accounts.wrap("run-folder writers", subscriber.close)  # type: ignore[attr-defined]
            subscribers[k] = wrapped
    # fit() binds the hooks it calls per batch from the callbacks as they are now (wrapped above)
    saved = activations.tensor_stats, session.save_weights, session.write_result
    activations.tensor_stats = accounts.wrap("activation stats: sampling", activations.tensor_stats)
    session.save_weights = accounts.wrap("final weights + result", session.save_weights)
    session.write_result = accounts.wrap("final weights + result", session.write_result)
    try:
        cpu = time.thread_time()
        run(job)
        return time.thread_time() - cpu
    finally:
        activations.tensor_stats, session.save_weights, session.write_result = saved


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("project,batch_size,epochs", CONFIGS, ids=[f"{p} b{b}" for p, b, _ in CONFIGS])
def test_monitoring_accounts(project, batch_size, epochs, tmp_path):
    """Each piece's own CPU inside a default run, as a share of the run: precise where differences are noise."""
    torch.set_num_threads(1)
    setup = arms.setup(project, batch_size, epochs)
    accounted_run(setup.warm_up(), 0, tmp_path / "warm", Accounts())
    before = os.getloadavg()[0]
    runs = []
    for r in range(ROUNDS * REPEATS):
        accounts = Accounts()
        total = accounted_run(setup, r, tmp_path / f"run-{r}", accounts)
        runs.append((total, accounts))
    lines = [f"\n[bench] monitoring pieces inside a default run, {setup.name}: {setup.epochs} epochs of "
             f"{len(setup.x)} samples, {len(runs)} runs; thread CPU, median (min–max); 1-min load "
             f"{before:.1f} → {os.getloadavg()[0]:.1f}",
             f"  {'piece':24} {'ms per run':>22} {'share of the run':>26} {'calls':>7}"]
    totals = [t for t, _ in runs]
    for piece in (*PIECES, "all pieces but evaluation"):
        if piece == "all pieces but evaluation":
            ms = [1e3 * sum(v for p, v in a.spent.items() if p != "evaluation") for _, a in runs]
            calls = ""
        else:
            ms = [1e3 * a.spent.get(piece, 0.0) for _, a in runs]
            calls = str(runs[-1][1].calls.get(piece, 0))
        shares = [100 * m / (1e3 * t) for m, t in zip(ms, totals, strict=True)]
        lines.append(f"  {piece:24} {statistics.median(ms):>10.1f} ({min(ms):.1f}–{max(ms):.1f}) "
                     f"{statistics.median(shares):>12.2f} % ({min(shares):.2f}–{max(shares):.2f}) {calls:>7}")
    lines.append(f"  {'whole run':24} {1e3 * statistics.median(totals):>10.1f} ms")
    # "auto" samples once per second of wall time: a loaded machine's longer runs take more samples
    layers = sum(1 for name, m in setup.make_model(0).named_modules() if name and not list(m.children()))
    per_sample = [1e3 * a.spent.get("activation stats: sampling", 0.0) / max(1, a.calls.get(
        "activation stats: sampling", 0) // layers) for _, a in runs]
    samples = [a.calls.get("activation stats: sampling", 0) // layers for _, a in runs]
    lines.append(f"  activation samples per run {statistics.median(samples):.0f}, "
                 f"{statistics.median(per_sample):.2f} ms each ({layers} layers)")
    print("\n".join(lines))
    assert all(a.calls.get("layer norms") for _, a in runs)
