"""The layer catalogue: every node type builds and runs from its rendered text.

Each layer is turned into source exactly as the compiler does (render.
constructor_call / render.forward_expr), that source is evaluated with only
torch, nn and math in scope, and the result is run on the layer's sample
input. A few layers are also checked against hand-written PyTorch.
"""

from __future__ import annotations

import ast
import math
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

import codegen.catalogue as catalogue
from codegen import render
from codegen.catalogue.expression import expression_forward, parse_expression
from codegen.catalogue.introspect import Tweak, kind_of, signature_params
from codegen.layer import LayerDef
from codegen.support_runtime import support_namespace
from graph.params import check_value
from graph.registry import STRUCTURAL

NAMESPACE: dict[str, Any] = {"torch": torch, "nn": nn, "math": math, **support_namespace()}
ALL: list[LayerDef] = list(catalogue.LAYERS.values())
MEMBERS = 3  # tensors fed to a multi-input port
IDS = [layer.type_id for layer in ALL]


# ---------------------------------------------------------------- helpers


def sample_inputs(layer: LayerDef, seed: int = 0) -> dict[str, Any]:
    """Tensors for every sampled input port (lists for multi ports)."""
    shapes = layer.spec.extra.get("sample", {})
    dtypes = layer.spec.extra.get("sample_dtype", {})
    gen = torch.Generator().manual_seed(seed)
    inputs: dict[str, Any] = {}
    for port in layer.spec.inputs:
        if port.name not in shapes:
            continue
        shape = tuple(shapes[port.name])
        default = {"index": "int64", "complex": "complex64"}.get(port.dtype, "float32")
        dtype = getattr(torch, dtypes.get(port.name, default))

        def make(shape: tuple[int, ...] = shape, dtype: torch.dtype = dtype) -> torch.Tensor:
            if not dtype.is_floating_point and not dtype.is_complex:
                high = layer.spec.extra.get("sample_high", 2)
                return torch.randint(0, high, shape, generator=gen, dtype=dtype)
            return torch.randn(shape, generator=gen, dtype=dtype)

        inputs[port.name] = [make() for _ in range(MEMBERS)] if port.multi else make()
    return inputs


