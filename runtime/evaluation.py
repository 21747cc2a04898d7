"""The trainer's evaluation: validation metrics, and the loss on one fixed batch (the revert policy's yardstick).

Both run in eval mode under `torch.no_grad` and the run's precision, and put
the model back in the mode it was in. `Trainer` takes these methods in (it is
the only class that does); they use its model, data, precision and recipe.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from runtime.metrics import MetricAccumulator


class Evaluation:
    @torch.no_grad()
    def evaluate(self, loader: Iterable | None = None, max_batches: int | None = None) -> dict[str, float]:
        """Validation metrics; restores train mode afterwards."""
        loader = self.val_loader if loader is None else loader
        if loader is None:
            return {}
        was_training = self.model.training
        self.model.eval()
        acc = MetricAccumulator(list(self.recipe.metrics))
        # As a training step: batches already where and as the model wants them are not checked again, and
        # float32 as it is needs no autocast context.
        in_place = self.serves_in_place(loader)
        plain = self.precision.plain
        try:
            for k, batch in enumerate(loader):
                if max_batches is not None and k >= max_batches:
                    break
                x, y = batch if in_place else self.to_device(batch)
                if plain:
                    out = self.forward(x)
                    acc.add(out, y, self.compute_loss(out, y))
                    continue
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
