"""The per-batch hook API: Lightning's names, fastai's way to skip.

A hook is a `Callback` subclass that overrides any of the methods below.
To skip or stop, raise one of the Cancel exceptions; never return a magic
value. Each hook receives the `Trainer`, which exposes the model, the
optimizer, the current batch and loss, and helpers such as `evaluate()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.engine import Trainer


class CancelBatchException(Exception):
    """Skip the rest of this batch (no step, no batch-end event)."""


class CancelStepException(Exception):
    """Skip the optimizer step for this batch (raised in on_after_backward)."""


class CancelFitException(Exception):
    """Stop training cleanly after the current batch; the fit ends as 'stopped'."""


class Callback:
    """Base class of every hook. Each method is a no-op; override what you need."""

    #: Shown in events and the dashboard.
    name: str = "callback"
    #: True: the trainer copies weights, optimizer and scheduler state before every step, so that
    #: `trainer.revert_step()` can undo it (costs a copy per step; only hooks that revert ask for it).
    needs_snapshot: bool = False

    def on_fit_start(self, trainer: Trainer) -> None:
        """Before the first batch; the model and optimizer exist."""

    def on_epoch_start(self, trainer: Trainer) -> None:
        """At the start of every epoch."""

    def on_batch_start(self, trainer: Trainer) -> None:
        """The batch is in `trainer.batch`; nothing computed yet."""

    def on_after_backward(self, trainer: Trainer) -> None:
        """Gradients are ready, the step is not taken; raise CancelStepException to skip it."""

    def on_after_step(self, trainer: Trainer) -> None:
        """The optimizer stepped; with `needs_snapshot = True`, `trainer.revert_step()` undoes it."""

    def on_eval_end(self, trainer: Trainer) -> None:
        """Validation metrics are in `trainer.last_eval`."""

    def on_epoch_end(self, trainer: Trainer) -> None:
        """At the end of every epoch."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """After the last batch, also when training was stopped."""
