"""Node kinds as the compiler sees them: `graph.kinds` plus infer and emit.

`compiler_kinds(layers)` gives the lookup the runner and the writer use: a
structural kind by type id, or the generic `Layer` kind bound to the type's
catalogue entry (a `LayerDef` may name its own kind class, as Expression does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from codegen.kinds.base import CompilerKind
from codegen.kinds.boundary import INPUT, OUTPUT
from codegen.kinds.code import CODE
from codegen.kinds.forest import FOREST_KIND
from codegen.kinds.layer import Layer
from codegen.kinds.opaque import OPAQUE
from codegen.kinds.subnet import ENSEMBLE, GROUP
from codegen.layer import LayerDef
from codegen.runs import NodeFailed

STRUCTURAL: dict[str, CompilerKind] = {k.type_id: k for k in (INPUT, OUTPUT, GROUP, ENSEMBLE, FOREST_KIND, CODE, OPAQUE)}

_LAYERS: dict[int, Layer] = {}


class _Unknown(CompilerKind):
    def __init__(self, type_id: str) -> None:
        self.type_id = type_id

    def infer(self, call: Any) -> dict[str, Any]:
        raise NodeFailed(f"unknown node type {self.type_id!r}")

    def emit(self, w: Any, node: Any, ins: Any) -> None:
        raise NodeFailed(f"unknown node type {self.type_id!r}")


def layer_kind(layer: LayerDef) -> Layer:
    """The kind object of one catalogue entry (built once)."""
    kind = _LAYERS.get(id(layer))
    if kind is None or kind.layer is not layer:
        kind = _LAYERS[id(layer)] = (layer.kind or Layer)(layer)
    return kind


def compiler_kinds(layers: Mapping[str, LayerDef]) -> Callable[[str], Any]:
    """type id → the kind that infers and emits it, for a given catalogue."""

    def kind_of(type_id: str) -> Any:
        kind = STRUCTURAL.get(type_id)
        if kind is not None:
            return kind
        layer = layers.get(type_id)
        return layer_kind(layer) if layer is not None else _Unknown(type_id)

    return kind_of


__all__ = ["CODE", "ENSEMBLE", "GROUP", "INPUT", "OPAQUE", "OUTPUT", "STRUCTURAL", "CompilerKind", "Layer",
           "compiler_kinds", "layer_kind"]
