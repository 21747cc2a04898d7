"""What node a tensor attribute read in a forward becomes: a Parameter, or a Buffer as the original kept it.

A buffer stays a buffer (`register_buffer`, persistent or not), so the imported
model's `state_dict()` has the original's keys and its `parameters()` only the
original's parameters. A non-persistent buffer is not saved with the weights:
its constructor must rebuild its values, so its fill is read from the values.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from codegen.importer.groups import parameter_params


def _owner(module: nn.Module, target: str) -> tuple[nn.Module | None, str]:
    prefix, _, name = target.rpartition(".")
    try:
        return (module.get_submodule(prefix) if prefix else module), name
    except AttributeError:
        return None, name


def fill_of(value: torch.Tensor) -> str | None:
    """The `Buffer` fill that rebuilds these exact values, or None when none does."""
    if value.is_meta or value.is_complex():
        return None
    flat = value.detach().flatten()
    if bool((flat == 0).all()):
        return "zeros"
    if bool((flat == 1).all()):
        return "ones"
    if torch.equal(flat, torch.arange(flat.numel(), dtype=value.dtype)):
        return "arange"
    if value.dim() >= 2 and value.numel() == value.shape[-1] * value.shape[-2]:
        square = value.detach().reshape(value.shape[-2], value.shape[-1])
        if torch.equal(square, torch.tril(torch.ones_like(square))):
            return "tril"
    return None


def tensor_node(module: nn.Module, target: str, value: torch.Tensor, frozen_group: bool,
                notes: list[str]) -> tuple[str, dict[str, Any]]:
    """(node type, parameters) for `self.<target>` read in `module`'s forward."""
    owner, name = _owner(module, target)
    if owner is None or name not in owner._buffers:  # noqa: SLF001 - the one place torch says "buffer"
        return "Parameter", parameter_params(value, frozen_group)
    buffer = owner._buffers[name]  # noqa: SLF001
    buffer = value if buffer is None else buffer
    params: dict[str, Any] = {"shape": list(buffer.shape)}
    dtype = str(buffer.dtype).removeprefix("torch.")
    if dtype != "float32":
        params["dtype"] = dtype
    fill = fill_of(buffer)
    if fill not in (None, "zeros"):
        params["fill"] = fill
    if name in owner._non_persistent_buffers_set:  # noqa: SLF001
        if fill is None:
            notes.append(f"{target} is a non-persistent buffer whose values no fill rebuilds; "
                         "imported as a persistent buffer (saved with the weights)")
        else:
            params["persistent"] = False
    return "Buffer", params
