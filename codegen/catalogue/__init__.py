"""The layer catalogue: every node type that compiles to PyTorch.

Each family module (`linear`, `conv`, ...) lists its `LayerDef`s, built by
introspecting `torch.nn` and adding curated metadata. This package gathers
them once into `LAYERS` and offers a `registry()` that the editor, the
validator and the file loader share with the compiler.

An optional sibling module `complex` (complex-valued layers, maintained
separately) is included when present; it exports `LAYERS: list[LayerDef]`.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util

from codegen.layer import LayerDef
from graph.registry import STRUCTURAL, Registry, base_registry

#: Family modules in palette order.
FAMILIES: tuple[str, ...] = (
    "linear", "conv", "pooling", "norm", "activation", "dropout", "recurrent", "embedding",
    "attention", "shape", "padding", "merge", "slicing", "reduction", "expression", "tensor_expression", "parameter",
    "buffer", "distance",
)
OPTIONAL_FAMILIES: tuple[str, ...] = ("complex",)


def _family_layers() -> list[LayerDef]:
    layers: list[LayerDef] = []
    for name in FAMILIES:
        layers += importlib.import_module(f"{__name__}.{name}").LAYERS
    for name in OPTIONAL_FAMILIES:
        # find_spec, not try/except ImportError: a missing file is fine, but a
        # broken one must fail loudly instead of silently dropping its layers.
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            layers += importlib.import_module(f"{__name__}.{name}").LAYERS
    return layers


def _collect(layers: list[LayerDef]) -> dict[str, LayerDef]:
    reserved = {spec.type_id for spec in STRUCTURAL}
    out: dict[str, LayerDef] = {}
    for layer in layers:
        if layer.type_id in reserved:
            raise ValueError(f"layer {layer.type_id!r} clashes with a structural node type")
        if layer.type_id in out:
            raise ValueError(f"layer type {layer.type_id!r} is defined twice in the catalogue")
        out[layer.type_id] = layer
    return out


#: Every catalogue layer by type_id, in palette order.
LAYERS: dict[str, LayerDef] = _collect(_family_layers())


@functools.cache
def registry() -> Registry:
    """The structural node types plus every catalogue layer (built once)."""
    reg = base_registry()
    for layer in LAYERS.values():
        reg.register(layer.spec)
    return reg


def layer_def(type_id: str) -> LayerDef:
    """The LayerDef of a catalogue type; KeyError names close matches when there is none."""
    try:
        return LAYERS[type_id]
    except KeyError:
        close = difflib.get_close_matches(type_id, LAYERS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        structural = " (a structural node type, compiled specially)" if type_id in {
            s.type_id for s in STRUCTURAL} else ""
        raise KeyError(f"no catalogue layer {type_id!r}{structural}{hint}") from None


__all__ = ["FAMILIES", "LAYERS", "layer_def", "registry"]
