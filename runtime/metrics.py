"""Metrics over a whole evaluation, accumulated batch by batch.

The sums stay tensors on the model's device and are read back once, in
`result()`: a number read per batch (`float(loss)`, `int(correct)`) makes the
host wait for the device after every validation batch, which on a GPU stalls
the queue of work that would otherwise run ahead.
"""

from __future__ import annotations

import math

import torch


def flatten_for_loss(output: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequence outputs (B, T, C) with targets (B, T) become (B*T, C) and (B*T,)."""
    if output.dim() == 3 and target.dim() == 2 and not target.is_floating_point():
        return output.reshape(-1, output.shape[-1]), target.reshape(-1)
    return output, target


def _wide(value: torch.Tensor) -> torch.Tensor:
    """Sums of many batches in double precision, as Python floats were (Apple's MPS has no float64)."""
    return value.float() if value.device.type == "mps" else value.double()


class MetricAccumulator:
    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.count = 0  # samples (from shapes: known without asking the device)
        self.values = 0  # regression values compared
        self.sums: dict[str, torch.Tensor | float] = {}  # loss, correct@k, abs_err, sq_err

    def _add(self, key: str, value: torch.Tensor | float) -> None:
        if isinstance(value, torch.Tensor):
            value = value.detach()
        previous = self.sums.get(key)
        self.sums[key] = value if previous is None else previous + value

    def add(self, output: torch.Tensor, target: torch.Tensor, loss: torch.Tensor | float) -> None:
        """One batch; `loss` is its mean loss (a tensor stays on the device)."""
        output, target = flatten_for_loss(output, target)
        n = target.shape[0] if target.dim() else 1
        self._add("loss", (_wide(loss.detach()) if isinstance(loss, torch.Tensor) else loss) * n)
        self.count += n
        classification = output.dim() == 2 and not target.is_floating_point() and target.dim() == 1
        if classification:
            for k in (1, 3, 5):
                if (k == 1 and "accuracy" in self.names) or f"top{k}" in self.names:
                    kk = min(k, output.shape[1])
                    top = output.topk(kk, dim=1).indices
                    self._add(f"correct{k}", (top == target[:, None]).any(1).sum())
        elif output.shape == target.shape and ("mse" in self.names or "mae" in self.names):
            diff = output.detach().float() - target.float()
            self._add("abs_err", _wide(diff.abs().sum()))
            self._add("sq_err", _wide((diff * diff).sum()))
            self.values += diff.numel()

    def result(self) -> dict[str, float]:
        sums = {k: float(v) for k, v in self.sums.items()}  # the one read-back of the evaluation
        out: dict[str, float] = {"val_loss": sums.get("loss", 0.0) / max(1, self.count)}
        if "correct1" in sums:
            out["val_accuracy"] = sums["correct1"] / max(1, self.count)
        for k in (3, 5):
            if f"correct{k}" in sums:
                out[f"val_top{k}"] = sums[f"correct{k}"] / max(1, self.count)
        if self.values:
            if "mse" in self.names:
                out["val_mse"] = sums["sq_err"] / self.values
            if "mae" in self.names:
                out["val_mae"] = sums["abs_err"] / self.values
        if "perplexity" in self.names:
            out["val_perplexity"] = math.exp(min(50.0, out["val_loss"]))
        return out
