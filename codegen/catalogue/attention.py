"""Attention and transformer blocks, batch-first like the rest of the catalogue."""

from __future__ import annotations

from typing import Any

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef
from graph.spec import PortSpec

CATEGORY = "Attention"
_BATCH_FIRST = {"batch_first": "True"}
_ACTIVATION = Tweak(kind="enum", default="relu", choices=("relu", "gelu"), same_as_torch=True,
                    help="Activation of the feed-forward block.")
_HEADS = Tweak(default=4, help="Number of attention heads; must divide the model width.")


def attention_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`self.attn(q, k, v, need_weights=False)[0]`.

    Without key, attention is self-attention (key = query); without value,
    value = key, the usual cross-attention over a memory. `[0]` drops the
    (unrequested) weights, so the node has one output like any other.
    """
    query = inputs["query"]
    key = inputs.get("key") or query
    value = inputs.get("value") or key
    return f"{module}({query}, {key}, {value}, need_weights=False)[0]"


LAYERS: list[LayerDef] = [
    module_layer(
        nn.MultiheadAttention, CATEGORY,
        "Multi-head scaled dot-product attention; self-attention when only query is connected.",
        inputs=(
            PortSpec("query", help="(N, L, E) queries."),
            PortSpec("key", required=False, help="(N, S, E) keys; the query when not connected."),
            PortSpec("value", required=False, help="(N, S, E) values; the key when not connected."),
        ),
        positional=("embed_dim", "num_heads"),
        infer={"embed_dim": "query.shape[-1]"},
        tweaks={
            "embed_dim": Tweak(kind="int", help="Model width (inferred from the query)."),
            "num_heads": Tweak(kind="int", default=4, help=_HEADS.help),
            "kdim": Tweak(kind="int", help="Width of the keys, when it differs from the query's."),
            "vdim": Tweak(kind="int", help="Width of the values, when it differs from the query's."),
        },
        forward=attention_forward,
        fixed_kwargs=_BATCH_FIRST,
        sample={"query": (2, 5, 16)},
    ),
    module_layer(
        nn.TransformerEncoderLayer, CATEGORY,
        "Self-attention followed by a feed-forward block, each with residual and LayerNorm.",
        positional=("d_model", "nhead"),
        infer={"d_model": "x.shape[-1]"},
        tweaks={"nhead": _HEADS, "activation": _ACTIVATION},
        fixed_kwargs=_BATCH_FIRST,
        sample={"x": (2, 5, 16)},
    ),
    module_layer(
        nn.TransformerDecoderLayer, CATEGORY,
        "Self-attention, attention over the encoder memory, then a feed-forward block.",
        inputs=(PortSpec("tgt", help="(N, T, E) target sequence."),
                PortSpec("memory", help="(N, S, E) encoder output.")),
        positional=("d_model", "nhead"),
        infer={"d_model": "tgt.shape[-1]"},
        tweaks={"nhead": _HEADS, "activation": _ACTIVATION},
        forward="{m}({tgt}, {memory})",
        fixed_kwargs=_BATCH_FIRST,
        sample={"tgt": (2, 4, 16), "memory": (2, 5, 16)},
    ),
    module_layer(
        nn.Transformer, CATEGORY, "A whole encoder–decoder transformer (Vaswani et al., 2017).",
        inputs=(PortSpec("src", help="(N, S, E) source sequence."),
                PortSpec("tgt", help="(N, T, E) target sequence.")),
        infer={"d_model": "src.shape[-1]"},
        tweaks={"activation": _ACTIVATION},
        forward="{m}({src}, {tgt})",
        fixed_kwargs=_BATCH_FIRST,
        sample={"src": (2, 5, 16), "tgt": (2, 4, 16)},
    ),
]
