"""Each forest member's contribution to the validation loss, measured at every evaluation.

A member's contribution is the validation loss of the model with that member
left out of the forest's combination, minus the loss with every member: how
much worse the model would be without it (negative: the member hurts). The
forest's own `combine(outs, members)` does the leaving out, so mean, learned
weights and boosting are each measured by their own rule. It costs one pass
over the evaluated validation batches per member.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from runtime.callbacks import Callback
from runtime.events import MemberContributions

#: Forests with more members than this are not measured (the cost grows with the members).
MAX_MEMBERS = 32


class MemberContributionMonitor(Callback):
    name = "member_contributions"

    def __init__(self, forests: list[tuple[str, str]], max_batches: int | None = None) -> None:
        self.forests = forests  # (label, attribute path)
        self.max_batches = max_batches

    @torch.no_grad()
    def on_eval_end(self, trainer: Any) -> None:
        for label, path in self.forests:
            forest = trainer.model.get_submodule(path)
            n = len(forest.members)
            if n < 2 or n > MAX_MEMBERS or trainer.val_loader is None:
                continue
            base = trainer.last_eval.get("val_loss")
            if base is None:
                continue
            deltas = [self._loss_without(trainer, forest, k) - base for k in range(n)]
            trainer.emit(MemberContributions(trainer.step, label, float(base), tuple(deltas)))

    def _loss_without(self, trainer: Any, forest: nn.Module, left_out: int) -> float:
        outs: dict[int, torch.Tensor] = {}

        def keep(k: int):
            def hook(_module: nn.Module, _inputs: Any, out: Any) -> None:
                outs[k] = out[0] if isinstance(out, tuple) else out
            return hook

        def without(_module: nn.Module, _inputs: Any, _out: Any) -> torch.Tensor:
            members = [k for k in range(len(forest.members)) if k != left_out]
            return forest.combine([outs[k] for k in members], members)

        handles = [m.register_forward_hook(keep(k)) for k, m in enumerate(forest.members)]
        handles.append(forest.register_forward_hook(without))
        try:
            return float(trainer.evaluate(max_batches=self.max_batches).get("val_loss", float("nan")))
        finally:
            for handle in handles:
                handle.remove()
