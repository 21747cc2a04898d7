"""Re-initialising parts of a built model (a group, a node) on demand."""

from __future__ import annotations

from torch import nn


def reinitialize(model: nn.Module, path: str = "") -> int:
    """Calls reset_parameters() on every submodule under `path`; returns how many were reset."""
    root = model.get_submodule(path) if path else model
    count = 0
    for module in root.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset):
            reset()
            count += 1
    return count


def set_frozen(model: nn.Module, path: str, frozen: bool = True) -> None:
    model.get_submodule(path).requires_grad_(not frozen)
