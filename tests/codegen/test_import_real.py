"""Issue 14: import never fails on a module that runs, and reproduces it.

Each test is one observation from the issue: duplicate ids from nested
Sequentials, torch.cat of a list (DenseNet), tensor methods and attributes,
nanoGPT's fx-defeating Python, Embedding-first models (`--input-dtype long`),
library classes kept as library classes, and one-line errors for bad input.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from codegen import build_from_compiled, compile_document
from codegen.catalogue import registry
from codegen.importer import import_module, record_constructors, transfer_weights
from graph.kinds import CODE, OPAQUE
from graph.validate import validate
from tests.zoo.nanogpt import GPT


def reproduce(module: nn.Module, inputs: list[torch.Tensor], trusted: bool = False):
    module.eval()
    doc, origin = import_module(module, inputs=inputs)
    assert [p for p in validate(doc, registry()) if p.is_error] == []
    compiled = compile_document(doc, trusted=trusted)
    model = build_from_compiled(compiled).eval()
    assert transfer_weights(module, origin, compiled, model) == []
    with torch.no_grad():
        torch.testing.assert_close(model(*inputs), module(*inputs), atol=1e-5, rtol=1e-5)
    return doc, compiled


def all_ids(doc) -> list[str]:
    return [nid for scope in doc.scopes() for nid in doc.scope(scope).nodes]


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(width, width), nn.ReLU())

    def forward(self, x):
        return x + self.body(x)


def test_nested_sequentials_get_unique_ids_and_pass_check():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Sequential(Block(8), Block(8)), nn.Sequential(nn.Linear(8, 4), Block(4)))
    doc, _ = reproduce(net, [torch.randn(3, 8)])
    ids = all_ids(doc)
    assert len(ids) == len(set(ids))


class DenseLayer(nn.Module):
    def __init__(self, c_in: int, growth: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, growth, 3, padding=1)

    def forward(self, features):
        return F.relu(self.conv(torch.cat(features, 1)))


class DenseBlock(nn.Module):
    """DenseNet's pattern: every layer reads the list of all earlier features."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([DenseLayer(4 + 2 * k, 2) for k in range(3)])

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)


def test_torch_cat_of_a_list_imports_without_a_traceback():
    torch.manual_seed(0)
    doc, _ = reproduce(DenseBlock(), [torch.randn(2, 4, 6, 6)])
    assert doc.code == {}  # every layer traced, none kept whole


class TensorCode(nn.Module):
    """Tensor methods and attributes a forward uses every day."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(12, 24)

    def forward(self, x):
        b, t, c = x.shape
        h = self.proj(x).view(b, t, 2, 12).permute(0, 2, 1, 3).contiguous()
        q, k = h.chunk(2, dim=-1)
        att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / 6 ** 0.5)
        att = F.softmax(att, dim=-1)
        y = torch.einsum("bhts,bhsd->bhtd", att, q).reshape(b, x.size(1), -1)
        first, rest = y.split([1, t - 1], dim=1)
        z = torch.stack([first.squeeze(1), rest.mean(1)], dim=1).unsqueeze(2)
        scale = self.proj.out_features / 24
        return z.flatten(1)[:, : c] * scale + 2 - x[..., 0].sum(-1, keepdim=True)


def test_tensor_methods_and_attributes_become_nodes_not_code():
    torch.manual_seed(0)
    doc, compiled = reproduce(TensorCode(), [torch.randn(2, 5, 12)])
    kinds = {n.type for s in doc.scopes() for n in doc.scope(s).nodes.values()}
    assert CODE.type_id not in kinds and OPAQUE.type_id not in kinds
    assert {"Linear", "Permute", "Softmax", "TensorExpression"} <= kinds
    assert "torch.einsum(" in compiled.source


def test_nanogpt_with_fx_defeating_python_imports_and_reproduces():
    torch.manual_seed(0)
    with record_constructors():
        gpt = GPT()
    doc, compiled = reproduce(gpt, [torch.randint(0, 96, (2, 16))], trusted=True)
    (x,) = [n for n in doc.graph.nodes.values() if n.label == "idx"]
    assert x.params == {"shape": [16], "dtype": "int64"}
    h = doc.graph.node_by_label("transformer_h")
    assert h.params["repeat"] == 3  # the ModuleList of equal blocks: one group ×3


class OldLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(4, 8)  # batch_first=False: not the catalogue's LSTM node
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


def test_library_class_stays_a_library_reference_never_a_copy():
    torch.manual_seed(0)
    with record_constructors():
        net = OldLSTM()
    doc, compiled = reproduce(net, [torch.randn(5, 2, 4)])
    (kept,) = [n for n in doc.graph.nodes.values() if n.type == OPAQUE.type_id]
    assert kept.params["target"] == "torch.nn.modules.rnn.LSTM"
    assert doc.code == {}
    assert "from torch.nn.modules.rnn import LSTM" in compiled.source
    assert "class LSTM" not in compiled.source


def test_upsample_module_is_the_catalogue_node():
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Upsample(scale_factor=2.0, mode="bilinear"))
    doc, compiled = reproduce(net, [torch.randn(1, 1, 4, 4)])
    assert any(n.type == "Upsample" for n in doc.graph.nodes.values())
    assert "class Upsample" not in compiled.source


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", "import", *args], capture_output=True, text=True,
                          timeout=300)


BAD = '''import torch
from torch import nn


class NeedsArgs(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(4, width)

    def forward(self, x):
        return self.fc(x)


class Raises(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x.view(-1, 3))


class Tokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.head = nn.Linear(8, 50)

    def forward(self, ids):
        return self.head(self.embed(ids))
'''


def test_bad_input_is_one_line_naming_the_problem(tmp_path: Path):
    src = tmp_path / "models.py"
    src.write_text(BAD)
    out = str(tmp_path / "p.json")
    cases = {
        "Missing": ("defines no 'Missing'", []),
        "NeedsArgs": ("NeedsArgs(): ", []),
        "Raises": ("raised in forward", []),
    }
    for name, (expected, extra) in cases.items():
        result = _cli(f"{src}:{name}", "--input-shape", "4", "-o", out, *extra)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.stderr, result.stderr
    torch.save({"fc.weight": torch.zeros(3, 3)}, tmp_path / "w.pt")
    result = _cli(f"{src}:NeedsArgs", "--args", '{"width": 4}', "--input-shape", "4", "--weights",
                  str(tmp_path / "w.pt"), "-o", out)
    assert result.returncode == 1 and "weights do not fit" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_input_dtype_long_imports_embedding_first_models(tmp_path: Path):
    src = tmp_path / "models.py"
    src.write_text(BAD)
    out = tmp_path / "tokens.json"
    result = _cli(f"{src}:Tokens", "--input-shape", "7", "--input-dtype", "long", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "max abs diff: 0.00e+00" in result.stdout
    from graph import load
    from runtime.commands.check import project_registry

    doc = load(out, project_registry())
    (ids,) = [n for n in doc.graph.nodes.values() if n.label == "ids"]
    assert ids.params["dtype"] == "int64"


class Gain(nn.Module):
    """A layer of the user's own that no catalogue layer reproduces: it stays the user's code."""

    def __init__(self, ndim):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(ndim))

    def forward(self, x):
        return x * self.gain


def test_an_imported_model_with_code_inside_a_repeated_group_is_analysed_before_trust():
    """A user's layer inside nanoGPT's ×3 block is code in a repeated group: opening the project (untrusted)
    used to crash shape inference; now the shapes after it are unknown and the text for reading keeps ×3."""
    from codegen.shapes import infer_shapes

    torch.manual_seed(0)
    with record_constructors():
        gpt = GPT()
        for block in gpt.transformer.h:
            block.ln_1 = Gain(gpt.config.n_embd)
    doc, _ = import_module(gpt, inputs=[torch.randint(0, 96, (2, 16))])
    inference = infer_shapes(doc, trusted=False)
    assert inference.errors == []
    compiled = compile_document(doc, partial=True)
    assert "for _ in range(3)" in compiled.source and compiled.unknown_shapes


class NanoLayerNorm(nn.Module):
    """nanoGPT's own LayerNorm (optional bias), as its model.py writes it."""

    def __init__(self, ndim, bias, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None
        self.eps = eps

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, self.eps)


