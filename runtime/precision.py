"""Options that make a step faster on a GPU: mixed precision, channels_last, torch.compile.

Each is a recipe field (`precision`, `channels_last`, `compile`), off by
default, and each is a plain PyTorch call a reader of the exported script
would recognise: `torch.autocast`, `torch.amp.GradScaler` (float16 only:
bfloat16 keeps float32's exponent range and needs no scaling),
`model.to(memory_format=torch.channels_last)` and `torch.compile(model)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    """Autocast and (for float16) gradient scaling around one optimizer.

    Every rule about what a precision does to a step lives here. `plain`
    says none applies (float32: no autocast, no scaler), and `calls` hands
    the trainer the backward and step to make, bound once per fit, so that
    the plain case costs a step nothing beyond ``loss.backward()`` and
    ``optimizer.step()`` themselves.
    """

    def __init__(self, name: str, device: torch.device) -> None:
        self.name = name
        self.dtype = DTYPES.get(name)
        self.device_type = device.type
        self.scaler = torch.amp.GradScaler(device.type) if self.dtype is torch.float16 else None
        #: Float32 as it is: no autocast around forward and loss, and backward and step are the plain calls.
        self.plain = self.dtype is None

    @property
    def active(self) -> bool:
        return not self.plain

    def calls(self, optimizer: torch.optim.Optimizer) -> tuple[Callable[[torch.Tensor], None], Callable[[], None]]:
        """(backward(loss), step()) for this precision: the tensor's and optimizer's own methods when plain."""
        if self.scaler is None:
            return torch.Tensor.backward, optimizer.step
        return (lambda loss: self.backward(loss, optimizer)), (lambda: self.step(optimizer))

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.plain:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Backward; with a scaler the gradients are unscaled at once, so hooks and norms see true values."""
        if self.scaler is None:
            loss.backward()
            return
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            optimizer.step()
            return
        self.scaler.step(optimizer)  # skipped by the scaler when a gradient overflowed
        self.scaler.update()

    def skipped(self) -> None:
        """A hook cancelled the step: the scaler still has to close this iteration."""
        if self.scaler is not None:
            self.scaler.update()


def to_channels_last(model: nn.Module) -> nn.Module:
    return model.to(memory_format=torch.channels_last)


def channels_last_input(x: Any) -> Any:
    """4-D image batches in NHWC memory order (the values and shape stay the same)."""
    if isinstance(x, torch.Tensor) and x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def compiled_forward(model: nn.Module, mode: str | None = None) -> Callable[..., Any]:
    """`torch.compile(model)`; the trainer keeps the plain module for hooks, checkpoints and export."""
    return torch.compile(model, mode=mode)
