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


#: Every hook point, in the order a fit reaches them: what is true there, and the nearest Keras callback.
HOOK_POINTS: dict[str, tuple[str, str]] = {
    "on_fit_start": ("before the first batch; the model, optimizer and data are ready", "on_train_begin"),
    "on_epoch_start": ("at the start of every epoch", "on_epoch_begin"),
    "on_batch_start": ("the batch is in trainer.batch; nothing is computed yet", "on_train_batch_begin"),
    "on_after_backward": ("gradients are ready, no step taken yet; raise CancelStepException to "
                          "skip the step", "none (train_step)"),
    "on_after_step": ("the optimizer stepped; trainer.loss is this batch's loss; trainer.revert_step() undoes the "
                      "step", "on_train_batch_end"),
    "on_eval_end": ("validation metrics are in trainer.last_eval", "on_test_end"),
    "on_epoch_end": ("at the end of every epoch; also of one max_steps cuts short (then trainer.partial_epoch is "
                     "True); a Stop ends the run without it", "on_epoch_end"),
    "on_fit_end": ("after the last batch, also when training was stopped", "on_train_end"),
}


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
        """At the end of every epoch, also of one max_steps cuts short (`trainer.partial_epoch`); not after a Stop."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """After the last batch, also when training was stopped."""