class HiddenEpsLayerNorm(nn.Module):
    """nanoGPT's LayerNorm with another eps written into its forward and kept nowhere: no candidate has it."""

    def __init__(self, ndim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim))

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-3)


class IgnoresItsWeight(nn.Module):
    """Looks like a LayerNorm (one weight of the right shape) but never uses it."""

    def __init__(self, ndim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))

    def forward(self, x):
        return F.layer_norm(x, x.shape[-1:])


class Norms(nn.Module):
    def __init__(self, norm):
        super().__init__()
        self.fc = nn.Linear(6, 8)
        self.norm = norm
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.norm(self.fc(x)))


def test_a_users_layer_that_a_catalogue_layer_reproduces_exactly_becomes_that_node():
    """nanoGPT's own LayerNorm(ndim, bias) is nn.LayerNorm(ndim, bias=...): a catalogue node, not opaque code."""
    x = [torch.randn(4, 6)]
    for bias in (True, False):
        torch.manual_seed(0)
        with record_constructors():
            model = Norms(NanoLayerNorm(8, bias))
        with torch.no_grad():
            model.norm.weight.uniform_(0.5, 1.5)  # trained-looking weights, carried over by name
        doc, compiled = reproduce(model, x)
        (node,) = [n for n in doc.graph.nodes.values() if n.label == "norm"]
        assert node.type == "LayerNorm" and node.params.get("bias", True) is bias
        assert doc.code == {} and "class NanoLayerNorm" not in compiled.source


def test_a_users_layer_that_only_looks_like_a_catalogue_layer_stays_code():
    """Another eps than any it keeps, or a weight the forward ignores: the outputs tell them apart, so the user's
    code stays (an eps the module keeps, `self.eps`, is tried: tests/codegen/test_import_layer_norm.py)."""
    x = [torch.randn(4, 6)]
    # the ignored weight is left at ones, where the outputs agree: only the perturbed probe tells them apart
    for norm, trained in ((lambda: HiddenEpsLayerNorm(8), True), (lambda: IgnoresItsWeight(8), False)):
        torch.manual_seed(0)
        with record_constructors():
            model = Norms(norm())
        if trained:
            with torch.no_grad():
                model.norm.weight.uniform_(0.5, 1.5)
        doc, _ = reproduce(model, x, trusted=True)
        (node,) = [n for n in doc.graph.nodes.values() if n.label == "norm"]
        assert node.type == CODE.type_id
