"""Convolutions: 1d/2d/3d, their transposes, and the patch (un)folding behind them."""

from __future__ import annotations

import torch.nn as nn

from codegen.catalogue.build import module_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef

CATEGORY = "Convolution"

#: Example inputs per spatial rank: (batch, channels, *spatial).
SAMPLES = {1: (2, 3, 16), 2: (2, 3, 8, 8), 3: (2, 3, 6, 6, 6)}


def _conv(cls: type[nn.Module], rank: int, doc: str) -> LayerDef:
    return module_layer(
        cls, CATEGORY, doc,
        positional=("in_channels", "out_channels", "kernel_size"),
        infer={"in_channels": "x.shape[1]"},
        tweaks={"out_channels": Tweak(default=16), "kernel_size": Tweak(default=3)},
        sample={"x": SAMPLES[rank]},
    )


LAYERS: list[LayerDef] = [
    _conv(nn.Conv1d, 1, "1-D convolution over (N, C, L) signals such as audio or sequences."),
    _conv(nn.Conv2d, 2, "2-D convolution over (N, C, H, W) images."),
    _conv(nn.Conv3d, 3, "3-D convolution over (N, C, D, H, W) volumes or video."),
    _conv(nn.ConvTranspose1d, 1, "Transposed 1-D convolution: learnable upsampling of signals."),
    _conv(nn.ConvTranspose2d, 2, "Transposed 2-D convolution: learnable upsampling of images."),
    _conv(nn.ConvTranspose3d, 3, "Transposed 3-D convolution: learnable upsampling of volumes."),
    module_layer(
        nn.Unfold, CATEGORY, "Extracts sliding patches: (N, C, H, W) → (N, C·k·k, patches).",
        positional=("kernel_size",),
        tweaks={"kernel_size": Tweak(default=3)},
        sample={"x": (2, 3, 8, 8)},
    ),
    module_layer(
        nn.Fold, CATEGORY, "Sums patches back into an image: the inverse layout of Unfold.",
        positional=("output_size", "kernel_size"),
        tweaks={"output_size": Tweak(default=(4, 4)), "kernel_size": Tweak(default=2)},
        sample={"x": (2, 12, 9)},
    ),
]
