"""Dense layers: the building block every Keras user starts from."""

from __future__ import annotations

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef

CATEGORY = "Linear"

LAYERS: list[LayerDef] = [
    module_layer(
        nn.Linear, CATEGORY, "Fully connected layer: y = x Wᵀ + b over the last dimension.",
        positional=("in_features", "out_features"),
        infer={"in_features": "x.shape[-1]"},
        tweaks={"out_features": Tweak(default=64)},
        sample={"x": (2, 8)},
    ),
    module_layer(
        nn.Bilinear, CATEGORY, "Bilinear map of two inputs: y = x1ᵀ A x2 + b.",
        inputs=("x1", "x2"),
        positional=("in1_features", "in2_features", "out_features"),
        infer={"in1_features": "x1.shape[-1]", "in2_features": "x2.shape[-1]"},
        tweaks={"out_features": Tweak(default=64)},
        forward="{m}({x1}, {x2})",
        sample={"x1": (2, 5), "x2": (2, 6)},
    ),
    module_layer(
        nn.Identity, CATEGORY, "Passes its input through unchanged (a placeholder or a named tap).",
        sample={"x": (2, 8)},
    ),
]
