"""Similarity and distance between two batches of vectors (siamese nets, metric learning)."""

from __future__ import annotations

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.layer import LayerDef

CATEGORY = "Math"
_PAIR = {"x1": (2, 8), "x2": (2, 8)}

LAYERS: list[LayerDef] = [
    module_layer(nn.CosineSimilarity, CATEGORY, "Cosine of the angle between x1 and x2 along dim.",
                 inputs=("x1", "x2"), forward="{m}({x1}, {x2})", sample=_PAIR),
    module_layer(nn.PairwiseDistance, CATEGORY, "p-norm distance between x1 and x2 per row.",
                 inputs=("x1", "x2"), forward="{m}({x1}, {x2})", sample=_PAIR),
]
