"""Normalization layers; the normalized size is always inferred from the input."""

from __future__ import annotations

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef

CATEGORY = "Normalization"
SAMPLES = {1: (2, 4, 16), 2: (2, 4, 8, 8), 3: (2, 4, 4, 4, 4)}


def _channels(cls: type[nn.Module], sample: tuple[int, ...], doc: str) -> LayerDef:
    return module_layer(cls, CATEGORY, doc, positional=("num_features",),
                        infer={"num_features": "x.shape[1]"}, sample={"x": sample})


def _last_dim(cls: type[nn.Module], doc: str) -> LayerDef:
    return module_layer(cls, CATEGORY, doc, positional=("normalized_shape",),
                        infer={"normalized_shape": "x.shape[-1]"}, sample={"x": (2, 5, 16)})


LAYERS: list[LayerDef] = [
    _channels(nn.BatchNorm1d, (2, 8), "Batch normalization of (N, C) features or (N, C, L) signals."),
    _channels(nn.BatchNorm2d, SAMPLES[2], "Batch normalization per channel of (N, C, H, W) images."),
    _channels(nn.BatchNorm3d, SAMPLES[3], "Batch normalization per channel of (N, C, D, H, W) volumes."),
    _channels(nn.InstanceNorm1d, SAMPLES[1], "Normalizes each channel of each sample of (N, C, L) signals."),
    _channels(nn.InstanceNorm2d, SAMPLES[2], "Normalizes each channel of each image (style transfer)."),
    _channels(nn.InstanceNorm3d, SAMPLES[3], "Normalizes each channel of each volume."),
    _last_dim(nn.LayerNorm, "Normalizes over the last dimension of each sample (transformers)."),
    *([_last_dim(nn.RMSNorm, "Scales the last dimension by its root mean square (no mean shift).")]
      if hasattr(nn, "RMSNorm") else []),
    module_layer(
        nn.GroupNorm, CATEGORY, "Normalizes groups of channels per sample; independent of batch size.",
        positional=("num_groups", "num_channels"),
        infer={"num_channels": "x.shape[1]"},
        tweaks={"num_groups": Tweak(default=1, help="Number of channel groups; must divide the channels.")},
        sample={"x": SAMPLES[2]},
    ),
    module_layer(
        nn.LocalResponseNorm, CATEGORY, "Normalizes each channel by its neighbours' activity (AlexNet).",
        positional=("size",),
        tweaks={"size": Tweak(default=5, help="Number of neighbouring channels used.")},
        sample={"x": SAMPLES[2]},
    ),
]
