"""Dropout variants: active in training, the identity in evaluation.

The rate is written positionally (`nn.Dropout(0.5)`) so it is always visible.
"""

from __future__ import annotations

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef

CATEGORY = "Dropout"

_RATE = Tweak(min=0, max=1)

_ROWS = [
    (nn.Dropout, "Zeroes random elements with probability p and rescales the rest.", (2, 8)),
    (nn.Dropout1d, "Zeroes whole channels of (N, C, L) signals.", (2, 3, 16)),
    (nn.Dropout2d, "Zeroes whole channels (feature maps) of (N, C, H, W) images.", (2, 3, 8, 8)),
    (nn.Dropout3d, "Zeroes whole channels of (N, C, D, H, W) volumes.", (2, 3, 4, 4, 4)),
    (nn.AlphaDropout, "Dropout that keeps SELU's self-normalizing mean and variance.", (2, 8)),
    (nn.FeatureAlphaDropout, "AlphaDropout of whole channels.", (2, 3, 8, 8)),
]

LAYERS: list[LayerDef] = [
    module_layer(cls, CATEGORY, doc, positional=("p",), tweaks={"p": _RATE}, sample={"x": sample})
    for cls, doc, sample in _ROWS
]
