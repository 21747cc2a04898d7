"""Node kinds: one object per structural node type (see `graph.kinds.base`).

`kind_of(type_id)` answers for any node: a structural kind registered here, or
the generic `LayerKind` of a catalogue type. New kinds join with
`register_kind`; the file format and the registry read their specs from here.
"""

from __future__ import annotations

from graph.document import Graph, Node
from graph.kinds.base import UNIVERSAL_PARAMS, Drawing, LayerKind, NodeKind
from graph.kinds.boundary import INPUT, OUTPUT, InputKind, OutputKind
from graph.kinds.code import CODE, CodeKind
from graph.kinds.forest import FOREST, ForestKind, MemberMark
from graph.kinds.opaque import OPAQUE, OpaqueKind
from graph.kinds.subnet import ENSEMBLE, GROUP, EnsembleKind, GroupKind, SubnetKind
from graph.spec import NodeSpec

_KINDS: dict[str, NodeKind] = {}


def register_kind(kind: NodeKind) -> NodeKind:
    """Adds a structural kind; its type id may not be taken by another kind."""
    other = _KINDS.get(kind.type_id)
    if other is not None and other is not kind:
        raise ValueError(f"node kind {kind.type_id!r} is already registered")
    _KINDS[kind.type_id] = kind
    return kind


for _kind in (INPUT, OUTPUT, GROUP, ENSEMBLE, FOREST, CODE, OPAQUE):
    register_kind(_kind)


def structural_kinds() -> tuple[NodeKind, ...]:
    return tuple(_KINDS.values())


def structural_specs() -> tuple[NodeSpec, ...]:
    return tuple(k.spec for k in _KINDS.values())


_LAYER_KINDS: dict[str, LayerKind] = {}


def kind_of(type_id: str, spec: NodeSpec | None = None) -> NodeKind:
    """The kind of a node type: structural, or a layer described by `spec` (a bare one if unknown)."""
    kind = _KINDS.get(type_id)
    if kind is not None:
        return kind
    cached = _LAYER_KINDS.get(type_id)
    if cached is not None and (spec is None or cached.spec is spec):
        return cached
    layer = LayerKind(spec or NodeSpec(type_id, "Unknown"))
    if spec is not None:
        _LAYER_KINDS[type_id] = layer
    return layer


def inputs_of(g: Graph) -> list[Node]:
    """A scope's Input nodes (the model's arguments, or a group's input ports), in order."""
    return g.nodes_of_type(INPUT.type_id)


def outputs_of(g: Graph) -> list[Node]:
    return g.nodes_of_type(OUTPUT.type_id)


__all__ = [
    "CODE", "ENSEMBLE", "FOREST", "GROUP", "ForestKind", "MemberMark", "INPUT", "OPAQUE", "OUTPUT", "OpaqueKind",
    "UNIVERSAL_PARAMS", "CodeKind", "Drawing", "EnsembleKind",
    "GroupKind", "InputKind", "LayerKind", "NodeKind", "OutputKind", "SubnetKind", "inputs_of", "kind_of",
    "outputs_of", "register_kind", "structural_kinds", "structural_specs",
]
