"""Pooling: fixed windows, adaptive output sizes, power-average, and global pooling."""

from __future__ import annotations

from typing import Any

import torch.nn as nn

from codegen.catalogue.build import lit, module_layer, op_layer
from codegen.catalogue.introspect import Tweak
from codegen.layer import LayerDef
from graph.spec import ParamSpec

CATEGORY = "Pooling"
SAMPLES = {1: (2, 3, 16), 2: (2, 3, 8, 8), 3: (2, 3, 6, 6, 6)}


def _window(cls: type[nn.Module], rank: int, doc: str) -> LayerDef:
    return module_layer(cls, CATEGORY, doc, positional=("kernel_size",),
                        tweaks={"kernel_size": Tweak(default=2)}, sample={"x": SAMPLES[rank]})


def _adaptive(cls: type[nn.Module], rank: int, doc: str) -> LayerDef:
    return module_layer(cls, CATEGORY, doc, positional=("output_size",),
                        tweaks={"output_size": Tweak(default=1)}, sample={"x": SAMPLES[rank]})


def _lp(cls: type[nn.Module], rank: int) -> LayerDef:
    return module_layer(
        cls, CATEGORY, f"{rank}-D power-average pooling: (Σ xᵖ)^(1/p) over each window.",
        positional=("norm_type", "kernel_size"),
        tweaks={"norm_type": Tweak(default=2.0, min=1), "kernel_size": Tweak(default=2)},
        sample={"x": SAMPLES[rank]},
    )


def _global(method: str) -> Any:
    """x.mean(dim=(2, 3)): reduce the spatial dimensions that follow (N, C)."""

    def forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
        n = int(values.get("spatial_dims") or 2)
        dims = 2 if n == 1 else tuple(range(2, 2 + n))
        keep = ", keepdim=True" if values.get("keepdim") else ""
        return f"{inputs['x']}.{method}(dim={lit(dims)}{keep})"

    return forward


_GLOBAL_PARAMS = (
    ParamSpec("spatial_dims", "int", default=2, min=1, max=3, primary=True,
              help="How many spatial dimensions follow (N, C): 1 for signals, 2 for images, 3 for volumes."),
    ParamSpec("keepdim", "bool", default=False, help="Keep the pooled dimensions with size 1."),
)

LAYERS: list[LayerDef] = [
    _window(nn.MaxPool1d, 1, "1-D max pooling: the largest value in each window."),
    _window(nn.MaxPool2d, 2, "2-D max pooling: the largest value in each window."),
    _window(nn.MaxPool3d, 3, "3-D max pooling: the largest value in each window."),
    _window(nn.AvgPool1d, 1, "1-D average pooling: the mean of each window."),
    _window(nn.AvgPool2d, 2, "2-D average pooling: the mean of each window."),
    _window(nn.AvgPool3d, 3, "3-D average pooling: the mean of each window."),
    _adaptive(nn.AdaptiveMaxPool1d, 1, "1-D max pooling to a fixed output length, whatever the input."),
    _adaptive(nn.AdaptiveMaxPool2d, 2, "2-D max pooling to a fixed output size, whatever the input."),
    _adaptive(nn.AdaptiveMaxPool3d, 3, "3-D max pooling to a fixed output size, whatever the input."),
    _adaptive(nn.AdaptiveAvgPool1d, 1, "1-D average pooling to a fixed output length, whatever the input."),
    _adaptive(nn.AdaptiveAvgPool2d, 2, "2-D average pooling to a fixed output size, whatever the input."),
    _adaptive(nn.AdaptiveAvgPool3d, 3, "3-D average pooling to a fixed output size, whatever the input."),
    _lp(nn.LPPool1d, 1),
    _lp(nn.LPPool2d, 2),
    *([_lp(nn.LPPool3d, 3)] if hasattr(nn, "LPPool3d") else []),
    op_layer(
        "GlobalAvgPool", CATEGORY,
        "Averages over all spatial positions: (N, C, H, W) → (N, C), like Keras GlobalAveragePooling.",
        target="torch.mean", forward=_global("mean"), params=_GLOBAL_PARAMS,
        sample={"x": (2, 3, 8, 8)},
    ),
    op_layer(
        "GlobalMaxPool", CATEGORY,
        "Takes the maximum over all spatial positions: (N, C, H, W) → (N, C).",
        target="torch.amax", forward=_global("amax"), params=_GLOBAL_PARAMS,
        sample={"x": (2, 3, 8, 8)},
    ),
]
