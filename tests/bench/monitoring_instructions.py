"""Instructions each monitoring piece adds to a run, counted by callgrind: repeatable on a loaded machine.

CPU-time benches (`test_monitoring_bench.py`) move by several per cent when
other jobs share the two cores; a piece worth 1 % drowns. Callgrind counts the
instructions the training thread executes, whatever the load. Each arm is one
child process (the project, the data and the model are set up first) whose
`run(job)` is called inside `functools.reduce`: callgrind collects only inside
that C function (`--toggle-collect=functools_reduce`), so torch's import and
the setup (minutes under valgrind) are not counted. The clocks that decide a
cadence (blocks of the writers, activation samples, checkpoints) read a
simulated time that advances `--step-ms` per step (0.6 ms: the digits MLP's
step on a quiet machine), and layer norms are taken every 15 steps, so every
arm does what a real run does, and does it again however loaded the machine
is (a clock slowed from the wall clock took more activation samples when
valgrind waited for a core: 2.1 M instructions quiet, 4.5 M at load 3).
Kernel time (fsync, page cache) is not counted: checkpoints' file work shows
in thread CPU only.

    .venv/bin/python -m tests.bench.monitoring_instructions --epochs 10 --arms minimal,writers,checkpoints
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Pieces switched on over the minimal engine (no norms, no activations, no run folder).
ARMS = {"minimal": (), "writers": ("writers",), "checkpoints": ("checkpoints",), "norms": ("norms",),
        "activations": ("activations",), "default": ("writers", "checkpoints", "norms", "activations")}
NORM_EVERY = 15


def child(arm: str, project: str, epochs: int, folder: Path, step_ms: float = 0.6) -> None:
    """One run with the arm's pieces; `run(job)` inside functools.reduce (what callgrind counts)."""
    import torch

    import runtime.batch_events as batch_events
    from runtime.checkpoint import Checkpointer
    from runtime.session import prepare, run
    from tests.bench import engine_arms as arms

    torch.set_num_threads(1)
    pieces = ARMS[arm]
    batch_events.BatchEvents._adapt_norm_every = lambda self: None  # a fixed cadence: the same norms every arm
    setup = arms.setup(project, 64, epochs)
    in_folder = "writers" in pieces or "checkpoints" in pieces
    job = prepare(setup.doc, project_dir=setup.project_dir, run_dir=folder / "run" if in_folder else None,
                  overrides=setup.overrides(seed=0, log_layers="norms" in pieces,
                                            activation_every="auto" if "activations" in pieces else 0))
    job.trainer.norm_every = NORM_EVERY
    trainer, wall0, mono0 = job.trainer, time.time(), time.monotonic()

    def slow_wall() -> float:  # the simulated time: `step_ms` per step taken
        return wall0 + trainer.step * step_ms / 1000

    def slow_monotonic() -> float:
        return mono0 + trainer.step * step_ms / 1000

    for callback in job.trainer.callbacks:
        if hasattr(callback, "clock"):
            callback.clock = slow_monotonic
    if in_folder and "checkpoints" not in pieces:
        job.trainer.callbacks = [c for c in job.trainer.callbacks if not isinstance(c, Checkpointer)]
    for subscriber in list(job.events._subscribers):
        for writer in [subscriber, *getattr(subscriber, "writers", [])]:
            if hasattr(writer, "_clock"):
                writer._clock, writer._written = slow_wall, slow_wall()
        if in_folder and "writers" not in pieces:
            job.events._subscribers.remove(subscriber)
            subscriber.close()
    functools.reduce(lambda _a, _b: run(job), [0, 0])
    print(f"steps {job.trainer.step}", file=sys.stderr)


def count(arm: str, project: str, epochs: int, folder: Path, step_ms: float = 0.6) -> tuple[int, int]:
    """(instructions inside run(job), steps) of one arm under callgrind."""
    out = folder / f"{arm}.callgrind"
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce",
         f"--callgrind-out-file={out}", sys.executable, "-m", "tests.bench.monitoring_instructions", "--child", arm,
         "--project", project, "--epochs", str(epochs), "--folder", str(folder), "--step-ms", str(step_ms)],
        capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=True)
    totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    steps = re.search(r"^steps (\d+)", result.stderr, re.MULTILINE)
    if totals is None or steps is None:
        raise RuntimeError(f"{arm}: no count in callgrind's output\n{result.stderr[-2000:]}")
    return int(totals.group(1)), int(steps.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--project", default="digits MLP")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--child")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--step-ms", type=float, default=0.6, help="simulated milliseconds per step")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.project, args.epochs, args.folder, args.step_ms)
        return
    names = ["minimal", *[a for a in args.arms.split(",") if a != "minimal"]]
    with tempfile.TemporaryDirectory() as tmp:
        counts = {name: count(name, args.project, args.epochs, Path(tmp), args.step_ms) for name in names}
    base, steps = counts["minimal"]
    print(f"[bench] instructions inside run(), {args.project} b64, {args.epochs} epochs ({steps} steps), callgrind")
    print(f"  {'arm':14} {'instructions':>15} {'over minimal':>14} {'per step':>10} {'share':>8}")
    for name, (total, _) in counts.items():
        extra = total - base
        print(f"  {name:14} {total:>15,} {extra:>14,} {extra / steps:>10,.0f} {100 * extra / base:>7.2f} %")


if __name__ == "__main__":
    main()
