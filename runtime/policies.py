"""Built-in hook policies: the experiments users asked for, written as plain callbacks."""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
from torch import nn

from runtime.callbacks import Callback, CancelFitException
from runtime.events import HookDecision, LogMessage
from runtime.training_state import (
    TrainingState,
    add_gaussian_noise,
    capture_state,
    layer_parameters,
    restore_state,
    restore_weights,
)


class RevertAndNoise(Callback):
    """After each step: if the validation loss did not improve, undo the step and add noise instead.

    Undoing restores the weights *and* the optimizer and scheduler state of
    before the step, so no trace of the rejected back-propagation step is
    left (Adam's moments and step count included). Options:

    * yardstick `on`: one fixed validation batch ("batch", cheap), the first
      `batches` validation batches ("batches"), or the whole split ("split");
    * `start`: the noise goes on the best weights seen so far ("best", the
      default: every failed try starts afresh from the best point) or on top
      of the restored weights ("current": a run of failures adds up to a
      random walk that drifts away once the yardstick stops improving);
    * the noise: N(0, σ²) per element, σ constant or annealed (cosine from
      `sigma` to `sigma_end` over `anneal_steps` steps); on every trainable
      layer or only `layers` (node labels or attribute paths); with `scale_by_std`, σ is
      relative to each tensor's own standard deviation.
    """

    name = "revert_noise"

    def __init__(self, sigma: float = 0.01, on: str = "batch", batches: int = 4, start: str = "best",
                 scale_by_std: bool = False, layers: list[str] | str = (), anneal: str = "constant",
                 sigma_end: float = 0.0, anneal_steps: int = 1000, tolerance: float = 0.0, seed: int = 0) -> None:
        if sigma < 0 or sigma_end < 0:
            raise ValueError(f"sigma must be ≥ 0, got {min(sigma, sigma_end)}")
        if on not in ("batch", "batches", "split"):
            raise ValueError(f"'on' must be 'batch', 'batches' or 'split', got {on!r}")
        if start not in ("current", "best"):
            raise ValueError(f"'start' must be 'current' or 'best', got {start!r}")
        if anneal not in ("constant", "cosine"):
            raise ValueError(f"'anneal' must be 'constant' or 'cosine', got {anneal!r}")
        if batches < 1 or anneal_steps < 1:
            raise ValueError("'batches' and 'anneal_steps' must be at least 1")
        self.sigma, self.on, self.batches, self.start = sigma, on, batches, start
        self.scale_by_std, self.tolerance = scale_by_std, tolerance
        self.layers = tuple(s.strip() for s in layers.split(",") if s.strip()) if isinstance(layers, str) \
            else tuple(layers)
        self.paths = self.layers
        self.anneal, self.sigma_end, self.anneal_steps = anneal, sigma_end, anneal_steps
        self.generator = torch.Generator().manual_seed(seed)
        self.best: float | None = None
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.fixed: list[Any] = []
        self.before: TrainingState | None = None
        self.last_noise: dict[str, torch.Tensor] = {}
        self.accepted = 0
        self.reverted = 0

    def sigma_at(self, step: int) -> float:
        if self.anneal == "constant":
            return self.sigma
        t = min(1.0, step / self.anneal_steps)
        return self.sigma_end + (self.sigma - self.sigma_end) * 0.5 * (1 + math.cos(math.pi * t))

    def _val_loss(self, trainer) -> float:
        if self.on == "split":
            return trainer.evaluate().get("val_loss", math.inf)
        sizes = [len(batch[1]) for batch in self.fixed]
        losses = [trainer.loss_on(batch) for batch in self.fixed]
        return sum(s * v for s, v in zip(sizes, losses, strict=True)) / max(1, sum(sizes))

    def on_fit_start(self, trainer) -> None:
        if trainer.val_loader is None:
            raise ValueError("the revert+noise policy needs a validation split")
        if self.on != "split":
            self.fixed = list(itertools.islice(iter(trainer.val_loader), 1 if self.on == "batch" else self.batches))
        labels = getattr(trainer, "layer_paths", {})  # node labels → attribute paths (the app's trainer)
        self.paths = tuple(labels.get(name, name) for name in self.layers)
        layer_parameters(trainer.model, self.paths)  # a wrong layer name fails now, not at the first revert
        self.best = self._val_loss(trainer)
        if self.start == "best":
            self.best_weights = capture_state(trainer.model).weights

    def on_after_backward(self, trainer) -> None:
        self.before = capture_state(trainer.model, trainer.optimizer, trainer.scheduler)

    def on_after_step(self, trainer) -> None:
        loss = self._val_loss(trainer)
        if self.best is None or loss < self.best - self.tolerance:
            self.best = loss
            self.accepted += 1
            if self.start == "best":
                self.best_weights = capture_state(trainer.model).weights
            trainer.emit(HookDecision(trainer.step + 1, self.name, "accepted", {"val_loss": loss}))
            return
        restore_state(trainer.model, self.before, trainer.optimizer, trainer.scheduler)
        if self.start == "best" and self.best_weights is not None:
            restore_weights(trainer.model, self.best_weights)
        sigma = self.sigma_at(trainer.step)
        self.last_noise = add_gaussian_noise(trainer.model, sigma, self.scale_by_std, self.generator, self.paths)
        self.reverted += 1
        trainer.emit(HookDecision(trainer.step + 1, self.name, "reverted+noise",
                                  {"val_loss": loss, "best": self.best, "sigma": sigma}))


