"""Complex-valued layers: their helper sources, their formulas, and that they train.

Every layer is rendered exactly as the compiler renders it (render.
constructor_call / render.forward_expr) and evaluated with nothing but torch,
nn, math and the helper definitions of codegen.support in scope.
"""

from __future__ import annotations

import ast
import math
import time
from typing import Any

import pytest
import torch
from torch import nn

from codegen import render
from codegen.catalogue.complex import LAYERS
from codegen.formatting import format_source, lint_source
from codegen.layer import LayerDef
from codegen.support import SUPPORT, requirements, support_source

BY_ID: dict[str, LayerDef] = {layer.type_id: layer for layer in LAYERS}
IDS = list(BY_ID)


def header(body: str) -> str:
    """The generated file's imports, as the compiler writes them (math only when used)."""
    math_import = "import math\n\n" if "math." in body else ""
    return f'"""Test module."""\n\n{math_import}import torch\nfrom torch import nn\n\n\n'


def namespace() -> dict[str, Any]:
    """torch, nn, math and every helper, as a generated module sees them."""
    scope: dict[str, Any] = {"torch": torch, "nn": nn, "math": math}
    exec(support_source(SUPPORT), scope)  # noqa: S102 - our own helper text
    return scope


NS = namespace()


def sample_inputs(layer: LayerDef, seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    spec = layer.spec
    return {
        name: torch.randn(shape, generator=gen, dtype=getattr(torch, spec.extra["sample_dtype"][name]))
        for name, shape in spec.extra["sample"].items()
    }


def effective_values(layer: LayerDef, inputs: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    out = {**layer.spec.defaults(), **values}
    for name, expr in layer.infer.items():
        if out.get(name) is None:
            out[name] = eval(expr, {"torch": torch, "math": math}, dict(inputs))  # noqa: S307
    return out


def build(layer: LayerDef, inputs: dict[str, Any], values: dict[str, Any] | None = None,
          device: str = "cpu") -> tuple[Any, str, str]:
    """(module or None, constructor text, forward text with ports named `<port>_in`)."""
    vals = effective_values(layer, inputs, values or {})
    module, init = None, ""
    if layer.module is not None:
        init = render.constructor_call(layer, vals)
        with torch.device(device):
            module = eval(init, dict(NS))  # noqa: S307 - rendered catalogue text
    names = {port: f"{port}_in" for port in inputs}
    forward = render.forward_expr(layer, names, vals, "m" if module is not None else None)
    return module, init, forward


def run(layer: LayerDef, inputs: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None) -> tuple[torch.Tensor, Any]:
    inputs = sample_inputs(layer) if inputs is None else inputs
    module, _, forward = build(layer, inputs, values)
    scope = {**NS, "m": module, **{f"{port}_in": value for port, value in inputs.items()}}
    return eval(forward, scope), module  # noqa: S307 - rendered catalogue text


def complex128(*shape: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=gen, dtype=torch.complex128)


# ---------------------------------------------------------------- codegen.support


def test_support_sources_are_plain_documented_and_formatted() -> None:
    for name, source in SUPPORT.items():
        tree = ast.parse(source)
        assert [type(n) for n in tree.body] in ([ast.ClassDef], [ast.FunctionDef]), name
        definition = tree.body[0]
        assert definition.name == name
        doc = ast.get_docstring(definition)
        assert doc and "\n" not in doc, name
        assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree)), name
        assert all(len(line) <= 88 for line in source.splitlines()), name
        # Formatted, and clean under the generated code's rules: with only torch, nn
        # and math imported, any other free name would be F821 (undefined name).
        text = header(source) + source
        assert format_source(text) == text, name
        assert lint_source(text) == [], (name, lint_source(text))
    text = header("math.") + support_source(SUPPORT) + "\n"
    assert format_source(text) == text
    assert lint_source(text) == []


def test_support_source_is_stable_and_deduplicated() -> None:
    first = support_source(["SplitTanh", "ModReLU", "Cardioid", "ModReLU"])
    assert first == support_source(["Cardioid", "SplitTanh", "ModReLU"])
    assert first.index("class ModReLU") < first.index("class Cardioid") < first.index("class SplitTanh")
    assert first.count("class ModReLU") == 1
    assert "\n\n\nclass Cardioid" in first and "\n\n\n\n" not in first
    assert support_source([]) == ""
    with pytest.raises(KeyError, match="Nope"):
        support_source(["ModReLU", "Nope"])


