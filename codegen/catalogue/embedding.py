"""Lookup tables from integer ids to learned vectors."""

from __future__ import annotations

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef
from graph.spec import PortSpec

CATEGORY = "Embedding"
_IDS = PortSpec("x", dtype="index", help="Integer ids, each below num_embeddings.")
_SIZES = {
    "num_embeddings": Tweak(default=1000, help="Size of the vocabulary (ids run from 0 to this − 1)."),
    "embedding_dim": Tweak(default=64, help="Length of each embedding vector."),
}

LAYERS: list[LayerDef] = [
    module_layer(
        nn.Embedding, CATEGORY, "Maps each integer id to a learned vector: (N, T) → (N, T, dim).",
        inputs=(_IDS,),
        positional=("num_embeddings", "embedding_dim"),
        tweaks=_SIZES,
        sample={"x": (2, 5)},
    ),
    module_layer(
        nn.EmbeddingBag, CATEGORY, "Embeds each row of ids and pools them: (N, T) → (N, dim).",
        inputs=(_IDS,),
        positional=("num_embeddings", "embedding_dim"),
        tweaks={**_SIZES, "mode": Tweak(choices=("mean", "sum", "max"))},
        sample={"x": (2, 5)},
    ),
]
