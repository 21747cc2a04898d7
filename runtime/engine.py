"""The training loop: plain and readable, with hooks where Lightning puts them.

    for epoch:
        for batch:
            on_batch_start → forward → loss → backward → on_after_backward
            → optimizer.step() → on_after_step → batch event
        evaluate → on_eval_end → on_epoch_end

Hooks skip or stop by raising the Cancel exceptions of `runtime.callbacks`.
Everything the outside world learns leaves as an event (`runtime.events`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from graph.problems import Problem, ProblemError
from runtime.callbacks import (
    Callback,
    CancelBatchException,
    CancelFitException,
    CancelStepException,
)
from runtime.crash_site import unlocated
from runtime.events import (
    BatchEnded,
    EpochEnded,
    EvalEnded,
    FitEnded,
    FitStarted,
    HookDecision,
    LogMessage,
    ModelCompiled,
    PauseChanged,
)
from runtime.layer_norms import LayerNorms, parameter_layers
from runtime.metrics import MetricAccumulator, flatten_for_loss
from runtime.precision import Precision, channels_last_input, compiled_forward, to_channels_last
from runtime.recipe import Recipe
from runtime.training_state import TrainingState, add_gaussian_noise, capture_state, restore_state

__all__ = ["Flags", "Trainer", "TrainingError", "parameter_layers", "resolve_device"]

#: On an accelerator, per-layer norms stay on the device for this many measured steps (or this many
#: seconds) before one transfer reads them all; on the CPU there is nothing to wait for.
READBACK_STEPS = 16
READBACK_SECONDS = 0.1
#: The share of a step's CPU time per-layer norms may take, measuring and reading back together
#: (they are taken every `norm_every` steps).
NORM_SHARE = 0.01
#: The training thread's CPU clock: what a step and the norms cost, not how long this thread waited for a core.
#: It is a system call (~4 µs on a virtual machine), so the step cost is sampled at these steps and every 50th.
cpu_clock = time.thread_time
ADAPT_AT = (3, 6, 12, 25)


class TrainingError(ProblemError):
    """Training failed for a reason the user can act on (NaN loss, a hook's bug, ...)."""


@dataclass
class Flags:
    """Cooperative control from outside the loop (threads or a worker's pipe)."""

    stop: Callable[[], bool] = lambda: False
    paused: Callable[[], bool] = lambda: False


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


class Trainer:
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
        self.snapshot_before_step: TrainingState | None = None
        #: Node label → attribute path, so hooks can name layers as the canvas does.
        self.layer_paths: dict[str, str] = {}
        self.needs_snapshot = any(getattr(c, "needs_snapshot", False) for c in self.callbacks)
        self.status = "finished"
        #: The record for an unexpected failure: the session points it at the node it happened in.
        self.failure_problem: Callable[[BaseException], Problem] = unlocated
        self._norms = LayerNorms(model)
        self._hooks: dict[str, list] = {}
        self._bind_batch_hooks()
        #: The train loader serves batches on this device already (in-memory data): nothing to move or check.
        self._batches_in_place = (getattr(train_loader, "device", None) == self.device and not target_is_input
                                  and not recipe.channels_last)
        self.precision = Precision(recipe.precision, self.device)
        self._channels_last = recipe.channels_last
        if self._channels_last:
            to_channels_last(model)
        self._forward_module: Callable[..., Any] = compiled_forward(model) if recipe.compile else model
        #: Per-layer norms cost a fixed few dozen µs; on tiny models they are taken every
        #: few batches so that they stay near 1 % of the step time.
        self.norm_every = 1
        self.readback_every = readback_every or (1 if self.device.type == "cpu" else READBACK_STEPS)
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

    def emit(self, event: Any) -> None:
        """Sends an event to the subscribers, after any batch events still waiting for their norms."""
        if self._pending:
            self._flush_batches()
        self._send(event)

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

    @torch.no_grad()
    def evaluate(self, loader: Iterable | None = None, max_batches: int | None = None) -> dict[str, float]:
        """Validation metrics; restores train mode afterwards."""
        loader = self.val_loader if loader is None else loader
        if loader is None:
            return {}
        was_training = self.model.training
        self.model.eval()
        acc = MetricAccumulator(list(self.recipe.metrics))
        try:
            for k, batch in enumerate(loader):
                if max_batches is not None and k >= max_batches:
                    break
                x, y = self.to_device(batch)
                with self.precision.autocast():
                    out = self.forward(x)
                    loss = self.compute_loss(out, y)
                acc.add(out.float() if self.precision.active else out, y, loss)
        finally:
            self.model.train(was_training)
        return acc.result()

    @torch.no_grad()
    def loss_on(self, batch: Any) -> float:
        """Loss on one fixed batch in eval mode (the revert policy's yardstick)."""
        was_training = self.model.training
        self.model.eval()
        try:
            x, y = self.to_device(batch)
            with self.precision.autocast():
                return float(self.compute_loss(self.forward(x), y))
        finally:
            self.model.train(was_training)

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

    def _bind_batch_hooks(self) -> None:
        """The per-batch hooks, bound once per fit: most runs have none, and then a batch calls nothing for them."""
        self._batch_hooks = tuple(self._bind_hooks(hook)
                                  for hook in ("on_batch_start", "on_after_backward", "on_after_step"))

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
        self._bind_batch_hooks()
        self.model.to(self.device).train()
        try:
            self._call("on_fit_start")
            start_epoch = self.epoch
            sampler = getattr(self.train_loader, "sampler", None)
            for epoch in range(start_epoch, epochs):
                self.epoch = epoch
                if hasattr(sampler, "set_epoch"):  # resume mid-epoch: skip what was already seen
                    done = max(0, self.step - epoch * steps_per_epoch) if epoch == start_epoch else 0
                    sampler.set_epoch(epoch, done * (self.train_loader.batch_size or 1))
                self._call("on_epoch_start")
                for batch in self.train_loader:
                    flags = self.flags
                    if flags.paused():
                        self._wait_if_paused()
                    if flags.stop():
                        raise CancelFitException("stopped by the user")
                    try:
                        self.one_batch(batch)
                    except CancelBatchException:
                        pass
                    if self.recipe.eval_every and self.step % self.recipe.eval_every == 0:
                        self.run_eval()
                    if self.recipe.max_steps and self.step >= self.recipe.max_steps:
                        raise CancelFitException("reached max_steps")
                if not self.recipe.eval_every or self.step % self.recipe.eval_every:
                    self.run_eval()
                self.emit(EpochEnded(epoch, self.step, dict(self.last_eval)))
                if self.scheduler is not None and self.scheduler_when == "epoch":
                    self.scheduler.step()
                self._call("on_epoch_end")
            self.epoch = epochs
        except CancelFitException as exc:
            reason = str(exc) or "stopped by a hook"
            self.status = "finished" if reason == "reached max_steps" else "stopped"
            message = reason
            if self.val_loader is not None and not self.last_eval:
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
        self.emit(EvalEnded(self.step, self.epoch, dict(self.last_eval)))
        if self.scheduler is not None and self.scheduler_when == "eval":
            self.scheduler.step(self.last_eval.get("val_loss", 0.0))
        self._call("on_eval_end")

    def one_batch(self, batch: Any) -> None:
        first = self.step == 0 and self._forward_module is not self.model
        started = time.perf_counter() if first else 0.0
        self.batch = batch if self._batches_in_place else self.to_device(batch)
        start_hooks, backward_hooks, step_hooks = self._batch_hooks
        for hook in start_hooks:
            hook(self)
        x, y = self.batch
        precision = self.precision
        if precision.dtype is not None:
            with precision.autocast():
                self.output = self.forward(x)
                loss = self.compute_loss(self.output, y)
        else:
            self.output = self.forward(x)
            loss = self.compute_loss(self.output, y)
        if self.recipe.l1 or self.recipe.l2:
            loss = loss + self._penalty()
        self.loss = loss
        loss_value = loss.item()  # the per-batch curve and the NaN guard need it; a careful loop reads it too
        if not math.isfinite(loss_value):
            if self.on_nan == "skip":
                self.emit(LogMessage(f"step {self.step}: loss is {loss_value}; batch skipped", "warning"))
                raise CancelBatchException
            raise TrainingError(f"the loss became {loss_value} at step {self.step} (epoch {self.epoch + 1}); "
                                "lower the learning rate, add normalisation, or clip gradients")
        self.optimizer.zero_grad(set_to_none=True)
        if precision.scaler is None:
            loss.backward()
        else:
            precision.backward(loss, self.optimizer)
        if self.recipe.clip_grad_norm:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.recipe.clip_grad_norm)
        norms = None
        if self.recipe.log_layers and self.step % self.norm_every == 0:
            t0 = cpu_clock()
            norms = self._norms.measure()
            self._norm_spent += cpu_clock() - t0
            self._norm_count += norms is not None
        taken = True
        try:
            for hook in backward_hooks:
                hook(self)
            if self.needs_snapshot:
                self.snapshot_before_step = self.snapshot()
            if precision.scaler is None:
                self.optimizer.step()
            else:
                precision.step(self.optimizer)
            if self.scheduler is not None and self.scheduler_when == "batch":
                self.scheduler.step()
            for hook in step_hooks:
                hook(self)
        except CancelStepException:
            taken = False
            precision.skipped()
        self.step += 1
        n = (x[0] if isinstance(x, tuple) else x).shape[0]
        self._samples += n
        now = time.perf_counter()
        if first:
            self._send(ModelCompiled(self.step, now - started))
        if not self._cpu_step or self.step % 50 == 0 or self.step in ADAPT_AT:
            self._sample_step_cost()
        elapsed = now - self._clock
        rate = self._samples / (elapsed if elapsed > 1e-9 else 1e-9)
        if elapsed > 2.0:  # a moving window, so the rate follows changes
            self._clock, self._samples = now, 0
        lr = float(self.optimizer.param_groups[0]["lr"])
        if norms is None and not self._pending:
            self._send(BatchEnded(self.step, self.epoch, loss_value, lr, rate, {}, {}, taken))
            return
        if not self._pending:
            self._pending_since = now
        self._pending.append((self.step, self.epoch, loss_value, lr, rate, norms, taken))
        if len(self._pending) >= self.readback_every or now - self._pending_since > READBACK_SECONDS:
            self._flush_batches()

    def _sample_step_cost(self) -> None:
        """CPU seconds per step since the last sample (evaluations and norms included), then adapts `norm_every`."""
        cpu = cpu_clock()
        if self._cpu_step and self.step > self._cpu_step:
            step_cpu = (cpu - self._last_cpu) / (self.step - self._cpu_step)
            if step_cpu > 0:
                self._step_cost = 0.5 * self._step_cost + 0.5 * step_cpu if self._step_cost else step_cpu
                self._adapt_norm_every()
        self._last_cpu, self._cpu_step = cpu, self.step

    def _adapt_norm_every(self) -> None:
        """Norms every `norm_every` steps, so that measuring and reading them stays within NORM_SHARE."""
        if self._norm_count:
            cost = self._norm_spent / self._norm_count
            self._norm_cost = 0.5 * self._norm_cost + 0.5 * cost if self._norm_cost else cost
            self._norm_spent, self._norm_count = 0.0, 0
        if self._step_cost > 0:
            self.norm_every = max(1, min(20, math.ceil(self._norm_cost / (NORM_SHARE * self._step_cost))))

    def _flush_batches(self) -> None:
        """Batch events held back for their norms: one read from the device, then sent in order."""
        pending, self._pending = self._pending, []
        t0 = cpu_clock()
        values = iter(self._norms.read([p[5] for p in pending if p[5] is not None]))
        self._norm_spent += cpu_clock() - t0
        for step, epoch, loss, lr, rate, norms, taken in pending:
            grad, weight = next(values) if norms is not None else ({}, {})
            self._send(BatchEnded(step, epoch, loss, lr, rate, grad, weight, taken))

    def _penalty(self) -> torch.Tensor:
        params = [p for p in self.model.parameters() if p.requires_grad and p.dim() > 1]
        total = torch.zeros((), device=self.device)
        if self.recipe.l1:
            total = total + self.recipe.l1 * sum(p.abs().sum() for p in params)
        if self.recipe.l2:
            total = total + self.recipe.l2 * sum((p.abs() ** 2).sum() for p in params)
        return total