def test_support_source_pastes_dependencies_first(monkeypatch: pytest.MonkeyPatch) -> None:
    requirements.cache_clear()
    monkeypatch.setitem(SUPPORT, "Gated", 'def Gated(z):\n    """Test."""\n    return Cardioid()(z)\n')
    monkeypatch.setitem(SUPPORT, "LoopA", 'def LoopA():\n    """Test."""\n    return LoopB\n')
    monkeypatch.setitem(SUPPORT, "LoopB", 'def LoopB():\n    """Test."""\n    return LoopA\n')
    try:
        assert requirements("Gated") == ("Cardioid",)
        text = support_source(["Gated", "ModReLU"])
        assert text.index("class ModReLU") < text.index("class Cardioid") < text.index("def Gated")
        with pytest.raises(ValueError, match="depends on itself"):
            support_source(["LoopA"])
    finally:
        requirements.cache_clear()


# ---------------------------------------------------------------- the catalogue entries


def test_layers_cover_the_complex_toolbox() -> None:
    assert {"ToComplex", "ComplexFromParts", "PolarToComplex", "ComplexLinear", "ComplexConv1d",
            "ComplexConv2d", "ModReLU", "Cardioid", "ZSigmoid", "SplitReLU", "SplitTanh",
            "Real", "Imag", "Abs", "AbsSquared", "Angle"} <= set(BY_ID)
    assert len(BY_ID) == len(LAYERS)


@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_spec_is_consistent(layer: LayerDef) -> None:
    spec = layer.spec
    assert spec.category == "Complex" and spec.type_id.isidentifier()
    assert spec.doc and "\n" not in spec.doc and spec.target
    assert set(layer.support) <= set(SUPPORT)
    if layer.module is not None and not layer.module.startswith("nn."):
        assert layer.support == (layer.module,) and spec.target == layer.module
    for name, expr in layer.infer.items():
        param = spec.param(name)
        assert param is not None and param.optional and param.default is None
        assert {n.id for n in ast.walk(ast.parse(expr)) if isinstance(n, ast.Name)} <= {
            p.name for p in spec.inputs}
    assert {p.name for p in spec.inputs} == set(spec.extra["sample"]) == set(spec.extra["sample_dtype"])
    assert all(shape[0] == 2 for shape in spec.extra["sample"].values())  # the catalogue's batch
    for port in spec.inputs:
        expected = {"complex": "complex64", "real": "float32"}[port.dtype]
        assert spec.extra["sample_dtype"][port.name] == expected
    assert all(p.dtype in ("real", "complex") for p in spec.outputs)


@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_layer_runs_from_rendered_source(layer: LayerDef) -> None:
    inputs = sample_inputs(layer)
    module, init, forward = build(layer, inputs)
    names = {n.id for n in ast.walk(ast.parse(forward, mode="eval")) if isinstance(n, ast.Name)}
    assert names <= {"torch", "m"} | {f"{p}_in" for p in inputs}, forward
    if init:
        called = {n.id for n in ast.walk(ast.parse(init, mode="eval")) if isinstance(n, ast.Name)}
        assert called <= {"torch", "nn", "math"} | set(layer.support), init
    out, _ = run(layer, inputs)
    assert out.is_complex() == (layer.spec.outputs[0].dtype == "complex"), out.dtype
    assert out.dtype in (torch.complex64, torch.float32)
    assert out.shape[0] == next(iter(inputs.values())).shape[0]
    assert torch.isfinite(torch.view_as_real(out) if out.is_complex() else out).all()


@pytest.mark.parametrize("layer", LAYERS, ids=IDS)
def test_layer_runs_on_the_meta_device(layer: LayerDef) -> None:
    """Shape inference builds and runs the same text on the meta device."""
    inputs = {name: value.to("meta") for name, value in sample_inputs(layer).items()}
    module, _, forward = build(layer, inputs, device="meta")
    scope = {**NS, "m": module, **{f"{port}_in": value for port, value in inputs.items()}}
    result = eval(forward, scope)  # noqa: S307 - rendered catalogue text
    assert result.is_meta and result.shape == run(layer)[0].shape


