"""Shape operations. The batch dimension is never touched unless a parameter says so.

Most are one method call in `forward` rather than a submodule, because
`x.transpose(1, 2)` reads better than a `self.transpose1` attribute.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch.nn as nn

from codegen.catalogue.build import lit, module_layer, op_layer
from codegen.catalogue.introspect import Tweak, signature_params
from codegen.layer import LayerDef
from graph.spec import ParamSpec

CATEGORY = "Shape"


def _args(values: list[Any] | tuple[Any, ...] | int) -> str:
    items = values if isinstance(values, (list, tuple)) else (values,)
    return ", ".join(lit(v) for v in items)


def flatten_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`torch.flatten(x, 1)`, naming end_dim only when it is not the last dimension."""
    end = values.get("end_dim", -1)
    tail = "" if end == -1 else f", {lit(end)}"
    return f"torch.flatten({inputs['x']}, {lit(values.get('start_dim', 1))}{tail})"


def _batch_kept(method: str) -> Any:
    def forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
        x = inputs["x"]
        return f"{x}.{method}({x}.shape[0], {_args(values['shape'])})"

    forward.__doc__ = f"`x.{method}(x.shape[0], *shape)`: the batch size stays symbolic."
    return forward


def permute_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`x.permute(0, 2, 1)`."""
    return f"{inputs['x']}.permute({_args(values['dims'])})"


def squeeze_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`x.squeeze(1)`, or `x.squeeze()` for every size-1 dimension."""
    dim = values.get("dim")
    return f"{inputs['x']}.squeeze({'' if dim is None else lit(dim)})"


def interpolate_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`nn.functional.interpolate(x, scale_factor=2.0)` with only the options that are set.

    Written functionally because nn.Upsample's own default (no size, no scale)
    cannot run, and the renderer omits keywords equal to a spec default.
    """
    args = [inputs["x"]]
    for name in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
        value = values.get(name)
        if value is None or (name == "mode" and value == "nearest"):
            continue
        if name == "scale_factor" and values.get("size") is not None:
            continue  # a set size wins over the default scale factor
        args.append(f"{name}={lit(value)}")
    if values.get("size") is None and values.get("scale_factor") is None:
        raise ValueError("Upsample needs a size or a scale_factor")
    return f"nn.functional.interpolate({', '.join(args)})"


_UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_UPSAMPLE_PARAMS = tuple(
    dataclasses.replace(p, default=2.0, optional=True, primary=True) if p.name == "scale_factor"
    else p
    for p in signature_params(nn.Upsample, tweaks={"mode": Tweak(choices=_UPSAMPLE_MODES)})
)

_DIM = ParamSpec("dim", "int", default=1, primary=True, help="Dimension to act on (0 is the batch).")

LAYERS: list[LayerDef] = [
    op_layer(
        "Flatten", CATEGORY, "Flattens dimensions start_dim..end_dim into one: (N, C, H, W) → (N, C·H·W).",
        target="torch.flatten", forward=flatten_forward,
        params=(ParamSpec("start_dim", "int", default=1, primary=True, help="First dimension to flatten."),
                ParamSpec("end_dim", "int", default=-1, help="Last dimension to flatten.")),
        sample={"x": (2, 3, 4, 4)},
    ),
    op_layer(
        "Unflatten", CATEGORY, "Splits one dimension into several: (N, 8) → (N, 2, 4).",
        target="torch.Tensor.unflatten", forward="{x}.unflatten({dim}, {sizes})",
        params=(_DIM, ParamSpec("sizes", "ints", default=(2, -1), primary=True, sequence=True,
                                help="New sizes; one of them may be -1.")),
        sample={"x": (2, 8)},
    ),
    op_layer(
        "Reshape", CATEGORY, "Reshapes each sample, keeping the batch: x.reshape(x.shape[0], *shape).",
        target="torch.reshape", forward=_batch_kept("reshape"),
        params=(ParamSpec("shape", "ints", default=(-1,), primary=True, sequence=True,
                          help="Shape of one sample (without batch); one entry may be -1."),),
        sample={"x": (2, 4, 4)},
    ),
    op_layer(
        "View", CATEGORY, "Like Reshape but never copies (needs a contiguous input).",
        target="torch.Tensor.view", forward=_batch_kept("view"),
        params=(ParamSpec("shape", "ints", default=(-1,), primary=True, sequence=True,
                          help="Shape of one sample (without batch); one entry may be -1."),),
        sample={"x": (2, 4, 4)},
    ),
    op_layer(
        "Permute", CATEGORY, "Reorders all dimensions, batch included: (0, 2, 1) swaps the last two of 3.",
        target="torch.permute", forward=permute_forward,
        params=(ParamSpec("dims", "ints", default=(0, 2, 1), min=-8, max=7, primary=True, sequence=True,
                          help="New order of the dimensions, 0 being the batch."),),
        sample={"x": (2, 3, 4)},
    ),
    op_layer(
        "Transpose", CATEGORY, "Swaps two dimensions, e.g. (N, C, T) ↔ (N, T, C).",
        target="torch.transpose", forward="{x}.transpose({dim0}, {dim1})",
        params=(ParamSpec("dim0", "int", default=1, primary=True, help="First dimension."),
                ParamSpec("dim1", "int", default=2, primary=True, help="Second dimension.")),
        sample={"x": (2, 3, 4)},
    ),
    op_layer(
        "Squeeze", CATEGORY, "Removes a dimension of size 1 (or all of them when dim is empty).",
        target="torch.squeeze", forward=squeeze_forward,
        params=(dataclasses.replace(_DIM, optional=True),),
        sample={"x": (2, 1, 4)},
    ),
    op_layer(
        "Unsqueeze", CATEGORY, "Inserts a dimension of size 1: (N, L) → (N, 1, L).",
        target="torch.unsqueeze", forward="{x}.unsqueeze({dim})", params=(_DIM,),
        sample={"x": (2, 4)},
    ),
    op_layer(
        "Upsample", CATEGORY, "Resizes images or signals by a scale factor or to a size (no weights).",
        target="nn.functional.interpolate", forward=interpolate_forward, params=_UPSAMPLE_PARAMS,
        sample={"x": (2, 3, 4, 4)},
    ),
    module_layer(
        nn.PixelShuffle, CATEGORY, "Moves channels into space: (N, C·r², H, W) → (N, C, H·r, W·r).",
        positional=("upscale_factor",), tweaks={"upscale_factor": Tweak(default=2)},
        sample={"x": (2, 8, 4, 4)},
    ),
    module_layer(
        nn.PixelUnshuffle, CATEGORY, "Moves space into channels: (N, C, H·r, W·r) → (N, C·r², H, W).",
        positional=("downscale_factor",), tweaks={"downscale_factor": Tweak(default=2)},
        sample={"x": (2, 2, 8, 8)},
    ),
    module_layer(
        nn.ChannelShuffle, CATEGORY, "Interleaves channels across groups (ShuffleNet).",
        positional=("groups",), tweaks={"groups": Tweak(default=2)},
        sample={"x": (2, 4, 4, 4)},
    ),
]
