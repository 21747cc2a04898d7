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
from torch.utils.data import DataLoader

from runtime.callbacks import (
    Callback,
    CancelBatchException,
    CancelFitException,
    CancelStepException,
)
from runtime.events import BatchEnded, EpochEnded, EvalEnded, FitEnded, FitStarted, LogMessage
from runtime.metrics import MetricAccumulator, flatten_for_loss
from runtime.recipe import Recipe


class TrainingError(Exception):
    """Training failed for a reason the user can act on (NaN loss, a hook's bug, ...)."""


@dataclass
class Flags:
    """Cooperative control from outside the loop (threads or a worker's pipe)."""

    stop: Callable[[], bool] = lambda: False
    paused: Callable[[], bool] = lambda: False


def parameter_layers(model: nn.Module) -> list[tuple[str, list[nn.Parameter]]]:
    """Modules that own parameters directly, by attribute path: the 'layers' of the plots."""
    layers = []
    for name, module in model.named_modules():
        params = [p for p in module.parameters(recurse=False)]
        if params:
            layers.append((name or "model", params))
    return layers


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
        train_loader: DataLoader,
        val_loader: DataLoader | None,
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
        self.emit = emit
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
        self.snapshot_before_step: dict[str, torch.Tensor] | None = None
        self.needs_snapshot = any(getattr(c, "needs_snapshot", False) for c in self.callbacks)
        self.status = "finished"
        self._layers = parameter_layers(model)
        self._samples = 0
        self._clock = time.perf_counter()

    # -- helpers hooks use --------------------------------------------------
    def snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def restore(self, state: dict[str, torch.Tensor]) -> None:
        with torch.no_grad():
            for k, v in self.model.state_dict().items():
                v.copy_(state[k])

    def forward(self, inputs: Any) -> torch.Tensor:
        return self.model(*inputs) if isinstance(inputs, (tuple, list)) else self.model(inputs)

    def compute_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if torch.is_complex(output):
            raise TrainingError("the model's output is complex; add an Abs or Real node before the Output so "
                                "the loss gets real numbers")
        output, target = flatten_for_loss(output, target)
        return self.loss_fn(output, target)

    def to_device(self, batch: Any) -> tuple[Any, torch.Tensor]:
        x, y = batch if not self.target_is_input else (batch[0], batch[0])
        if isinstance(x, (list, tuple)):
            x = tuple(t.to(self.device, non_blocking=True) for t in x)
        else:
            x = x.to(self.device, non_blocking=True)
        return x, y.to(self.device, non_blocking=True)

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
                out = self.forward(x)
                acc.add(out, y, float(self.compute_loss(out, y)))
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
            return float(self.compute_loss(self.forward(x), y))
        finally:
            self.model.train(was_training)

    def add_parameters(self, params: list[nn.Parameter], lr: float | None = None) -> None:
        """New trainable weights (e.g. a forest's new member) join the optimizer."""
        group = {"params": params}
        if lr is not None:
            group["lr"] = lr
        self.optimizer.add_param_group(group)
        self._layers = parameter_layers(self.model)

    # -- the loop -----------------------------------------------------------
    def _call(self, hook: str) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(self)

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
                    self._wait_if_paused()
                    if self.flags.stop():
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
            self.status, message = "failed", str(exc)
        except Exception as exc:
            self.status, message = "failed", f"{type(exc).__name__}: {exc}"
            self._safe_fit_end()
            self.emit(FitEnded(self.status, self.step, dict(self.last_eval), message))
            raise
        self._safe_fit_end()
        self.emit(FitEnded(self.status, self.step, dict(self.last_eval), message))
        if self.status == "failed":
            raise TrainingError(message)
        return dict(self.last_eval)

    def _safe_fit_end(self) -> None:
        try:
            self._call("on_fit_end")
        except Exception as exc:  # noqa: BLE001 - a failing end hook must not hide the real outcome
            self.emit(LogMessage(f"on_fit_end failed: {exc}", "error"))

    def _wait_if_paused(self) -> None:
        while self.flags.paused() and not self.flags.stop():
            time.sleep(0.05)

    def run_eval(self) -> None:
        if self.val_loader is None:
            return
        self.last_eval = self.evaluate(max_batches=self.recipe.eval_batches)
        self.emit(EvalEnded(self.step, self.epoch, dict(self.last_eval)))
        if self.scheduler is not None and self.scheduler_when == "eval":
            self.scheduler.step(self.last_eval.get("val_loss", 0.0))
        self._call("on_eval_end")

    def one_batch(self, batch: Any) -> None:
        self.batch = self.to_device(batch)
        self._call("on_batch_start")
        x, y = self.batch
        self.output = self.forward(x)
        loss = self.compute_loss(self.output, y)
        if self.recipe.l1 or self.recipe.l2:
            loss = loss + self._penalty()
        self.loss = loss
        if not torch.isfinite(loss):
            if self.on_nan == "skip":
                self.emit(LogMessage(f"step {self.step}: loss is {float(loss)}; batch skipped", "warning"))
                raise CancelBatchException
            raise TrainingError(f"the loss became {float(loss)} at step {self.step} (epoch {self.epoch + 1}); "
                                "lower the learning rate, add normalisation, or clip gradients")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.recipe.clip_grad_norm:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.recipe.clip_grad_norm)
        grad_norms = self._norms(grad=True) if self.recipe.log_layers else {}
        taken = True
        try:
            self._call("on_after_backward")
            if self.needs_snapshot:
                self.snapshot_before_step = self.snapshot()
            self.optimizer.step()
            if self.scheduler is not None and self.scheduler_when == "batch":
                self.scheduler.step()
            self._call("on_after_step")
        except CancelStepException:
            taken = False
        self.step += 1
        n = (x[0] if isinstance(x, tuple) else x).shape[0]
        self._samples += n
        now = time.perf_counter()
        rate = self._samples / max(1e-9, now - self._clock)
        if now - self._clock > 2.0:  # a moving window, so the rate follows changes
            self._clock, self._samples = now, 0
        self.emit(BatchEnded(self.step, self.epoch, float(loss.detach()), float(self.optimizer.param_groups[0]["lr"]), rate,
                             grad_norms, self._norms(grad=False) if self.recipe.log_layers else {}, taken))

    def _penalty(self) -> torch.Tensor:
        params = [p for p in self.model.parameters() if p.requires_grad and p.dim() > 1]
        total = torch.zeros((), device=self.device)
        if self.recipe.l1:
            total = total + self.recipe.l1 * sum(p.abs().sum() for p in params)
        if self.recipe.l2:
            total = total + self.recipe.l2 * sum((p.abs() ** 2).sum() for p in params)
        return total

    @torch.no_grad()
    def _norms(self, grad: bool) -> dict[str, float]:
        names, tensors, owners = [], [], []
        for k, (name, params) in enumerate(self._layers):
            names.append(name)
            for p in params:
                t = p.grad if grad else p
                if t is not None:
                    tensors.append(t.detach().abs() if t.is_complex() else t.detach())
                    owners.append(k)
        if not tensors:
            return {}
        norms = torch.stack(torch._foreach_norm(tensors)).tolist()
        sq = [0.0] * len(names)
        seen = [False] * len(names)
        for k, v in zip(owners, norms, strict=True):
            sq[k] += v * v
            seen[k] = True
        return {n: math.sqrt(s) for n, s, ok in zip(names, sq, seen, strict=True) if ok}