def test_rendered_text_reads_like_pytorch() -> None:
    z = torch.randn(4, 20, dtype=torch.complex64)
    assert build(BY_ID["ComplexLinear"], {"x": z}, {"out_features": 10})[1] == \
        "nn.Linear(20, 10, dtype=torch.complex64)"
    assert build(BY_ID["ComplexConv2d"], {"x": torch.randn(1, 3, 8, 8, dtype=torch.complex64)},
                 {"out_channels": 6, "kernel_size": 5, "padding": 2})[1] == \
        "nn.Conv2d(3, 6, 5, padding=2, dtype=torch.complex64)"
    assert build(BY_ID["ModReLU"], {"x": z})[1:] == ("ModReLU(20)", "m(x_in)")
    assert build(BY_ID["ComplexDropout"], {"x": z}, {"p": 0.2})[1] == "ComplexDropout(p=0.2)"
    assert build(BY_ID["ToComplex"], {"x": z.real})[2] == "torch.complex(x_in, torch.zeros_like(x_in))"
    assert build(BY_ID["Abs"], {"x": z})[2] == "x_in.abs()"


# ---------------------------------------------------------------- formulas and gradients


def test_conversions_match_their_formulas() -> None:
    x, y = torch.randn(3, 5, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    z, _ = run(BY_ID["ToComplex"], {"x": x})
    assert z.dtype == torch.complex128 and torch.equal(z.real, x) and not z.imag.any()
    z, _ = run(BY_ID["ComplexFromParts"], {"real": x, "imag": y})
    assert torch.equal(z.real, x) and torch.equal(z.imag, y)
    z, _ = run(BY_ID["PolarToComplex"], {"magnitude": x.abs(), "phase": y})
    torch.testing.assert_close(z, x.abs() * torch.exp(1j * y))
    z = complex128(3, 5)
    torch.testing.assert_close(run(BY_ID["Real"], {"x": z})[0], z.real)
    torch.testing.assert_close(run(BY_ID["Imag"], {"x": z})[0], z.imag)
    torch.testing.assert_close(run(BY_ID["Abs"], {"x": z})[0], torch.sqrt(z.real**2 + z.imag**2))
    torch.testing.assert_close(run(BY_ID["AbsSquared"], {"x": z})[0], z.real**2 + z.imag**2)
    torch.testing.assert_close(run(BY_ID["Angle"], {"x": z})[0], torch.atan2(z.imag, z.real))


#: Hand-written formulas, straight from the papers, for the stateless activations.
REFERENCES = {
    "Cardioid": lambda z: 0.5 * (1 + torch.cos(torch.atan2(z.imag, z.real))) * z,
    "ZSigmoid": lambda z: z / (1 + torch.exp(-torch.sqrt(z.real**2 + z.imag**2))),
    "SplitReLU": lambda z: z.real.clamp(min=0) + 1j * z.imag.clamp(min=0),
    "SplitTanh": lambda z: torch.tanh(z.real) + 1j * torch.tanh(z.imag),
}


@pytest.mark.parametrize("type_id", list(REFERENCES))
def test_activation_matches_reference_and_gradchecks(type_id: str) -> None:
    z = complex128(4, 6)
    out, module = run(BY_ID[type_id], {"x": z})
    assert out.dtype == torch.complex128
    torch.testing.assert_close(out, REFERENCES[type_id](z))
    z.requires_grad_(True)
    assert torch.autograd.gradcheck(module, (z,))
    # The gradient autograd gives equals the one of the reference formula.
    weights = complex128(4, 6, seed=1)
    (grad,) = torch.autograd.grad((module(z) * weights.conj()).real.sum(), z)
    (ref,) = torch.autograd.grad((REFERENCES[type_id](z) * weights.conj()).real.sum(), z)
    torch.testing.assert_close(grad, ref)


def test_modrelu_matches_arjovsky_and_gradchecks() -> None:
    # Magnitudes in [0.5, 1.3]; bias -1.5 switches channel 0 off, the others stay on.
    gen = torch.Generator().manual_seed(0)
    magnitude = 0.5 + 0.8 * torch.rand(5, 4, generator=gen, dtype=torch.float64)
    phase = (torch.rand(5, 4, generator=gen, dtype=torch.float64) * 2 - 1) * math.pi
    z = torch.polar(magnitude, phase)
    _, module = run(BY_ID["ModReLU"], {"x": z})
    module = module.double()
    assert module.bias.shape == (4,) and not module.bias.any()  # starts as the identity
    torch.testing.assert_close(module(z), z)
    with torch.no_grad():
        module.bias.copy_(torch.tensor([-1.5, -0.2, 0.0, 0.3]))
    expected = torch.relu(z.abs() + module.bias) * z / z.abs()
    torch.testing.assert_close(module(z), expected)
    assert not module(z)[:, 0].any() and module(z)[:, 1:].abs().min() > 0
    z.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z, b: torch.relu(z.abs() + b) * torch.sgn(z), (z, module.bias))
    assert torch.autograd.gradcheck(module, (z,))
    # Channels on dim 1 for conv maps; zero input gives zero output and finite gradients.
    maps = complex128(2, 4, 3, 3)
    torch.testing.assert_close(module(maps), torch.relu(maps.abs() + module.bias.view(4, 1, 1))
                               * maps / maps.abs())
    zero = torch.zeros(1, 4, dtype=torch.complex128, requires_grad=True)
    module(zero).abs().sum().backward()
    assert not module(zero).any() and torch.isfinite(torch.view_as_real(zero.grad)).all()