class GradientNoise(Callback):
    """Annealed Gaussian gradient noise (Neelakantan et al. 2015): σ² = eta / (1 + t)^gamma."""

    name = "gradient_noise"

    def __init__(self, eta: float = 0.01, gamma: float = 0.55, seed: int = 0) -> None:
        self.eta, self.gamma = eta, gamma
        self.generator = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def on_after_backward(self, trainer) -> None:
        std = math.sqrt(self.eta / (1 + trainer.step) ** self.gamma)
        for p in trainer.model.parameters():
            if p.grad is not None and not p.is_complex():
                p.grad.add_(torch.randn(p.grad.shape, generator=self.generator).to(p.grad) * std)


class EarlyStopping(Callback):
    """Stops when the monitored metric has not improved for `patience` evaluations."""

    name = "early_stopping"

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto") -> None:
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.sign = -1.0 if (mode == "max" or (mode == "auto" and "acc" in monitor)) else 1.0
        self.best = math.inf
        self.bad = 0

    def on_eval_end(self, trainer) -> None:
        value = trainer.last_eval.get(self.monitor)
        if value is None:
            return
        score = self.sign * value
        if score < self.best - self.min_delta:
            self.best, self.bad = score, 0
        else:
            self.bad += 1
            if self.bad > self.patience:
                trainer.emit(HookDecision(trainer.step, self.name, "stop", {self.monitor: value}))
                raise CancelFitException(f"early stopping: {self.monitor} did not improve for "
                                         f"{self.patience} evaluations")


class FreezeSchedule(Callback):
    """Freezes or unfreezes named submodules (node labels / group labels) at given epochs."""

    name = "freeze_schedule"

    def __init__(self, schedule: list[dict[str, Any]] | None = None) -> None:
        # [{"epoch": 0, "freeze": ["backbone"]}, {"epoch": 5, "unfreeze": ["backbone"]}]
        self.schedule = schedule or []

    def on_epoch_start(self, trainer) -> None:
        for entry in self.schedule:
            if entry.get("epoch") != trainer.epoch:
                continue
            for name in entry.get("freeze", []):
                trainer.model.get_submodule(name).requires_grad_(False)
                trainer.emit(HookDecision(trainer.step, self.name, f"freeze {name}"))
            for name in entry.get("unfreeze", []):
                trainer.model.get_submodule(name).requires_grad_(True)
                trainer.emit(HookDecision(trainer.step, self.name, f"unfreeze {name}"))


class GrowForest(Callback):
    """Every `every` epochs, a forest gains a member, up to `max_members`.

    `forest.grow()` (written by the compiler from the Forest node) seeds the
    newcomer by the node's hand-off rule — a copied slice of the newest
    member's layer, lateral connections from the older members, or nothing —
    and freezes the older members when the rule says so; the newcomer's
    weights then join the optimizer. `forest` is the Forest node's label (or
    its attribute path); empty means the model's only forest.
    """

    name = "grow_forest"

    def __init__(self, forest: str = "", every: int = 1, max_members: int = 8) -> None:
        if every < 1 or max_members < 1:
            raise ValueError("'every' and 'max_members' must be at least 1")
        self.forest, self.every, self.max_members = forest, every, max_members
        self.module: nn.Module | None = None

    def on_fit_start(self, trainer) -> None:
        self.module = find_forest(trainer.model, self.forest, getattr(trainer, "layer_paths", {}))

    def on_epoch_end(self, trainer) -> None:
        forest = self.module
        if forest is None or (trainer.epoch + 1) % self.every or len(forest.members) >= self.max_members:
            return
        trainer.add_parameters(forest.grow())
        trainer.emit(HookDecision(trainer.step, self.name, "grow", {"members": float(len(forest.members))}))
        trainer.emit(LogMessage(f"{self.forest or 'the forest'}: member {len(forest.members)} joined"))


def find_forest(model: nn.Module, name: str = "", paths: dict[str, str] | None = None) -> nn.Module:
    """The forest module `name` names (node label or attribute path), or the only one when `name` is empty."""
    forests = {path: m for path, m in model.named_modules()
               if callable(getattr(m, "grow", None)) and isinstance(getattr(m, "members", None), nn.ModuleList)}
    path = (paths or {}).get(name, name)
    if path in forests:
        return forests[path]
    if not name and len(forests) == 1:
        return next(iter(forests.values()))
    known = ", ".join(sorted(forests)) or "none"
    raise ValueError(f"no forest named {name!r} in the model (forests: {known})" if name else
                     f"the model has {len(forests)} forests ({known}); name one")


POLICIES: dict[str, type[Callback]] = {
    cls.name: cls for cls in (RevertAndNoise, GradientNoise, EarlyStopping, FreezeSchedule, GrowForest)
}
