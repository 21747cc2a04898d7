"""Metrics over a whole evaluation, accumulated batch by batch."""

from __future__ import annotations

import math

import torch


def flatten_for_loss(output: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequence outputs (B, T, C) with targets (B, T) become (B*T, C) and (B*T,)."""
    if output.dim() == 3 and target.dim() == 2 and not target.is_floating_point():
        return output.reshape(-1, output.shape[-1]), target.reshape(-1)
    return output, target


class MetricAccumulator:
    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.loss_sum = 0.0
        self.count = 0
        self.correct: dict[int, int] = {}
        self.abs_err = 0.0
        self.sq_err = 0.0
        self.values = 0

    def add(self, output: torch.Tensor, target: torch.Tensor, loss: float) -> None:
        output, target = flatten_for_loss(output, target)
        n = target.shape[0] if target.dim() else 1
        self.loss_sum += loss * n
        self.count += n
        classification = output.dim() == 2 and not target.is_floating_point() and target.dim() == 1
        if classification:
            for k in (1, 3, 5):
                if (k == 1 and "accuracy" in self.names) or f"top{k}" in self.names:
                    kk = min(k, output.shape[1])
                    top = output.topk(kk, dim=1).indices
                    self.correct[k] = self.correct.get(k, 0) + int((top == target[:, None]).any(1).sum())
        elif output.shape == target.shape and ("mse" in self.names or "mae" in self.names):
            diff = (output.detach().float() - target.float())
            self.abs_err += float(diff.abs().sum())
            self.sq_err += float((diff * diff).sum())
            self.values += diff.numel()

    def result(self) -> dict[str, float]:
        out: dict[str, float] = {"val_loss": self.loss_sum / max(1, self.count)}
        if 1 in self.correct:
            out["val_accuracy"] = self.correct[1] / max(1, self.count)
        for k in (3, 5):
            if k in self.correct:
                out[f"val_top{k}"] = self.correct[k] / max(1, self.count)
        if self.values:
            if "mse" in self.names:
                out["val_mse"] = self.sq_err / self.values
            if "mae" in self.names:
                out["val_mae"] = self.abs_err / self.values
        if "perplexity" in self.names:
            out["val_perplexity"] = math.exp(min(50.0, out["val_loss"]))
        return out
