"""Activation statistics every N batches: forward hooks that are attached only for that one batch."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from runtime.callbacks import Callback
from runtime.events import ActivationStats

BINS = 30


def tensor_stats(step: int, name: str, out: torch.Tensor) -> ActivationStats | None:
    if not isinstance(out, torch.Tensor) or out.numel() == 0 or not out.is_floating_point() and not out.is_complex():
        return None
    values = out.detach().abs() if out.is_complex() else out.detach()
    values = values.float().flatten()
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        hi = lo + 1e-6
    counts = torch.histc(values, bins=BINS, min=lo, max=hi)
    edges = torch.linspace(lo, hi, BINS + 1)
    return ActivationStats(step, name, float(values.mean()), float(values.std()) if values.numel() > 1 else 0.0,
                           tuple(counts.tolist()), tuple(edges.tolist()))


class ActivationMonitor(Callback):
    """Every `every` batches, records each layer's output distribution (mean, std, 30-bin histogram)."""

    name = "activations"

    def __init__(self, every: int = 50) -> None:
        self.every = every
        self.handles: list[Any] = []
        self.pending: list[ActivationStats] = []

    def _attach(self, trainer) -> None:
        for name, module in trainer.model.named_modules():
            if not name or list(module.children()):
                continue

            def hook(_module: nn.Module, _inputs: Any, out: Any, name: str = name) -> None:
                stats = tensor_stats(trainer.step + 1, name, out[0] if isinstance(out, tuple) else out)
                if stats is not None:
                    self.pending.append(stats)

            self.handles.append(module.register_forward_hook(hook))

    def _detach(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def on_batch_start(self, trainer) -> None:
        if self.every and trainer.step % self.every == 0:
            self._attach(trainer)

    def on_after_backward(self, trainer) -> None:
        if self.handles:
            self._detach()
            for stats in self.pending:
                trainer.emit(stats)
            self.pending = []

    def on_fit_end(self, trainer) -> None:
        self._detach()
