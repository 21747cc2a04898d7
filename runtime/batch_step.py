"""One training step: the general step, and a lean one for the common case.

    on_batch_start → forward → loss → NaN guard → backward → (clip) → norms
    → on_after_backward → optimizer.step() → scheduler → on_after_step → batch event

`one_batch` does all of it. Most runs have no policy that reverts steps, no
penalty or clipping, float32 as it is, no compiled model and their data in
memory on the trainer's device; for them `lean_batch` makes the same step
without asking about any of that again (the fit chooses once,
`lean_applies`). Per-batch hooks are called on both: the default activation
monitor is one. Both end in
`BatchEvents._end_batch`, so the events, the NaN guard and the norms are the
same whichever ran. `Trainer` takes these methods in.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from torch import nn

from runtime.callbacks import CancelBatchException, CancelStepException
from runtime.events import LogMessage, ModelCompiled
from runtime.metrics import flatten_for_loss
from runtime.precision import channels_last_input
from runtime.training_error import TrainingError


class BatchStep:
    def forward(self, inputs: Any) -> torch.Tensor:
        model = self._forward_module
        return model(*inputs) if isinstance(inputs, (tuple, list)) else model(inputs)

    def compute_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if output.dtype.is_complex:
            raise TrainingError("the model's output is complex; add an Abs or Real node before the Output so "
                                "the loss gets real numbers")
        if output.ndim == 3:
            output, target = flatten_for_loss(output, target)
        return self.loss_fn(output, target)

    def to_device(self, batch: Any) -> tuple[Any, torch.Tensor]:
        x, y = batch if not self.target_is_input else (batch[0], batch[0])
        if isinstance(x, (list, tuple)):
            x = tuple(t if t.device == self.device else t.to(self.device, non_blocking=True) for t in x)
        elif x.device != self.device:
            x = x.to(self.device, non_blocking=True)
        if self._channels_last:
            x = tuple(map(channels_last_input, x)) if isinstance(x, tuple) else channels_last_input(x)
        return x, (y if y.device == self.device else y.to(self.device, non_blocking=True))

    def serves_in_place(self, loader: Any) -> bool:
        """Whether `loader` serves its batches on this device already (in-memory data) and as the model takes
        them: nothing to move, check or convert, in training as in evaluation."""
        return (getattr(loader, "device", None) == self.device and not self.target_is_input
                and not self._channels_last)

    def lean_applies(self) -> bool:
        """Whether this fit's steps can be `lean_batch`: none of what only `one_batch` handles is switched on."""
        recipe = self.recipe
        return (not self.needs_snapshot and self.precision.plain and self._batches_in_place
                and self._forward_module is self.model and not (recipe.l1 or recipe.l2 or recipe.clip_grad_norm))

    def _check_loss(self, loss_value: float) -> None:
        """The NaN guard: skip the batch (`on_nan="skip"`) or fail the run with what to try."""
        if self.on_nan == "skip":
            self.emit(LogMessage(f"step {self.step}: loss is {loss_value}; batch skipped", "warning"))
            raise CancelBatchException
        raise TrainingError(f"the loss became {loss_value} at step {self.step} (epoch {self.epoch + 1}); "
                            "lower the learning rate, add normalisation, or clip gradients")

    def lean_batch(self, batch: Any) -> None:
        """`one_batch` for a fit where `lean_applies`: the same step, hooks and event, with nothing else to ask."""
        start_hooks, backward_hooks, step_hooks = self._batch_hooks
        self.batch = batch
        for hook in start_hooks:
            hook(self)
        x, y = self.batch
        # `forward` and `compute_loss`, inline: the model is `self.model` here (not compiled), and only an output
        # that needs flattening (B, T, C) or is complex (an error) goes through `compute_loss`.
        self.output = output = self.model(*x) if isinstance(x, (tuple, list)) else self.model(x)
        if output.ndim == 3 or output.dtype.is_complex:
            self.loss = loss = self.compute_loss(output, y)
        else:
            self.loss = loss = self.loss_fn(output, y)
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            self._check_loss(loss_value)
        self.optimizer.zero_grad(set_to_none=True)
        self._backward(loss)
        norms = None if self._norms_due is None else self._norms_due()
        taken = True
        try:
            for hook in backward_hooks:
                hook(self)
            self._optimizer_step()
            if self._scheduler_step is not None:
                self._scheduler_step()
            for hook in step_hooks:
                hook(self)
        except CancelStepException:
            taken = False
            self.precision.skipped()
        self._end_batch(y.shape[0], loss_value, norms, taken)  # in-memory targets: one row per sample

    def one_batch(self, batch: Any) -> None:
        first = self.step == 0 and self._forward_module is not self.model
        started = time.perf_counter() if first else 0.0
        self.batch = batch if self._batches_in_place else self.to_device(batch)
        start_hooks, backward_hooks, step_hooks = self._batch_hooks
        for hook in start_hooks:
            hook(self)
        x, y = self.batch
        precision = self.precision
        with precision.autocast():
            self.output = self.forward(x)
            loss = self.compute_loss(self.output, y)
        if self.recipe.l1 or self.recipe.l2:
            loss = loss + self._penalty()
        self.loss = loss
        loss_value = loss.item()  # the per-batch curve and the NaN guard need it; a careful loop reads it too
        if not math.isfinite(loss_value):
            self._check_loss(loss_value)
        self.optimizer.zero_grad(set_to_none=True)
        self._backward(loss)
        if self.recipe.clip_grad_norm:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.recipe.clip_grad_norm)
        norms = self._measure_norms()
        taken = True
        try:
            for hook in backward_hooks:
                hook(self)
            if self.needs_snapshot:
                self.snapshot_before_step = self.snapshot()
            self._optimizer_step()
            if self._scheduler_step is not None:
                self._scheduler_step()
            for hook in step_hooks:
                hook(self)
        except CancelStepException:
            taken = False
            precision.skipped()
        if first:
            self._send(ModelCompiled(self.step + 1, time.perf_counter() - started))
        self._end_batch((x[0] if isinstance(x, tuple) else x).shape[0], loss_value, norms, taken)

    def _penalty(self) -> torch.Tensor:
        params = [p for p in self.model.parameters() if p.requires_grad and p.dim() > 1]
        total = torch.zeros((), device=self.device)
        if self.recipe.l1:
            total = total + self.recipe.l1 * sum(p.abs().sum() for p in params)
        if self.recipe.l2:
            total = total + self.recipe.l2 * sum((p.abs() ** 2).sum() for p in params)
        return total
