"""The text of a new hook: a Callback skeleton that teaches the hook API where it is used.

"New hook…" in the Hooks panel puts this into a new code entry. Its
docstring lists every hook point with what is true there and the nearest
Keras callback, and what the trainer offers (restore, snapshot, noise,
decisions, skipping); every method is a documented no-op the user fills in
or deletes. The text is plain Python: it runs as written once the project is
trusted, and exports with the project.
"""

from __future__ import annotations

import re

from runtime.callbacks import HOOK_POINTS

TRAINER_API = (
    ("trainer.model, trainer.optimizer", "the model being trained and its optimizer"),
    ("trainer.step, trainer.epoch", "steps and epochs done so far"),
    ("trainer.batch, trainer.loss", "this batch (inputs, targets) and its loss"),
    ("trainer.last_eval", 'the latest validation metrics, e.g. {"val_loss": 0.31}'),
    ("trainer.layer(\"fc2\")", "a layer by its label on the canvas"),
    ("trainer.evaluate()", "validation metrics now (a dict like last_eval)"),
    ("trainer.loss_on(batch)", "the loss on one batch, in eval mode"),
    ("trainer.snapshot()", "a copy of the weights, optimizer and schedule state"),
    ("trainer.restore(state)", "puts a snapshot back"),
    ("trainer.revert_step()", "undoes the step just taken (set needs_snapshot)"),
    ("trainer.add_noise(sigma, layers=[...])", "Gaussian noise on the named layers (none named: all)"),
    ("trainer.decide(self.name, \"reverted\")", "records a decision: a marker on the loss plot"),
    ("raise CancelStepException", "in on_after_backward: skip this optimizer step"),
    ("raise CancelBatchException", "skip the rest of this batch"),
    ("raise CancelFitException(\"why\")", "stop training cleanly"),
)


def class_name_for(entry: str) -> str:
    words = [w for w in re.split(r"[^0-9A-Za-z]+", entry) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "MyHook"
    return name if not name[0].isdigit() else f"Hook{name}"


def hook_skeleton(entry: str) -> str:
    """A Callback subclass for code entry `entry`, with every hook point ready to fill in."""
    cls = class_name_for(entry)
    width = max(len(point) for point in HOOK_POINTS)
    points = "\n".join(f"      {point:<{width}}  {text.split(';')[0]}  [Keras: {keras}]"
                       for point, (text, keras) in HOOK_POINTS.items())
    api_width = max(len(name) for name, _ in TRAINER_API)
    api = "\n".join(f"      {name:<{api_width}}  {text}" for name, text in TRAINER_API)
    methods = "\n\n".join(_method(point, text) for point, (text, _) in HOOK_POINTS.items())
    return f'''class {cls}(Callback):
    """My hook: runs between training batches. Fill in the methods you need, delete the rest.

    Hook points, in the order training reaches them:
{points}

    What `trainer` offers:
{api}

    Settings are the arguments of __init__; edit their values in the Hooks panel.
    Available names: torch, nn, math, Callback and the Cancel exceptions.
    """

    name = {entry!r}
    needs_snapshot = False  # True: the state before each step is kept, so revert_step() works

    def __init__(self, sigma=0.01):
        self.sigma = sigma

{methods}
'''


def _method(point: str, text: str) -> str:
    """A no-op hook method: what is true there as its docstring, what it may do as comments."""
    first, *rest = [part.strip() for part in text.split(";")]
    lines = [f"    def {point}(self, trainer):", f'        """{first[0].upper()}{first[1:]}."""']
    lines += [f"        # {part}" for part in rest]
    return "\n".join(lines)
