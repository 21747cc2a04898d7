"""Per-layer gradient and weight L2 norms, measured on the device and read back in blocks.

`measure()` launches one fused norm over every gradient and parameter and
returns a device tensor; nothing waits for the device. `read()` turns several
measurements into numbers with one transfer, so on a GPU the host syncs once
per block of steps, not once per batch; the few per-layer sums are then done
in Python, which is cheaper than more kernels for a handful of layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def parameter_layers(model: nn.Module) -> list[tuple[str, list[nn.Parameter]]]:
    """Modules that own parameters directly, by attribute path: the 'layers' of the plots."""
    layers = []
    for name, module in model.named_modules():
        params = list(module.parameters(recurse=False))
        if params:
            layers.append((name or "model", params))
    return layers


class LayerNorms:
    def __init__(self, model: nn.Module) -> None:
        self.layers = parameter_layers(model)
        self.names = [name for name, _ in self.layers]
        self.params = [p for _, ps in self.layers for p in ps]
        self.owners = [k for k, (_, ps) in enumerate(self.layers) for _ in ps]
        self._complex = [p.is_complex() for p in self.params]
        self._any_complex = any(self._complex)
        self._every = tuple(range(len(self.params)))  # `have` when every parameter has a gradient (most steps)
        #: Per layer, the positions of its parameters' norms in a measurement with every gradient present.
        self._slices = [[k for k, owner in enumerate(self.owners) if owner == layer] for layer in range(len(self.layers))]

    def measure(self) -> tuple[torch.Tensor, tuple[int, ...]] | None:
        """(norms of the present gradients then of every parameter, on the device; which had a gradient).

        Gradient mode is switched off by hand around the norms: `torch.no_grad()` as a decorator or a `with`
        cost ~10 % of a small model's measurement in Python calls.
        """
        if not self.params:
            return None
        grads = [p.grad for p in self.params]
        have = self._every if all([g is not None for g in grads]) else \
            tuple(k for k, g in enumerate(grads) if g is not None)
        tensors = [grads[k] for k in have] + self.params if have is not self._every else grads + self.params
        if self._any_complex:
            flags = [self._complex[k] for k in have] + self._complex
            tensors = [t.abs() if c else t for t, c in zip(tensors, flags, strict=True)]
        enabled = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)
        try:
            return torch.stack(torch._foreach_norm(tensors)), have
        finally:
            torch._C._set_grad_enabled(enabled)

    def read(self, rows: list[tuple[torch.Tensor, tuple[int, ...]]]) -> list[tuple[dict[str, float],
                                                                                   dict[str, float]]]:
        """(gradient norms, weight norms) by layer name for each measurement, with one transfer.

        A layer's norm is the root of its parameters' squared norms (weight and bias together).
        """
        if not rows:
            return []
        if len(rows) == 1:
            values = [rows[0][0].tolist()]
        else:
            values = torch.nn.utils.rnn.pad_sequence([r for r, _ in rows], batch_first=True).tolist()
        return [self._by_layer(row, have) for row, (_, have) in zip(values, rows, strict=True)]

    def _by_layer(self, row: list[float], have: tuple[int, ...]) -> tuple[dict[str, float], dict[str, float]]:
        names, owners = self.names, self.owners
        if have is self._every:  # every gradient present: each layer's squares summed in parameter order
            n = len(owners)
            grads, weights = {}, {}
            for name, positions in zip(names, self._slices, strict=True):
                g = w = 0.0
                for k in positions:
                    g += row[k] * row[k]
                    w += row[n + k] * row[n + k]
                grads[name], weights[name] = math.sqrt(g), math.sqrt(w)
            return grads, weights
        grad_sq: dict[str, float] = {}
        for value, k in zip(row, have, strict=False):
            name = names[owners[k]]
            grad_sq[name] = grad_sq.get(name, 0.0) + value * value
        weight_sq = dict.fromkeys(names, 0.0)
        for value, owner in zip(row[len(have):len(have) + len(owners)], owners, strict=True):
            weight_sq[names[owner]] += value * value
        return ({n: math.sqrt(v) for n, v in grad_sq.items()}, {n: math.sqrt(v) for n, v in weight_sq.items()})
