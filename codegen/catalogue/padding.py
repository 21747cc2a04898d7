"""Padding layers: zero, constant, reflection, replication and circular, in 1d/2d/3d."""

from __future__ import annotations

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef

CATEGORY = "Shape"
SAMPLES = {1: (2, 3, 8), 2: (2, 3, 8, 8), 3: (2, 3, 4, 4, 4)}
_PADDING = Tweak(default=1, help="Padding per side: one number, or (left, right, top, bottom, ...).")

_KINDS = {
    "ZeroPad": "Pads with zeros",
    "ConstantPad": "Pads with a constant value",
    "ReflectionPad": "Pads by mirroring the border (without repeating it)",
    "ReplicationPad": "Pads by repeating the border value",
    "CircularPad": "Pads by wrapping around (periodic boundary)",
}
_AXES = {1: "the last dimension", 2: "the last two dimensions", 3: "the last three dimensions"}


def _pad(kind: str, rank: int) -> LayerDef | None:
    cls = getattr(nn, f"{kind}{rank}d", None)
    if cls is None:
        return None
    constant = kind == "ConstantPad"
    return module_layer(
        cls, CATEGORY, f"{_KINDS[kind]} around {_AXES[rank]}.",
        positional=("padding", "value") if constant else ("padding",),
        tweaks={"padding": _PADDING, **({"value": Tweak(default=0.0)} if constant else {})},
        sample={"x": SAMPLES[rank]},
    )


LAYERS: list[LayerDef] = [
    layer for kind in _KINDS for rank in (1, 2, 3) if (layer := _pad(kind, rank)) is not None
]