def test_complex_batchnorm_whitens_each_channel() -> None:
    gen = torch.Generator().manual_seed(0)
    re = 3 * torch.randn(64, 3, 7, generator=gen, dtype=torch.float64) + 1
    im = 0.8 * re + 0.3 * torch.randn(64, 3, 7, generator=gen, dtype=torch.float64) - 2
    z = torch.complex(re, im)
    _, module = run(BY_ID["ComplexBatchNorm"], {"x": z.to(torch.complex64)})
    module = module.double()  # like nn.BatchNorm, the statistics' dtype must match the input's
    out = module(z)
    assert out.shape == z.shape and out.dtype == torch.complex128
    for c in range(3):
        pairs = torch.stack([out[:, c].real.flatten(), out[:, c].imag.flatten()])
        torch.testing.assert_close(pairs.mean(1), torch.zeros(2, dtype=torch.float64))
        # Covariance I / 2 with the default gamma (1/sqrt 2): E|y|^2 = 1.
        cov = torch.cov(pairs, correction=0)
        torch.testing.assert_close(cov, torch.eye(2, dtype=torch.float64) / 2, atol=1e-4, rtol=0)
    assert module.running_mean.abs().sum() > 0
    module.eval()
    assert module(z).shape == z.shape and torch.isfinite(torch.view_as_real(module(z))).all()
    module.train()
    small = complex128(6, 3, 2).requires_grad_(True)
    assert torch.autograd.gradcheck(module, (small,))


def test_complex_dropout_drops_whole_numbers() -> None:
    z = torch.randn(200, 50, dtype=torch.complex64) + (1 + 1j)
    _, module = run(BY_ID["ComplexDropout"], {"x": z}, {"p": 0.3})
    out = module(z)
    dropped = out == 0
    assert ((out.real == 0) == dropped).all() and ((out.imag == 0) == dropped).all()
    assert 0.25 < dropped.float().mean() < 0.35
    torch.testing.assert_close(out[~dropped], z[~dropped] / 0.7)
    module.eval()
    assert torch.equal(module(z), z)


@pytest.mark.filterwarnings("ignore:Complex modules are a new feature:UserWarning")
def test_complex_linear_and_conv_match_the_real_decomposition() -> None:
    z = complex128(3, 6)
    out, linear = run(BY_ID["ComplexLinear"], {"x": z.to(torch.complex64)}, {"out_features": 4})
    assert linear.weight.dtype == torch.complex64
    w, b = linear.weight.detach(), linear.bias.detach()
    torch.testing.assert_close(out, z.to(torch.complex64) @ w.T + b)

    for type_id, shape, conv in (("ComplexConv1d", (2, 3, 9), nn.functional.conv1d),
                                 ("ComplexConv2d", (2, 3, 6, 6), nn.functional.conv2d)):
        z = complex128(*shape)
        _, module = run(BY_ID[type_id], {"x": z.to(torch.complex64)}, {"out_channels": 4})
        module = module.to(torch.complex128)
        w, b = module.weight.detach(), module.bias.detach()
        real = conv(z.real, w.real) - conv(z.imag, w.imag)
        imag = conv(z.real, w.imag) + conv(z.imag, w.real)
        bias = b.view(1, -1, *[1] * (z.dim() - 2))
        torch.testing.assert_close(module(z), torch.complex(real, imag) + bias)
        # Forward and backward run on the CPU in complex arithmetic.
        small = complex128(1, 3, *[4] * (len(shape) - 2)).requires_grad_(True)
        assert torch.autograd.gradcheck(module, (small,))


# ---------------------------------------------------------------- weights and training


def test_safetensors_stores_complex_parameters(tmp_path) -> None:
    safetensors_torch = pytest.importorskip("safetensors.torch")
    model = nn.Sequential(eval(render.constructor_call(BY_ID["ComplexLinear"], {  # noqa: S307
        "in_features": 8, "out_features": 4, "bias": True})), NS["ModReLU"](4), NS["ComplexBatchNorm"](4))
    state = model.state_dict()
    assert state["0.weight"].dtype == torch.complex64
    path = tmp_path / "complex.safetensors"
    safetensors_torch.save_file(state, str(path))
    loaded = safetensors_torch.load_file(str(path))
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert loaded[key].dtype == value.dtype and torch.equal(loaded[key], value), key


