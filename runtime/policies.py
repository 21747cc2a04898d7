"""Built-in hook policies: the experiments users asked for, written as plain callbacks."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from runtime.callbacks import Callback, CancelFitException
from runtime.events import HookDecision, LogMessage


class RevertAndNoise(Callback):
    """After each step: if the validation loss did not improve, undo the step and add noise instead.

    The yardstick is a fixed validation batch (`on="batch"`, cheap) or the
    whole validation split (`on="split"`). Noise is N(0, sigma²) added to
    every trainable parameter, or with `scale_by_std` N(0, (sigma·std(W))²)
    per tensor so big and small layers are disturbed alike.
    """

    name = "revert_noise"
    needs_snapshot = True

    def __init__(self, sigma: float = 0.01, on: str = "batch", scale_by_std: bool = False,
                 tolerance: float = 0.0, seed: int = 0) -> None:
        if sigma < 0:
            raise ValueError(f"sigma must be ≥ 0, got {sigma}")
        if on not in ("batch", "split"):
            raise ValueError(f"'on' must be 'batch' or 'split', got {on!r}")
        self.sigma, self.on, self.scale_by_std, self.tolerance = sigma, on, scale_by_std, tolerance
        self.generator = torch.Generator().manual_seed(seed)
        self.best: float | None = None
        self.fixed_batch: Any = None
        self.accepted = 0
        self.reverted = 0

    def _val_loss(self, trainer) -> float:
        if self.on == "split":
            return trainer.evaluate().get("val_loss", math.inf)
        return trainer.loss_on(self.fixed_batch)

    def on_fit_start(self, trainer) -> None:
        if trainer.val_loader is None:
            raise ValueError("the revert+noise policy needs a validation split")
        self.fixed_batch = next(iter(trainer.val_loader))
        self.best = self._val_loss(trainer)

    def on_after_step(self, trainer) -> None:
        loss = self._val_loss(trainer)
        if self.best is None or loss < self.best - self.tolerance:
            self.best = loss
            self.accepted += 1
            trainer.emit(HookDecision(trainer.step + 1, self.name, "accepted", {"val_loss": loss}))
            return
        trainer.restore(trainer.snapshot_before_step)
        add_gaussian_noise(trainer.model, self.sigma, self.scale_by_std, self.generator)
        self.reverted += 1
        trainer.emit(HookDecision(trainer.step + 1, self.name, "reverted+noise",
                                  {"val_loss": loss, "best": self.best, "sigma": self.sigma}))


@torch.no_grad()
def add_gaussian_noise(model: nn.Module, sigma: float, scale_by_std: bool = False,
                       generator: torch.Generator | None = None) -> None:
    for p in model.parameters():
        if not p.requires_grad:
            continue
        scale = sigma
        if scale_by_std and p.numel() > 1:
            scale = sigma * float(p.detach().abs().std() if p.is_complex() else p.detach().std())
        noise = torch.randn(p.shape, generator=generator, dtype=p.real.dtype if p.is_complex() else p.dtype)
        if p.is_complex():
            imag = torch.randn(p.shape, generator=generator, dtype=p.real.dtype)
            noise = torch.complex(noise, imag) / math.sqrt(2)
        p.add_(noise.to(p.device) * scale)


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
    """Every `every` epochs, adds a freshly initialised member to an ensemble and freezes the old ones."""

    name = "grow_forest"

    def __init__(self, ensemble: str, every: int = 1, max_members: int = 8, freeze_old: bool = True) -> None:
        self.ensemble, self.every, self.max_members, self.freeze_old = ensemble, every, max_members, freeze_old

    def on_epoch_end(self, trainer) -> None:
        members = trainer.model.get_submodule(self.ensemble)
        if not isinstance(members, nn.ModuleList) or len(members) == 0:
            raise ValueError(f"{self.ensemble!r} is not an ensemble (nn.ModuleList) in the model")
        if (trainer.epoch + 1) % self.every or len(members) >= self.max_members:
            return
        newcomer = type(members[0])().to(next(members[0].parameters()).device)
        if self.freeze_old:
            for m in members:
                m.requires_grad_(False)
        members.append(newcomer)
        trainer.add_parameters(list(newcomer.parameters()))
        trainer.emit(HookDecision(trainer.step, self.name, "grow", {"members": float(len(members))}))
        trainer.emit(LogMessage(f"{self.ensemble}: added member {len(members)}"))


POLICIES: dict[str, type[Callback]] = {
    cls.name: cls for cls in (RevertAndNoise, GradientNoise, EarlyStopping, FreezeSchedule, GrowForest)
}
