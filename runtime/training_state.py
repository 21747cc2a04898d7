"""Everything a training step changes, captured and put back: weights, optimizer and scheduler state.

Undoing a step means more than restoring the weights: Adam's moments and step
counts, SGD's momentum buffers and the learning-rate schedule all moved with
it, and the next step would still carry the undone one. `capture_state`
copies all three; `restore_state` writes them back in place (the optimizer
keeps its tensors, so a captured state can be restored any number of times).
Only torch is imported here, so an exported train.py copies these functions
verbatim with the policies that use them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass
class TrainingState:
    """A copy of the model's state_dict, the optimizer's per-parameter state and groups, and the scheduler's."""

    weights: dict[str, torch.Tensor]
    optimizer: dict[str, Any] | None = None
    scheduler: dict[str, Any] | None = None


def _clone(value: Any) -> Any:
    return value.detach().clone() if isinstance(value, torch.Tensor) else copy.deepcopy(value)


def capture_state(model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                  scheduler: Any = None) -> TrainingState:
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    opt = None
    if optimizer is not None:
        opt = {
            "state": {p: {k: _clone(v) for k, v in s.items()} for p, s in optimizer.state.items()},
            "groups": [{k: copy.deepcopy(v) for k, v in g.items() if k != "params"} for g in optimizer.param_groups],
        }
    sched = copy.deepcopy(scheduler.state_dict()) if scheduler is not None else None
    return TrainingState(weights, opt, sched)


@torch.no_grad()
def restore_weights(model: nn.Module, weights: dict[str, torch.Tensor]) -> None:
    for k, v in model.state_dict().items():
        if k in weights:
            v.copy_(weights[k])


@torch.no_grad()
def restore_state(model: nn.Module, state: TrainingState | dict[str, torch.Tensor],
                  optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None) -> None:
    """Puts the captured weights back, and the optimizer and scheduler state when they were captured.

    A bare state_dict (weights only) is accepted too.
    """
    if not isinstance(state, TrainingState):
        restore_weights(model, state)
        return
    restore_weights(model, state.weights)
    if optimizer is not None and state.optimizer is not None:
        saved = state.optimizer["state"]
        for p in [p for p in optimizer.state if p not in saved]:
            del optimizer.state[p]  # state the undone step created (e.g. Adam's first step)
        for p, values in saved.items():
            live = optimizer.state[p]
            for k in [k for k in live if k not in values]:
                del live[k]
            for k, v in values.items():
                current = live.get(k)
                if isinstance(v, torch.Tensor) and isinstance(current, torch.Tensor) and current.shape == v.shape:
                    current.copy_(v)
                else:
                    live[k] = _clone(v)
        for group, values in zip(optimizer.param_groups, state.optimizer["groups"], strict=False):
            group.update(copy.deepcopy(values))
    if scheduler is not None and state.scheduler is not None:
        scheduler.load_state_dict(copy.deepcopy(state.scheduler))


def layer_parameters(model: nn.Module, layers: list[str] | tuple[str, ...] = ()) -> list[tuple[str, nn.Parameter]]:
    """Trainable parameters by name; with `layers`, only those under the named submodules (attribute paths)."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not layers:
        return params
    prefixes = tuple(layer + "." for layer in layers)
    chosen = [(n, p) for n, p in params if n.startswith(prefixes) or n in layers]
    if not chosen:
        known = sorted({n.rsplit(".", 1)[0] for n, _ in params})
        raise ValueError(f"no trainable layer named {', '.join(layers)}; layers with weights: {', '.join(known)}")
    return chosen


@torch.no_grad()
def add_gaussian_noise(model: nn.Module, sigma: float, scale_by_std: bool = False,
                       generator: torch.Generator | None = None,
                       layers: list[str] | tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
    """Adds N(0, σ²) to every trainable parameter (or those of `layers`); returns the noise added, by name.

    With `scale_by_std`, σ is multiplied by each tensor's own standard deviation,
    so large and small layers are disturbed alike. Complex parameters get
    circular noise of the same total variance.
    """
    added: dict[str, torch.Tensor] = {}
    for name, p in layer_parameters(model, layers):
        scale = sigma
        if scale_by_std and p.numel() > 1:
            scale = sigma * float(p.detach().abs().std() if p.is_complex() else p.detach().std())
        real = p.real.dtype if p.is_complex() else p.dtype
        noise = torch.randn(p.shape, generator=generator, dtype=real)
        if p.is_complex():
            imag = torch.randn(p.shape, generator=generator, dtype=real)
            noise = torch.complex(noise, imag) / 2 ** 0.5
        noise = (noise * scale).to(p.device)
        p.add_(noise)
        added[name] = noise
    return added
