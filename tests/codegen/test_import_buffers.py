"""Issue 14: imported buffers stay buffers. They used to become frozen Parameter nodes, so a non-persistent
buffer (BERT's position_ids) showed up in parameters() and in the saved weights."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from codegen import build_from_compiled, compile_document
from codegen.export import save_weights
from codegen.importer import import_module, transfer_weights
from tests.codegen.roundtrip import fixed_point


class Buffered(nn.Module):
    """A persistent running scale, a non-persistent position table and causal mask, and a real weight."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.register_buffer("scale", torch.linspace(0.5, 2.0, 4))
        self.register_buffer("positions", torch.arange(6).expand((1, -1)), persistent=False)
        self.register_buffer("mask", torch.tril(torch.ones(6, 6)).view(1, 6, 6), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.proj(x) * self.scale
        scores = (y @ y.transpose(1, 2)).masked_fill(self.mask == 0, 0.0)
        return scores @ y + self.positions.unsqueeze(-1).float()


def imported():
    torch.manual_seed(0)
    original = Buffered().eval()
    x = torch.randn(2, 6, 4, generator=torch.Generator().manual_seed(1))
    doc, origin = import_module(original, inputs=[x])
    return original, x, doc, origin


def test_buffers_are_registered_as_in_the_original_with_its_state_dict_keys(tmp_path: Path):
    original, x, doc, origin = imported()
    assert origin.notes == []
    types = {n.label: (n.type, n.params) for n in doc.graph.nodes.values() if n.type in ("Buffer", "Parameter")}
    assert types == {"scale": ("Buffer", {"shape": [4]}),
                     "positions": ("Buffer", {"shape": [1, 6], "dtype": "int64", "fill": "arange",
                                              "persistent": False}),
                     "mask": ("Buffer", {"shape": [1, 6, 6], "fill": "tril", "persistent": False})}
    compiled = compile_document(doc, trusted=True)
    code = re.sub(r"\s+", "", compiled.source)  # the formatter may wrap a long call
    assert 'self.register_buffer("scale",torch.zeros(4))' in code
    assert 'self.register_buffer("positions",torch.arange(6,dtype=torch.int64).view(1,6),persistent=False)' in code
    assert 'self.register_buffer("mask",torch.tril(torch.ones(6,6)).view(1,6,6),persistent=False)' in code
    model = build_from_compiled(compiled).eval()
    assert transfer_weights(original, origin, compiled, model) == []
    assert list(model.state_dict()) == list(original.state_dict()) == ["scale", "proj.weight", "proj.bias"]
    assert sorted(n for n, _ in model.named_parameters()) == sorted(n for n, _ in original.named_parameters())
    assert sorted(n for n, _ in model.named_buffers()) == sorted(n for n, _ in original.named_buffers())
    with torch.no_grad():
        torch.testing.assert_close(model(x), original(x), atol=0, rtol=0)
    save_weights(model, tmp_path / "w.safetensors")
    assert sorted(load_file(str(tmp_path / "w.safetensors"))) == sorted(original.state_dict())
    fresh = build_from_compiled(compiled).eval()  # the non-persistent buffers rebuilt by the constructor alone
    assert torch.equal(fresh.positions, original.positions) and torch.equal(fresh.mask, original.mask)


def test_buffers_export_import_export_is_a_fixed_point(tmp_path: Path):
    _, _, doc, _ = imported()
    first, second, keys1, keys2, _, doc2 = fixed_point(doc, tmp_path)
    assert first == second and keys1 == keys2
    assert {n.label: n.type for n in doc2.graph.nodes.values() if n.type == "Buffer"} == \
        {"scale": "Buffer", "positions": "Buffer", "mask": "Buffer"}


class Unpatterned(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("noise", torch.randn(3, generator=torch.Generator().manual_seed(2)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.noise


def test_a_non_persistent_buffer_no_fill_rebuilds_is_kept_persistent_and_said(tmp_path: Path):
    original = Unpatterned().eval()
    x = torch.randn(2, 3)
    doc, origin = import_module(original, inputs=[x])
    assert origin.notes == ["noise is a non-persistent buffer whose values no fill rebuilds; "
                            "imported as a persistent buffer (saved with the weights)"]
    compiled = compile_document(doc, trusted=True)
    model = build_from_compiled(compiled).eval()
    assert transfer_weights(original, origin, compiled, model) == []
    with torch.no_grad():
        torch.testing.assert_close(model(x), original(x), atol=0, rtol=0)
    assert list(model.state_dict()) == ["noise"]


@pytest.mark.parametrize("fill", ["zeros", "ones", "arange", "tril"])
def test_each_fill_rebuilds_what_it_names(fill: str):
    from codegen.catalogue.buffer import buffer_tensor
    from codegen.importer.tensors import fill_of

    values = {"shape": [1, 3, 3], "fill": fill}
    tensor = eval(buffer_tensor(values), {"torch": torch})  # noqa: S307 - our own generated text
    assert tensor.shape == (1, 3, 3) and fill_of(tensor) == fill


class ScaledByScalars(nn.Module):
    """A learned scalar (CLIP's logit_scale) and a scalar buffer beside a weight."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(3, 3)
        self.logit_scale = nn.Parameter(torch.tensor(2.5))
        self.register_buffer("offset", torch.tensor(0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x) * self.logit_scale + self.offset


def test_scalar_parameters_and_buffers_stay_scalars():
    """The Parameter node wrote shape () as `torch.zeros(1)`, so the imported weights did not load."""
    original = ScaledByScalars().eval()
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(0))
    doc, origin = import_module(original, inputs=[x])
    compiled = compile_document(doc, trusted=True)
    assert "nn.Parameter(torch.zeros(()))" in compiled.source
    model = build_from_compiled(compiled).eval()
    assert transfer_weights(original, origin, compiled, model) == []
    assert model.logit_scale.shape == () and model.offset.shape == ()
    with torch.no_grad():
        torch.testing.assert_close(model(x), original(x), atol=0, rtol=0)
