"""The training loop: plain and readable, with hooks where Lightning puts them.

    for epoch:
        for batch:
            on_batch_start → forward → loss → backward → on_after_backward
            → optimizer.step() → on_after_step → batch event
        evaluate → on_eval_end → on_epoch_end   (also for an epoch max_steps cuts short)

Hooks skip or stop by raising the Cancel exceptions of `runtime.callbacks`.
Everything the outside world learns leaves as an event (`runtime.events`).
This module holds the fit loop and the helpers hooks call; one step is in
`runtime.batch_step`, its event and layer norms in `runtime.batch_events`,
evaluation in `runtime.evaluation`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from graph.problems import Problem
from runtime.batch_events import READBACK_STEPS, BatchEvents
from runtime.batch_step import BatchStep
from runtime.callbacks import Callback, CancelBatchException, CancelFitException
from runtime.crash_site import unlocated
from runtime.evaluation import Evaluation
from runtime.events import (
    EpochEnded,
    EvalEnded,
    FitEnded,
    FitStarted,
    HookDecision,
    LogMessage,
    PauseChanged,
)
from runtime.layer_norms import LayerNorms, parameter_layers
from runtime.precision import Precision, compiled_forward, to_channels_last
from runtime.recipe import Recipe
from runtime.training_error import TrainingError
from runtime.training_state import TrainingState, add_gaussian_noise, capture_state, restore_state

__all__ = ["Flags", "Trainer", "TrainingError", "parameter_layers", "resolve_device"]


def never() -> bool:
    """A flag nothing sets: the default of `Flags`, which the loop then does not read."""
    return False


@dataclass
class Flags:
    """Cooperative control from outside the loop (threads or a worker's pipe)."""

    stop: Callable[[], bool] = never
    paused: Callable[[], bool] = never

    @property
    def watched(self) -> bool:
        """Whether anything outside can set a flag (the loop reads them before every batch only then)."""
        return self.stop is not never or self.paused is not never


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was chosen but no CUDA GPU is available; choose cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise TrainingError("device 'mps' was chosen but Apple's MPS is not available; choose cpu or auto")
    return torch.device(name)


class Trainer(BatchStep, BatchEvents, Evaluation):
    """One run's training: `fit` loops over epochs and batches, emitting events; hooks get this object."""

    def __init__(
        self,
        model: nn.Module,
        train_loader: Iterable,
        val_loader: Iterable | None,
        recipe: Recipe,
        loss_fn: Callable[..., torch.Tensor],
        optimizer: torch.optim.Optimizer,
        scheduler: Any = None,
        scheduler_when: str = "batch",
        callbacks: Iterable[Callback] = (),
        emit: Callable[[Any], None] = lambda event: None,
        device: torch.device | str = "cpu",
        flags: Flags | None = None,
        target_is_input: bool = False,
        on_nan: str = "stop",
        readback_every: int | None = None,
    ) -> None:
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.recipe = recipe
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scheduler_when = scheduler_when
        self.callbacks = list(callbacks)
        self._send = emit
        self.device = torch.device(device)
        self.flags = flags or Flags()
        self.target_is_input = target_is_input
        self.on_nan = on_nan
        self.step = 0
        self.epoch = 0
        self.batch: tuple[Any, torch.Tensor] | None = None
        self.output: torch.Tensor | None = None
        self.loss: torch.Tensor | None = None
        self.last_eval: dict[str, float] = {}
        self.evaluated_at = -1  # the step `last_eval` was measured at
        #: True in `on_epoch_end` when max_steps ended the epoch before its last batch (a Stop has no epoch end).
        self.partial_epoch = False
        self.snapshot_before_step: TrainingState | None = None
        #: Node label → attribute path, so hooks can name layers as the canvas does.
        self.layer_paths: dict[str, str] = {}
        self.needs_snapshot = any(getattr(c, "needs_snapshot", False) for c in self.callbacks)
        self.status = "finished"
        #: The record for an unexpected failure: the session points it at the node it happened in.
        self.failure_problem: Callable[[BaseException], Problem] = unlocated
        self._norms = LayerNorms(model)
        self._hooks: dict[str, list] = {}
        self.precision = Precision(recipe.precision, self.device)
        self._channels_last = recipe.channels_last
        #: The train loader serves batches on this device already (in-memory data): nothing to move or check.
        self._batches_in_place = self.serves_in_place(train_loader)
        if self._channels_last:
            to_channels_last(model)
        self._forward_module: Callable[..., Any] = compiled_forward(model) if recipe.compile else model
        #: Per-layer norms cost a fixed few dozen µs; on tiny models they are taken every
        #: few batches so that they stay near 1 % of the step time.
        self.norm_every = 1
        self.readback_every = readback_every or (1 if self.device.type == "cpu" else READBACK_STEPS)
        self._bind_step()
        self._pending: list[tuple] = []  # batch events whose norms are still on the device
        self._pending_since = 0.0
        self._norm_cost = 0.0  # CPU seconds per measurement: measuring plus its share of the read-back
        self._norm_spent = 0.0  # CPU seconds of norms since the last estimate
        self._norm_count = 0
        self._step_cost = 0.0  # CPU seconds per step (moving average of samples, see ADAPT_AT)
        self._samples = 0
        self._cpu_step = 0  # the step of the last CPU clock sample (0: none yet)
        self._last_cpu = 0.0
        self._clock = time.perf_counter()

    @property
    def _layers(self) -> list[tuple[str, list[nn.Parameter]]]:
        return self._norms.layers

    # -- helpers hooks use (the trainer API listed in the "New hook" skeleton) ----------
    def snapshot(self) -> TrainingState:
        """Weights, optimizer state and scheduler state, copied (restore with `restore`)."""
        return capture_state(self.model, self.optimizer, self.scheduler)

    def restore(self, state: TrainingState | dict[str, torch.Tensor]) -> None:
        """Puts a snapshot back: weights, and optimizer and scheduler state when it holds them."""
        restore_state(self.model, state, self.optimizer, self.scheduler)

    def revert_step(self) -> None:
        """Undoes the optimizer step just taken (call in on_after_step; needs `needs_snapshot = True`)."""
        if self.snapshot_before_step is None:
            raise TrainingError("revert_step() needs the hook to set needs_snapshot = True")
        self.restore(self.snapshot_before_step)

    def layer(self, name: str) -> nn.Module:
        """A layer by its node label (as on the canvas) or attribute path."""
        return self.model.get_submodule(self.layer_paths.get(name, name))

    def add_noise(self, sigma: float, layers: Iterable[str] = (), scale_by_std: bool = False,
                  generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Adds N(0, σ²) to the trainable weights of `layers` (node labels or paths; none = all); returns it."""
        paths = tuple(self.layer_paths.get(name, name) for name in layers)
        return add_gaussian_noise(self.model, sigma, scale_by_std, generator, paths)

    def decide(self, hook: str, decision: str, **detail: float) -> None:
        """Records a hook's decision for this step: a marker on the loss plot and a count in its title."""
        self.emit(HookDecision(self.step + 1, hook, decision, {k: float(v) for k, v in detail.items()}))

    def add_parameters(self, params: list[nn.Parameter], lr: float | None = None) -> None:
        """New trainable weights (e.g. a forest's new member) join the optimizer."""
        group = {"params": params}
        if lr is not None:
            group["lr"] = lr
        self.optimizer.add_param_group(group)
        self._norms = LayerNorms(self.model)

    # -- the loop -----------------------------------------------------------
    def _call(self, hook: str) -> None:
        methods = self._hooks.get(hook)
        if methods is None:
            methods = self._bind_hooks(hook)
        for method in methods:
            method(self)

    def _bind_hooks(self, hook: str) -> list:
        """Only the callbacks that override `hook` are called (the base methods are no-ops)."""
        base = getattr(Callback, hook)
        methods = [getattr(cb, hook) for cb in self.callbacks
                   if getattr(type(cb), hook, base) is not base or hook in vars(cb)]
        self._hooks[hook] = methods
        return methods

    def _bind_step(self) -> None:
        """What every step calls, bound once per fit: the per-batch hooks (most runs have none, and then a batch
        calls nothing for them), the precision's backward and optimizer step, the per-batch scheduler step, and
        the step itself (`lean_batch` where it applies)."""
        self._batch_hooks = tuple(self._bind_hooks(hook)
                                  for hook in ("on_batch_start", "on_after_backward", "on_after_step"))
        self._backward, self._optimizer_step = self.precision.calls(self.optimizer)
        batch_scheduler = self.scheduler is not None and self.scheduler_when == "batch"
        self._scheduler_step = self.scheduler.step if batch_scheduler else None
        self._one_step = self.lean_batch if self.lean_applies() else self.one_batch
        #: The layer-norm cadence, asked by every step only when layer norms are logged at all.
        self._norms_due = self._measure_norms if self.recipe.log_layers else None

    def fit(self) -> dict[str, float]:
        epochs = self.recipe.epochs
        steps_per_epoch = len(self.train_loader)
        total = epochs * steps_per_epoch
        if self.recipe.max_steps:
            total = min(total, self.recipe.max_steps)
        n_params = sum(p.numel() for p in self.model.parameters())
        n_train = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        self.emit(FitStarted(epochs, steps_per_epoch, total, n_params, n_train, tuple(n for n, _ in self._layers)))
        message = ""
        problems: list = []
        self._hooks = {}
        self.model.to(self.device).train()
        try:
            self._call("on_fit_start")
            self._bind_step()
            one_step, flags = self._one_step, self.flags
            watched = flags.watched  # a run nobody can stop or pause (a script's, a test's) skips two calls a batch
            eval_every, max_steps = self.recipe.eval_every, self.recipe.max_steps
            start_epoch = self.epoch
            sampler = getattr(self.train_loader, "sampler", None)
            for epoch in range(start_epoch, epochs):
                self.epoch = epoch
                if hasattr(sampler, "set_epoch"):  # resume mid-epoch: skip what was already seen
                    done = max(0, self.step - epoch * steps_per_epoch) if epoch == start_epoch else 0
                    sampler.set_epoch(epoch, done * (self.train_loader.batch_size or 1))
                self._call("on_epoch_start")
                for batch in self.train_loader:
                    if watched:
                        if flags.paused():
                            self._wait_if_paused()
                        if flags.stop():
                            raise CancelFitException("stopped by the user")
                    try:
                        one_step(batch)
                    except CancelBatchException:
                        pass
                    if eval_every and self.step % eval_every == 0:
                        self.run_eval()
                    if max_steps and self.step >= max_steps:
                        break
                reached = max_steps and self.step >= max_steps
                # Steps count batches, as a resume counts them (see set_epoch above).
                self.partial_epoch = bool(reached) and self.step < (epoch + 1) * steps_per_epoch
                self._end_epoch(epoch, eval_every)
                if reached:
                    if not self.partial_epoch:
                        self.epoch = epoch + 1  # a resume starts the next epoch, as after any whole epoch
                    raise CancelFitException("reached max_steps")
            self.epoch = epochs
        except CancelFitException as exc:
            reason = str(exc) or "stopped by a hook"
            reached = reason == "reached max_steps"
            self.status = "finished" if reached else "stopped"
            message = reason
            # The result is the metrics of the weights the run ends with: reaching max_steps evaluates them (unless
            # this step just did); a Stop ends at once, evaluating only a run that never evaluated.
            if not self.last_eval or (reached and self.evaluated_at != self.step):
                self.run_eval()
        except TrainingError as exc:
            self.status, message, problems = "failed", str(exc), exc.problems
        except Exception as exc:
            self.status, message = "failed", f"{type(exc).__name__}: {exc}"
            self._safe_fit_end()
            self.emit(FitEnded(self.status, self.step, dict(self.last_eval), message,  # a record even so
                               problems=[self.failure_problem(exc).to_dict()]))
            raise
        self._safe_fit_end()
        self.emit(FitEnded(self.status, self.step, dict(self.last_eval), message,
                           problems=[p.to_dict() for p in problems]))
        if self.status == "failed":
            raise TrainingError(problems)
        return dict(self.last_eval)

    def _end_epoch(self, epoch: int, eval_every: int) -> None:
        """An epoch's end, also of one that max_steps cut short (`partial_epoch`), as Lightning and Keras end it:
        evaluation (unless this step just evaluated), the `EpochEnded` record and `on_epoch_end`. A per-epoch
        scheduler steps only after a whole epoch: a resume finishes a cut one and steps it then."""
        if not eval_every or self.step % eval_every:
            self.run_eval()
        self.emit(EpochEnded(epoch, self.step, dict(self.last_eval)))
        if self.scheduler is not None and self.scheduler_when == "epoch" and not self.partial_epoch:
            self.scheduler.step()
        self._call("on_epoch_end")

    def _safe_fit_end(self) -> None:
        try:
            self._call("on_fit_end")
        except Exception as exc:  # noqa: BLE001 - a failing end hook must not hide the real outcome
            self.emit(LogMessage(f"on_fit_end failed: {exc}", "error"))

    def _wait_if_paused(self) -> None:
        """Waits between batches while paused; says when it starts and ends waiting (a Stop ends it)."""
        if not self.flags.paused() or self.flags.stop():
            return
        self.emit(PauseChanged(self.step, True))
        while self.flags.paused() and not self.flags.stop():
            time.sleep(0.05)
        if not self.flags.stop():
            self.emit(PauseChanged(self.step, False))

    def run_eval(self) -> None:
        if self.val_loader is None:
            return
        self.last_eval = self.evaluate(max_batches=self.recipe.eval_batches)
        self.evaluated_at = self.step
        self.emit(EvalEnded(self.step, self.epoch, dict(self.last_eval)))
        if self.scheduler is not None and self.scheduler_when == "eval":
            self.scheduler.step(self.last_eval.get("val_loss", 0.0))
        self._call("on_eval_end")
