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
    """Sums over an evaluation's batches, with the tensor operations a careful hand loop makes.

    Top-1 accuracy is an ``argmax`` (a ``topk`` partial sort cost the digits
    MLP's evaluation more than its forward); nothing is detached that carries
    no graph; and the loss of an evaluation that is one batch (a small split)
    is scaled to a sum in `result`, in Python's double precision, instead of by
    two tensor operations. Sums over more batches stay in double precision on
    the device, as before.
    """

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.count = 0  # samples (from shapes: known without asking the device)
        self.values = 0  # regression values compared
        self.sums: dict[str, torch.Tensor | float] = {}  # loss, correct@k, abs_err, sq_err
        self._one_loss: tuple[torch.Tensor, int] | None = None  # the first batch's mean loss and size, unscaled

    def _add(self, key: str, value: torch.Tensor | float) -> None:
        if isinstance(value, torch.Tensor) and value.requires_grad:
            value = value.detach()
        previous = self.sums.get(key)
        self.sums[key] = value if previous is None else previous + value

    def _add_loss(self, loss: torch.Tensor | float, n: int) -> None:
        """Adds a batch's mean loss × its size: the first tensor waits, unscaled, in case it is the only one."""
        if isinstance(loss, torch.Tensor) and "loss" not in self.sums and self._one_loss is None:
            self._one_loss = (loss.detach() if loss.requires_grad else loss, n)
            return
        if self._one_loss is not None:
            first, size = self._one_loss
            self._one_loss = None
            self._add("loss", _wide(first) * size)
        self._add("loss", (_wide(loss.detach()) if isinstance(loss, torch.Tensor) else loss) * n)

    def add(self, output: torch.Tensor, target: torch.Tensor, loss: torch.Tensor | float) -> None:
        """One batch; `loss` is its mean loss (a tensor stays on the device)."""
        output, target = flatten_for_loss(output, target)
        n = target.shape[0] if target.dim() else 1
        self._add_loss(loss, n)
        self.count += n
        classification = output.dim() == 2 and not target.is_floating_point() and target.dim() == 1
        if classification:
            if "accuracy" in self.names or "top1" in self.names:
                self._add("correct1", (output.argmax(1) == target).sum())
            for k in (3, 5):
                if f"top{k}" in self.names:
                    top = output.topk(min(k, output.shape[1]), dim=1).indices
                    self._add(f"correct{k}", (top == target[:, None]).any(1).sum())
        elif output.shape == target.shape and ("mse" in self.names or "mae" in self.names):
            diff = output.detach().float() - target.float()
            self._add("abs_err", _wide(diff.abs().sum()))
            self._add("sq_err", _wide((diff * diff).sum()))
            self.values += diff.numel()

    def result(self) -> dict[str, float]:
        sums = {k: float(v) for k, v in self.sums.items()}  # the one read-back of the evaluation
        if self._one_loss is not None:  # one batch: its mean loss × its size, in double precision as on the device
            first, size = self._one_loss
            sums["loss"] = float(first) * size
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
