"""A training run's events, made up the same way every time, for the window benches.

A recorded run changed from one bench to the next: its length swung from 1.8
to 5.7 s with the machine's load, the gradient norms' cadence (a share of the
step's CPU) and the activation samples (one a wall second) with it, and the
window's first run gets an extra frame (its first is drawn at once), which
moved the first-run share by ~2 points. These events have the counts and the
cadence of a quiet run of the same project, at fixed times: a fixed number of
batches over a fixed duration, handed over in blocks as the window polls.
"""

from __future__ import annotations

import math
import random

from runtime.events import (
    ActivationStats,
    BatchEnded,
    CheckpointSaved,
    EpochEnded,
    EvalEnded,
    FitEnded,
    FitStarted,
)


class Shape:
    """What a project's run reports: its layers with parameters, the nodes whose activations are sampled."""

    def __init__(self, layers: tuple[str, ...], nodes: tuple[str, ...], epochs: int, steps_per_epoch: int = 23,
                 seconds: float = 5.0) -> None:
        self.layers, self.nodes = layers, nodes
        self.epochs, self.steps_per_epoch, self.seconds = epochs, steps_per_epoch, seconds

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch


#: The two bench projects as a quiet headless run reports them (node names from the project files); 5 s each.
SHAPES = {
    "digits MLP": Shape(("fc1", "fc2"), ("fc1", "act1", "drop", "fc2"), epochs=120),
    "LeNet": Shape(("conv1", "conv2", "fc1", "fc2", "fc3"),
                   ("conv1", "tanh1", "pool1", "conv2", "tanh2", "pool2", "fc1", "tanh3", "fc2", "tanh4", "fc3"),
                   epochs=12),
}
#: The engine's gradient norms: the first steps, then about every 15 (its cadence on a quiet machine).
NORM_EVERY = 15


def events(shape: Shape, seed: int = 0) -> list[tuple[float, object]]:
    """(time in seconds, event), in the order the worker sends them: a loss that falls with noise, a constant
    learning rate, norms every `NORM_EVERY` steps, an evaluation every epoch, activation samples once a second."""
    rng = random.Random(seed)
    total, per_s = shape.total_steps, shape.total_steps / shape.seconds
    out: list[tuple[float, object]] = [(0.0, FitStarted(shape.epochs, shape.steps_per_epoch, total, 9610, 9610,
                                                         shape.layers))]
    sampled_at = -1.0
    for step in range(1, total + 1):
        t = step / per_s
        epoch = (step - 1) // shape.steps_per_epoch
        if t - sampled_at >= 1.0 or step == 1:
            sampled_at = t
            for node in shape.nodes:
                hist = tuple(float(int(1000 * math.exp(-((i - 15) / 6) ** 2))) for i in range(30))
                out.append((t, ActivationStats(step, node, rng.gauss(0, 0.1), 0.3, hist,
                                               tuple(-1 + i / 15 for i in range(31)))))
        loss = 2.3 * math.exp(-step / (total / 8)) + 0.05 * rng.random() + 0.01
        norms = {} if step > 3 and step % NORM_EVERY else {
            name: 0.3 * math.exp(-step / total) * (1 + 0.5 * rng.random()) for name in shape.layers}
        weights = {name: 2.0 + step / total for name in norms}
        out.append((t, BatchEnded(step, epoch, loss, 0.002, 64 * per_s, norms, weights)))
        if step % shape.steps_per_epoch == 0:
            metrics = {"val_loss": loss * 1.1, "val_accuracy": 1 - loss / 3}
            out += [(t, EvalEnded(step, epoch, metrics)), (t, EpochEnded(epoch, step, metrics))]
            if step in (shape.steps_per_epoch, total):
                out.append((t, CheckpointSaved(step, f"checkpoints/epoch{epoch + 1:04d}.safetensors")))
    out.append((shape.seconds, FitEnded("finished", total, metrics)))
    return out


def blocks(shape: Shape, poll_ms: int, seed: int = 0) -> list[tuple[float, list]]:
    """The events in the blocks a window polling every `poll_ms` would read: (time, block), no empty block."""
    out: list[tuple[float, list]] = []
    tick = poll_ms / 1000
    for t, event in events(shape, seed):
        due = math.ceil(t / tick - 1e-9) * tick
        if out and abs(out[-1][0] - due) < 1e-9:
            out[-1][1].append(event)
        else:
            out.append((due, [event]))
    return out
