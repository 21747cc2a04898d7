"""Issue 14: a user's LayerNorm becomes nn.LayerNorm at the eps it uses, with or without weight and bias (it was
recognised only at the default eps with a weight, so `LayerNorm(eps=1e-6)` stayed the user's code)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from codegen.importer import record_constructors
from graph.kinds import CODE
from tests.codegen.test_import_real import Norms, reproduce


class KeptEpsLayerNorm(nn.Module):
    """Keeps its eps (`self.eps`) and its affine choice, as ViT/BERT-style code does."""

    def __init__(self, ndim: int, eps: float, affine: bool = True, bias: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(ndim)) if affine else None
        self.bias = nn.Parameter(torch.zeros(ndim)) if affine and bias else None

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


class WrongEpsLayerNorm(nn.Module):
    """Keeps one eps but uses another: no candidate reproduces it."""

    def __init__(self, ndim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(ndim))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, None, 0.25)


def imported_norm(make, trusted: bool = False):
    torch.manual_seed(0)
    with record_constructors():
        model = Norms(make())
    with torch.no_grad():
        for p in model.norm.parameters():
            p.uniform_(0.5, 1.5)
    doc, compiled = reproduce(model, [torch.randn(4, 6)], trusted=trusted)
    (node,) = [n for n in doc.graph.nodes.values() if n.label == "norm"]
    return node, compiled


@pytest.mark.parametrize("eps", [1e-6, 1e-5, 1e-3])
@pytest.mark.parametrize(("affine", "bias"), [(True, True), (True, False), (False, False)])
def test_a_layer_norm_at_any_eps_becomes_layer_norm_with_that_eps(eps: float, affine: bool, bias: bool):
    node, compiled = imported_norm(lambda: KeptEpsLayerNorm(8, eps, affine, bias))
    assert node.type == "LayerNorm"
    assert node.params.get("eps", 1e-5) == eps
    assert node.params.get("elementwise_affine", True) is affine
    if affine:
        assert node.params.get("bias", True) is bias
    assert "class KeptEpsLayerNorm" not in compiled.source


def test_a_layer_norm_whose_eps_is_not_the_one_it_keeps_stays_code():
    node, _ = imported_norm(lambda: WrongEpsLayerNorm(8, 1e-6), trusted=True)
    assert node.type == CODE.type_id
