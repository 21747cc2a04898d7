"""Issue 14: a user's RMSNorm becomes nn.RMSNorm at any eps, with or without its weight (it was recognised only
at the default eps, so LLaMA's RMSNorm(eps=1e-6) stayed the user's code)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from codegen.importer import record_constructors
from graph.kinds import CODE
from tests.codegen.test_import_real import Norms, reproduce


class LlamaRMSNorm(nn.Module):
    """As LLaMA's and Hugging Face's code writes it: float32 statistics, `variance_epsilon`."""

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))


class PlainRMSNorm(nn.Module):
    """No weight (elementwise_affine off), its eps in `self.eps`."""

    def __init__(self, eps: float) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class WrongEps(nn.Module):
    """Keeps one eps but uses another: no candidate reproduces it."""

    def __init__(self, eps: float) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 0.25)


def imported_norm(norm: nn.Module, trusted: bool = False):
    torch.manual_seed(0)
    with record_constructors():
        model = Norms(norm)
    if list(model.norm.parameters()):
        with torch.no_grad():
            model.norm.weight.uniform_(0.5, 1.5)
    doc, compiled = reproduce(model, [torch.randn(4, 6)], trusted=trusted)
    (node,) = [n for n in doc.graph.nodes.values() if n.label == "norm"]
    return node, compiled


@pytest.mark.parametrize("eps", [1e-6, 1e-5, 1e-3, 0.1])
def test_llama_rms_norm_at_any_eps_becomes_rms_norm_with_that_eps(eps: float):
    node, compiled = imported_norm(LlamaRMSNorm(8, eps))
    assert node.type == "RMSNorm" and node.params.get("eps") == eps
    assert "class LlamaRMSNorm" not in compiled.source


@pytest.mark.parametrize("eps", [1e-6, 1e-2])
def test_an_rms_norm_without_weight_becomes_rms_norm_without_affine(eps: float):
    node, compiled = imported_norm(PlainRMSNorm(eps))
    assert node.type == "RMSNorm" and node.params.get("eps") == eps
    assert node.params.get("elementwise_affine") is False
    assert "class PlainRMSNorm" not in compiled.source


def test_an_rms_norm_whose_eps_is_not_the_one_it_keeps_stays_code():
    node, _ = imported_norm(WrongEps(1e-6), trusted=True)
    assert node.type == CODE.type_id
