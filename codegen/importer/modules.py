"""Submodules that are catalogue layers: which node type, with which parameters.

A module becomes a catalogue node only when the node says exactly the same
thing: the parameters read back from the module rebuild a module with the
same `extra_repr()` and the same parameter shapes. Anything else stays what
it is (a group when it traces, else an opaque node).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

from codegen.layer import LayerDef
from codegen.render import constructor_call
from graph.params import check_value


class NotCatalogue(Exception):
    """This module cannot be written as its catalogue node (the message says why)."""


@functools.cache
def catalogue_by_class() -> dict[type, LayerDef]:
    from codegen.catalogue import LAYERS

    found: dict[type, LayerDef] = {}
    for layer in LAYERS.values():
        if not layer.module or not layer.module.startswith("nn.") or layer.fixed_kwargs.get("dtype"):
            continue
        cls = getattr(nn, layer.module[3:], None)
        if isinstance(cls, type) and cls not in found:
            found[cls] = layer
    from codegen.catalogue import LAYERS as ALL

    found.setdefault(nn.Flatten, ALL["Flatten"])
    found.setdefault(nn.Unflatten, ALL["Unflatten"])
    found.setdefault(nn.Upsample, ALL["Upsample"])
    return found


def layer_for(module: nn.Module) -> LayerDef | None:
    """The catalogue layer this module is an instance of (complex variants and support helpers included)."""
    from codegen.catalogue import LAYERS

    cls = type(module)
    if any(p.is_complex() for p in module.parameters(recurse=False)):
        return next((layer for layer in LAYERS.values() if layer.module == f"nn.{cls.__name__}"
                     and "complex" in layer.fixed_kwargs.get("dtype", "")), None)
    if cls.__name__ in _support_names() and _same_source(cls):
        return next((layer for layer in LAYERS.values() if layer.module == cls.__name__), None)
    return catalogue_by_class().get(cls)


@functools.cache
def _support_names() -> frozenset[str]:
    from codegen.support import SUPPORT

    return frozenset(SUPPORT)


def _same_source(cls: type) -> bool:
    """A helper class TorchCanvas pasted into an exported file (ModReLU, ...), unchanged."""
    import inspect
    import textwrap

    from codegen.support import SUPPORT

    try:
        source = textwrap.dedent(inspect.getsource(cls)).strip()
    except (OSError, TypeError):
        return False
    return source == SUPPORT[cls.__name__].strip()


def _value(v: Any) -> Any:
    if isinstance(v, torch.Size):
        return list(v)
    if isinstance(v, tuple):
        return [_value(x) for x in v]
    if isinstance(v, (nn.Parameter, torch.Tensor)):
        return True
    return v


def _transformer_layer(m: nn.Module) -> dict[str, Any]:
    """Constructor arguments that nn.Transformer*Layer keeps only inside its submodules."""
    return {"d_model": m.self_attn.embed_dim, "nhead": m.self_attn.num_heads,
            "dim_feedforward": m.linear1.out_features, "dropout": m.dropout.p,
            "layer_norm_eps": m.norm1.eps, "bias": m.linear1.bias is not None}


def _flatten(m: nn.Module) -> dict[str, Any]:
    return {"start_dim": m.start_dim, "end_dim": m.end_dim}


def _unflatten(m: nn.Module) -> dict[str, Any]:
    return {"dim": m.dim, "sizes": list(m.unflattened_size)}


def _upsample(m: nn.Module) -> dict[str, Any]:
    scale = m.scale_factor
    if isinstance(scale, tuple) and len(set(scale)) == 1:
        scale = scale[0]
    return {"size": m.size, "scale_factor": float(scale) if isinstance(scale, (int, float)) else scale,
            "mode": m.mode, "align_corners": m.align_corners,
            "recompute_scale_factor": m.recompute_scale_factor}


#: Where a module keeps constructor arguments it does not store under their own names.
_READERS = {nn.TransformerEncoderLayer: _transformer_layer, nn.TransformerDecoderLayer: _transformer_layer,
            nn.Flatten: _flatten, nn.Unflatten: _unflatten, nn.Upsample: _upsample}


def layer_params(layer: LayerDef, module: nn.Module) -> tuple[dict[str, Any], dict[str, Any]]:
    """(node parameters to store, all parameter values); NotCatalogue if the node cannot say it.

    `kernel_size=(3, 3)` is stored as 3 when that rebuilds the same module;
    `output_size=(1, 1)` stays a pair, because `AdaptiveAvgPool2d(1)` prints otherwise.
    """
    try:
        return _layer_params(layer, module, collapse=True)
    except NotCatalogue:
        return _layer_params(layer, module, collapse=False)


def _layer_params(layer: LayerDef, module: nn.Module, collapse: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """See `layer_params`.

    Stored are the values that differ from the spec's defaults, except those the
    compiler infers from the input shape (`in_features`): left empty, they follow
    an edit upstream, as in a hand-built graph.
    """
    full: dict[str, Any] = {}
    params: dict[str, Any] = {}
    known = _READERS[type(module)](module) if type(module) in _READERS else {}
    for p in layer.spec.params:
        if p.name in known:
            value: Any = known[p.name]
        elif p.name == "bias" and hasattr(module, "bias"):
            value = module.bias is not None if not isinstance(module.bias, bool) else module.bias
        elif hasattr(module, p.name):
            value = _value(getattr(module, p.name))
        else:
            continue
        if isinstance(value, nn.Dropout):
            value = value.p
        elif callable(value) and not isinstance(value, nn.Module) and getattr(value, "__name__", None) in p.choices:
            value = value.__name__
        if collapse and isinstance(value, list) and p.kind == "ints" and len(set(map(str, value))) == 1 and \
                not isinstance(p.default, (list, tuple)):
            value = value[0]
        if value is None and not p.optional:
            continue
        problem = check_value(p, value)
        if problem:
            raise NotCatalogue(f"{p.name}: {problem}")
        default = list(p.default) if isinstance(p.default, tuple) else p.default
        full[p.name] = value
        if value != default and p.name not in layer.infer:
            params[p.name] = value
    if getattr(module, "batch_first", True) is False:
        raise NotCatalogue("batch_first=False")
    verify(layer, full, module)
    for name in list(params) if layer.module is not None else ():
        # AvgPool2d(2) keeps stride=2: drop what the constructor implies anyway
        spec = layer.spec.param(name)
        trial = {**full, name: spec.default if spec is not None else None}
        try:
            verify(layer, trial, module)
        except NotCatalogue:
            continue
        del params[name]
        full = trial
    return params, full


def verify(layer: LayerDef, params: dict[str, Any], module: nn.Module) -> None:
    """Rebuilds the node's module and compares it with the original (NotCatalogue when they differ)."""
    if layer.module is None:
        return
    from codegen.kinds.layer import NAMESPACE
    from graph.document import Node
    from graph.params import effective_params

    values = effective_params(Node("n", layer.type_id, "n", params), layer.spec)
    for name in layer.infer:
        if values.get(name) is None:
            raise NotCatalogue(f"{name} is not stored on the module")
    from codegen.support_runtime import support_namespace

    try:
        with torch.device("meta"):
            rebuilt = eval(constructor_call(layer, values), {**NAMESPACE, **support_namespace()})  # noqa: S307
    except Exception as exc:  # noqa: BLE001
        raise NotCatalogue(f"cannot rebuild it: {exc}") from None
    if type(rebuilt).__qualname__ != type(module).__qualname__:
        raise NotCatalogue(f"rebuilds as {type(rebuilt).__name__}")
    if _fingerprint(rebuilt) != _fingerprint(module):
        raise NotCatalogue(f"rebuilds as {rebuilt.extra_repr()!r}, not {module.extra_repr()!r}")
    shapes = {k: tuple(v.shape) for k, v in rebuilt.state_dict().items()}
    if shapes != {k: tuple(v.shape) for k, v in module.state_dict().items()}:
        raise NotCatalogue("its weights have other names or shapes")


def _fingerprint(module: nn.Module) -> tuple[str, list[tuple[str, Any]]]:
    """What a module was built with: its repr and every plain attribute of it and its children.

    `inplace` is left out: catalogue nodes are never in place (a tensor may feed two nodes),
    and out of place computes the same values.
    """
    plain = (bool, int, float, str, type(None), tuple)
    saved = [(m, m.inplace) for m in module.modules() if isinstance(getattr(m, "inplace", None), bool)]
    try:
        for m, _ in saved:
            m.inplace = False
        attrs = sorted((f"{path}.{k}", v) for path, m in module.named_modules() for k, v in vars(m).items()
                       if not k.startswith("_") and k not in ("training", "inplace") and isinstance(v, plain))
        return repr(module), attrs
    finally:
        for m, value in saved:
            m.inplace = value
