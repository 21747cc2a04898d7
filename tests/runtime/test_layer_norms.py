"""Per-layer norms: the numbers the metrics file logs, whichever path reads them (every gradient present or not)."""

from __future__ import annotations

import math

import torch
from torch import nn

from runtime.layer_norms import LayerNorms


class Three(nn.Module):
    """A layer owning three parameters, one of which may get no gradient."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.randn(7, 5))
        self.b = nn.Parameter(torch.randn(5))
        self.c = nn.Parameter(torch.randn(3))

    def forward(self, x: torch.Tensor, use_c: bool = True) -> torch.Tensor:
        out = x @ self.a.T
        return out + self.b.sum() + (self.c.sum() if use_c else 0.0)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 5)
        self.three = Three()
        self.head = nn.Linear(7, 2, bias=False)

    def forward(self, x: torch.Tensor, use_c: bool = True) -> torch.Tensor:
        return self.head(self.three(self.fc(x), use_c))


def reference(model: nn.Module) -> tuple[dict[str, float], dict[str, float]]:
    """Each layer's norm as the root of its parameters' squared norms, summed in parameter order (float64)."""
    grads: dict[str, float] = {}
    weights: dict[str, float] = {}
    for name, module in model.named_modules():
        params = list(module.parameters(recurse=False))
        if not params:
            continue
        name = name or "model"
        weights[name] = math.sqrt(sum((torch.linalg.vector_norm(p.detach()).item() ** 2 for p in params), 0.0))
        present = [p.grad for p in params if p.grad is not None]
        if present:
            grads[name] = math.sqrt(sum((torch.linalg.vector_norm(g).item() ** 2 for g in present), 0.0))
    return grads, weights


def test_norms_match_the_sum_of_squares_to_the_last_bit_with_every_gradient_and_without_one():
    torch.manual_seed(0)
    model = Net()
    norms = LayerNorms(model)
    for use_c in (True, False):
        model.zero_grad(set_to_none=True)
        model(torch.randn(8, 4), use_c).sum().backward()
        (grads, weights), = norms.read([norms.measure()])
        want_grads, want_weights = reference(model)
        assert list(grads.items()) == list(want_grads.items())  # exact floats, in layer order
        assert list(weights.items()) == list(want_weights.items())
        assert ("three" in grads) and (model.three.c.grad is None) != use_c


def test_measuring_leaves_gradient_mode_as_it_was():
    model = Net()
    model(torch.randn(2, 4)).sum().backward()
    norms = LayerNorms(model)
    row, _ = norms.measure()
    assert torch.is_grad_enabled() and not row.requires_grad
    with torch.no_grad():
        norms.measure()
        assert not torch.is_grad_enabled()