#: The digits network: real features → complex → modReLU MLP → magnitudes as logits.
DIGITS_CHAIN = [
    ("to_complex", "ToComplex", {}),
    ("fc1", "ComplexLinear", {"out_features": 32}),
    ("act", "ModReLU", {}),
    ("fc2", "ComplexLinear", {"out_features": 10}),
    ("magnitude", "Abs", {}),
]


def hand_built_source(chain: list[tuple[str, str, dict[str, Any]]], sample: torch.Tensor) -> str:
    """A generated-style module written from render's text, one line per node."""
    init, body, support = [], [], []
    var, value = "x", sample
    for name, type_id, values in chain:
        layer = BY_ID[type_id]
        port = layer.spec.inputs[0].name
        module, init_text, _ = build(layer, {port: value}, values)
        vals = effective_values(layer, {port: value}, values)
        if module is not None:
            init.append(f"self.{name} = {init_text}")
        attribute = f"self.{name}" if module is not None else None
        body.append(f"{name} = {render.forward_expr(layer, {port: var}, vals, attribute)}")
        value = eval(render.forward_expr(layer, {port: "v"}, vals, "m" if module else None),  # noqa: S307
                     {**NS, "m": module, "v": value})
        support += layer.support
        var = name
    lines = [support_source(support), "", "", "class DigitsNet(nn.Module):",
             '    """Complex-valued MLP for the digits."""', "", "    def __init__(self):",
             "        super().__init__()", *[f"        {line}" for line in init], "",
             "    def forward(self, x):", *[f"        {line}" for line in body], f"        return {var}"]
    body = "\n".join(lines) + "\n"
    return format_source(header(body) + body)


def digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16
    y = torch.tensor(data.target, dtype=torch.int64)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    train, val = order[:1400], order[1400:]
    return x[train], y[train], x[val], y[val]


def test_generated_complex_network_trains_on_digits() -> None:
    start = time.perf_counter()
    x_train, y_train, x_val, y_val = digits()
    source = hand_built_source(DIGITS_CHAIN, x_train[:2])
    assert lint_source(source) == [], lint_source(source)
    assert "class ModReLU(nn.Module):" in source and "dtype=torch.complex64" in source
    scope: dict[str, Any] = {}
    exec(compile(source, "<digits>", "exec"), scope)  # noqa: S102 - the text built above
    torch.manual_seed(0)
    model = scope["DigitsNet"]()
    assert {p.dtype for p in model.parameters()} == {torch.complex64, torch.float32}
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(15):
        for batch in torch.randperm(len(x_train)).split(64):
            loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_val).argmax(1) == y_val).float().mean().item()
    elapsed = time.perf_counter() - start
    print(f"complex digits: validation accuracy {accuracy:.3f} in {elapsed:.2f} s")
    assert accuracy >= 0.85
    assert model.act.bias.abs().sum() > 0  # the modReLU bias learned too


def test_compiler_emits_the_same_network() -> None:
    """The real compiler, given the graph, writes the hand-built text's twin (same names, same math)."""
    import codegen.catalogue as catalogue

    if any(type_id not in catalogue.LAYERS for _, type_id, _ in DIGITS_CHAIN):
        pytest.skip("codegen.catalogue does not include the complex layers")
    from codegen.compiler import build_from_compiled, compile_document
    from graph.builder import Builder

    b = Builder("complex digits").use_registry(catalogue.registry())
    ref = b.input("x", [64])
    for name, type_id, values in DIGITS_CHAIN:
        ref = b.add(type_id, ref, name, **values)
    b.output(ref, "logits")
    compiled = compile_document(b.doc)
    assert lint_source(compiled.source) == []
    assert compiled.source.count("class ModReLU(nn.Module):") == 1
    assert "self.fc1 = nn.Linear(64, 32, dtype=torch.complex64)" in compiled.source
    model = build_from_compiled(compiled)
    scope: dict[str, Any] = {}
    twin_source = hand_built_source(DIGITS_CHAIN, torch.zeros(2, 64))
    exec(compile(twin_source, "<digits>", "exec"), scope)  # noqa: S102 - the text built above
    twin = scope["DigitsNet"]()
    twin.load_state_dict(model.state_dict())
    x = torch.rand(5, 64)
    torch.testing.assert_close(model(x), twin(x))