def effective_values(layer: LayerDef, inputs: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Spec defaults, then the caller's values, then inferred parameters from the inputs."""
    out = {**layer.spec.defaults(), **values}
    for name, expr in layer.infer.items():
        if out.get(name) is None:
            out[name] = eval(expr, dict(NAMESPACE), dict(inputs))  # noqa: S307 - catalogue text
    return out


def variable_names(inputs: dict[str, Any]) -> dict[str, Any]:
    """Distinct variable names, so a template that hard-codes `x` is caught."""
    return {
        name: [f"{name}_{i}" for i in range(len(value))] if isinstance(value, list) else f"{name}_in"
        for name, value in inputs.items()
    }


def bind(names: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    for port, var in names.items():
        if isinstance(var, list):
            scope.update(zip(var, inputs[port], strict=True))
        else:
            scope[var] = inputs[port]
    return scope


def source_names(text: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}


def run(layer: LayerDef, values: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None) -> tuple[dict[str, Any], SimpleNamespace]:
    """Build and run `layer` from its rendered source; returns {output port: value} and `self`."""
    inputs = sample_inputs(layer) if inputs is None else inputs
    vals = effective_values(layer, inputs, values or {})
    this = SimpleNamespace(layer=None, init="", forward="")
    module_text = None
    if layer.module is not None:
        this.init = render.constructor_call(layer, vals)
        assert source_names(this.init) <= {"torch", "nn", "math", *layer.support}, this.init
        this.layer = eval(this.init, dict(NAMESPACE))  # noqa: S307 - rendered catalogue text
        module_text = "self.layer"
    names = variable_names(inputs)
    this.forward = render.forward_expr(layer, names, vals, module_text)
    allowed = {"torch", "nn", "math", "self"} | set(bind(names, inputs))
    assert source_names(this.forward) <= allowed, this.forward
    scope = {**NAMESPACE, **bind(names, inputs), "self": this}
    result = eval(this.forward, scope)  # noqa: S307 - rendered catalogue text
    if layer.unpack is None:
        return {layer.spec.outputs[0].name: result}, this
    targets = {p.name: f"out_{p.name}" for p in layer.spec.outputs}
    scope["__result"] = result
    exec(f"{layer.unpack.format(**targets)} = __result", scope)  # noqa: S102
    return {port: scope[var] for port, var in targets.items()}, this


# ---------------------------------------------------------------- the whole catalogue


def test_catalogue_is_large_and_spans_the_families() -> None:
    assert len(catalogue.LAYERS) >= 120
    counts = Counter(layer.spec.category for layer in ALL)
    for category in ("Linear", "Convolution", "Pooling", "Normalization", "Activation", "Dropout",
                     "Recurrent", "Embedding", "Attention", "Shape", "Merge", "Slice",
                     "Reduction", "Math"):
        assert counts[category] > 0, category
    assert counts["Activation"] >= 28


def test_type_ids_are_unique_and_registered() -> None:
    assert len(set(IDS)) == len(IDS)
    assert all(key == layer.type_id for key, layer in catalogue.LAYERS.items())
    reg = catalogue.registry()
    assert reg is catalogue.registry()
    assert len(reg) == len(ALL) + len(STRUCTURAL)
    for layer in ALL:
        assert reg[layer.type_id] is layer.spec
    assert {"Input", "Output", "Group", "Code"} <= {spec.type_id for spec in reg}


def test_layer_def_lookup() -> None:
    assert catalogue.layer_def("Conv2d").module == "nn.Conv2d"
    with pytest.raises(KeyError, match="Conv2d"):
        catalogue.layer_def("Conv2D")
    with pytest.raises(KeyError, match="structural"):
        catalogue.layer_def("Input")


@pytest.mark.parametrize("layer", ALL, ids=IDS)
def test_spec_is_consistent(layer: LayerDef) -> None:
    spec = layer.spec
    assert spec.type_id.isidentifier()
    assert spec.doc and "\n" not in spec.doc and spec.target and spec.category
    params = {p.name for p in spec.params}
    ports = {p.name for p in spec.inputs}
    assert len(params) == len(spec.params)
    for p in spec.params:
        assert check_value(p, p.default) is None, (p.name, p.default)
    for name in layer.infer:
        p = spec.param(name)
        assert p is not None and p.optional and p.default is None, name
        assert source_names(layer.infer[name]) <= ports | {"torch", "math"}
    assert set(layer.positional) <= params
    assert all(spec.param(name).primary for name in layer.positional)
    assert not set(layer.fixed_kwargs) & params
    if isinstance(layer.forward, str):
        assert render.template_fields(layer.forward) <= params | ports | {"m"}
        assert ("m" in render.template_fields(layer.forward)) == (layer.module is not None)
    else:
        assert set(spec.extra["forward_params"]) <= params
    if layer.module is not None:
        assert (layer.module.startswith("nn.") or layer.module in layer.support) and spec.target == layer.module
    if layer.unpack is not None:
        assert render.template_fields(layer.unpack) == {p.name for p in spec.outputs}
    else:
        assert len(spec.outputs) == 1
    sampled = set(spec.extra["sample"])
    assert sampled <= ports
    assert {p.name for p in spec.inputs if p.required} <= sampled
    for port in (*spec.inputs, *spec.outputs):
        assert port.dtype in ("any", "index") or spec.category == "Complex", port


@pytest.mark.parametrize("layer", ALL, ids=IDS)
def test_layer_runs_from_rendered_source(layer: LayerDef) -> None:
    outputs, _ = run(layer)
    assert set(outputs) == {p.name for p in layer.spec.outputs}
    for port in layer.spec.outputs:
        value = outputs[port.name]
        assert isinstance(value, torch.Tensor), (port.name, type(value))
        if port.dtype == "index":
            assert value.dtype == torch.int64
        else:
            assert value.is_floating_point() or value.is_complex(), value.dtype
            assert torch.isfinite(value).all()
        if port.name not in ("h_n", "c_n") and not layer.spec.extra.get("batchless"):
            # (layers, N, H) even when batch_first; a Parameter node is one tensor, not a batch
            assert value.shape[0] == 2, value.shape


@pytest.mark.parametrize("layer", ALL, ids=IDS)
def test_layer_runs_on_the_meta_device(layer: LayerDef) -> None:
    """Shape inference evaluates the same text on the meta device (no memory, no FLOPs)."""
    inputs = {
        name: [v.to("meta") for v in value] if isinstance(value, list) else value.to("meta")
        for name, value in sample_inputs(layer).items()
    }
    values = effective_values(layer, inputs, {})
    names = variable_names(inputs)
    scope = {**NAMESPACE, **bind(names, inputs)}
    if layer.module is not None:
        with torch.device("meta"):
            scope["m"] = eval(render.constructor_call(layer, values), scope)  # noqa: S307
    result = eval(render.forward_expr(layer, names, values, "m" if layer.module else None), scope)  # noqa: S307
    first = result[0] if layer.unpack is not None else result
    assert isinstance(first, torch.Tensor) and first.is_meta


# ---------------------------------------------------------------- against hand-written torch


def test_linear_matches_torch() -> None:
    layer = catalogue.layer_def("Linear")
    x = torch.randn(4, 20)
    outputs, this = run(layer, {"out_features": 10}, {"x": x})
    assert this.init == "nn.Linear(20, 10)"
    assert this.forward == "self.layer(x_in)"
    ref = nn.Linear(20, 10)
    ref.load_state_dict(this.layer.state_dict())
    torch.testing.assert_close(outputs["out"], ref(x))


def test_conv2d_matches_torch() -> None:
    layer = catalogue.layer_def("Conv2d")
    x = torch.randn(2, 1, 28, 28)
    outputs, this = run(layer, {"out_channels": 6, "kernel_size": 5, "padding": 2}, {"x": x})
    assert this.init == "nn.Conv2d(1, 6, 5, padding=2)"
    ref = nn.Conv2d(1, 6, 5, padding=2)
    ref.load_state_dict(this.layer.state_dict())
    torch.testing.assert_close(outputs["out"], ref(x))
    assert outputs["out"].shape == (2, 6, 28, 28)


def test_lstm_outputs_match_torch() -> None:
    layer = catalogue.layer_def("LSTM")
    x = torch.randn(3, 7, 5)
    outputs, this = run(layer, {"hidden_size": 12}, {"x": x})
    assert this.init == "nn.LSTM(5, 12, batch_first=True)"
    ref = nn.LSTM(5, 12, batch_first=True)
    ref.load_state_dict(this.layer.state_dict())
    output, (h_n, c_n) = ref(x)
    torch.testing.assert_close(outputs["output"], output)
    torch.testing.assert_close(outputs["h_n"], h_n)
    torch.testing.assert_close(outputs["c_n"], c_n)
    assert outputs["output"].shape == (3, 7, 12)


@pytest.mark.parametrize(
    ("values", "text", "expected"),
    [
        ({"dim": 1, "start": 0, "stop": 16}, "x_in[:, 0:16]", lambda x: x[:, 0:16]),
        ({"dim": -1, "start": 2, "stop": None}, "x_in[..., 2:]", lambda x: x[..., 2:]),
        ({"dim": 0, "start": 1, "stop": 3, "step": 1}, "x_in[1:3]", lambda x: x[1:3]),
        ({"dim": 2, "start": 0, "stop": 8, "step": 2}, "x_in[:, :, 0:8:2]", lambda x: x[:, :, 0:8:2]),
        ({"dim": -2, "start": -4, "stop": None}, "x_in[..., -4:, :]", lambda x: x[..., -4:, :]),
    ],
)
def test_slice_renders_subscripts(values: dict[str, Any], text: str, expected: Any) -> None:
    x = torch.randn(4, 32, 10)
    outputs, this = run(catalogue.layer_def("Slice"), values, {"x": x})
    assert this.forward == text
    torch.testing.assert_close(outputs["out"], expected(x))


def test_concat_add_and_combine_match_torch() -> None:
    xs = [torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 5)]
    outputs, this = run(catalogue.layer_def("Concat"), {}, {"xs": xs})
    assert this.forward == "torch.cat([xs_0, xs_1, xs_2], dim=1)"
    torch.testing.assert_close(outputs["out"], torch.cat(xs, dim=1))

    same = [torch.randn(2, 3) for _ in range(3)]
    outputs, this = run(catalogue.layer_def("Add"), {}, {"xs": same})
    assert this.forward == "xs_0 + xs_1 + xs_2"
    torch.testing.assert_close(outputs["out"], same[0] + same[1] + same[2])

    for mode, ref in (("mean", torch.stack(same).mean(0)), ("max", torch.stack(same).amax(0))):
        outputs, _ = run(catalogue.layer_def("Combine"), {"mode": mode}, {"xs": same})
        torch.testing.assert_close(outputs["out"], ref)


def test_split_half_and_select_last() -> None:
    x = torch.randn(2, 6, 3)
    outputs, this = run(catalogue.layer_def("SplitHalf"), {}, {"x": x})
    torch.testing.assert_close(outputs["first"], x[:, :3])
    torch.testing.assert_close(outputs["second"], x[:, 3:])
    outputs, this = run(catalogue.layer_def("SelectLast"), {}, {"x": x})
    assert this.forward == "x_in[:, -1]"
    torch.testing.assert_close(outputs["out"], x[:, -1])


def test_shape_ops_read_well() -> None:
    x = torch.randn(2, 3, 4, 4)
    _, this = run(catalogue.layer_def("Flatten"), {}, {"x": x})
    assert this.forward == "torch.flatten(x_in, 1)"
    outputs, this = run(catalogue.layer_def("Reshape"), {"shape": (3, 16)}, {"x": x})
    assert this.forward == "x_in.reshape(x_in.shape[0], 3, 16)"
    assert outputs["out"].shape == (2, 3, 16)
    outputs, this = run(catalogue.layer_def("GlobalAvgPool"), {}, {"x": x})
    assert this.forward == "x_in.mean(dim=(2, 3))"
    torch.testing.assert_close(outputs["out"], x.mean(dim=(2, 3)))
    _, this = run(catalogue.layer_def("Mean"), {}, {"x": x})
    assert this.forward == "x_in.mean(dim=1)"


def test_attention_defaults_key_and_value_to_query() -> None:
    layer = catalogue.layer_def("MultiheadAttention")
    q = torch.randn(2, 5, 16)
    outputs, this = run(layer, {}, {"query": q})
    assert this.init == "nn.MultiheadAttention(16, 4, batch_first=True)"
    assert this.forward == "self.layer(query_in, query_in, query_in, need_weights=False)[0]"
    ref, _ = this.layer(q, q, q)
    torch.testing.assert_close(outputs["out"], ref)
    memory = torch.randn(2, 7, 16)
    outputs, this = run(layer, {}, {"query": q, "key": memory})
    assert this.forward == "self.layer(query_in, key_in, key_in, need_weights=False)[0]"
    assert outputs["out"].shape == (2, 5, 16)


# ---------------------------------------------------------------- the Expression node


def test_expression_matches_torch() -> None:
    layer = catalogue.layer_def("Expression")
    x, y = torch.randn(2, 3), torch.randn(2, 3)
    outputs, this = run(layer, {"expr": "x * 0.5 + y"}, {"x": x, "y": y})
    assert this.forward == "x_in * 0.5 + y_in"
    torch.testing.assert_close(outputs["out"], x * 0.5 + y)
    outputs, this = run(layer, {"expr": "torch.tanh(x) ** 2 - torch.abs(x) * math.pi"}, {"x": x})
    torch.testing.assert_close(outputs["out"], torch.tanh(x) ** 2 - abs(x) * math.pi)


def test_expression_keeps_precedence_when_renaming() -> None:
    text = expression_forward({"x": "h", "y": "skip"}, {"expr": "(x + y) * 2"}, None)
    assert text == "(h + skip) * 2"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("", "empty"),
        ("x +", "not valid Python"),
        ("z * 2", "unknown name 'z'"),
        ("__import__('os')", "not allowed"),
        ("x.__class__", "not allowed"),
        ("open('f')", "function 'open' is not allowed"),
        ("abs(x)", "function 'abs' is not allowed"),
        ("torch.load('w.pt')", "function 'torch.load' is not allowed"),
        ("[x, y]", "List"),
        ("'text'", "only numbers"),
        ("lambda: x", "Lambda"),
        ("torch.tanh(*x)", r"\*args"),
    ],
)
def test_expression_rejects_unsafe_or_invalid_text(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_expression(expr)


def test_expression_needs_connected_y() -> None:
    with pytest.raises(ValueError, match="uses y"):
        expression_forward({"x": "a"}, {"expr": "x + y"}, None)


# ---------------------------------------------------------------- introspection


def test_introspection_types_parameters() -> None:
    params = {p.name: p for p in signature_params(nn.Conv2d, tweaks={"out_channels": Tweak(default=8),
                                                                      "kernel_size": Tweak(default=3)},
                                                  inferred=("in_channels",))}
    assert "device" not in params and "dtype" not in params
    assert params["kernel_size"].kind == "ints" and params["stride"].kind == "ints"
    assert params["padding_mode"].kind == "enum" and "reflect" in params["padding_mode"].choices
    assert params["bias"].kind == "bool" and params["bias"].default is True
    assert params["in_channels"].optional and params["in_channels"].default is None
    assert kind_of(int | None, None) == ("int", ())
    stride = {p.name: p for p in signature_params(nn.MaxPool2d, tweaks={"kernel_size": Tweak(default=2)})}
    assert stride["stride"].optional and stride["stride"].kind == "ints"


def test_introspection_refuses_silent_default_changes() -> None:
    with pytest.raises(ValueError, match="not positional"):
        signature_params(nn.Linear, tweaks={"in_features": Tweak(default=1),
                                            "out_features": Tweak(default=1),
                                            "bias": Tweak(default=False)})
    with pytest.raises(ValueError, match="curated default"):
        signature_params(nn.Linear)
