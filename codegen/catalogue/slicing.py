"""Taking parts of a tensor: how one net hands part of a layer to another.

Indexing is rendered as plain subscripts (`x[:, 0:16]`, `x[..., -1]`),
which read better than `torch.narrow` and trace the same way.
"""

from __future__ import annotations

from typing import Any

from codegen.catalogue.build import op_layer
from codegen.layer import LayerDef
from graph.spec import ParamSpec, PortSpec

CATEGORY = "Slice"


def subscript(x: str, dim: int, item: str) -> str:
    """`x[:, item]` for dim=1, `x[..., item]` for dim=-1, `x[item]` for dim=0."""
    if dim >= 0:
        parts = [":"] * dim + [item]
    else:
        parts = ["...", item] + [":"] * (-dim - 1)
    return f"{x}[{', '.join(parts)}]"


def slice_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`x[:, 0:16]` (or `x[:, 0:16:2]`) from dim/start/stop/step."""
    start, stop, step = values.get("start", 0), values.get("stop"), values.get("step", 1)
    if step is not None and step < 1:
        raise ValueError(f"Slice step must be positive, got {step}")
    text = f"{start if start is not None else ''}:{'' if stop is None else stop}"
    if step not in (None, 1):
        text += f":{step}"
    return subscript(inputs["x"], int(values.get("dim", 1)), text)


def select_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`x[:, 3]`: drops the dimension, keeping one position."""
    return subscript(inputs["x"], int(values.get("dim", 1)), str(int(values.get("index", 0))))


def select_last_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`x[:, -1]`: the last time step of an (N, T, F) sequence."""
    return subscript(inputs["x"], int(values.get("dim", 1)), "-1")


def _dim(default: int = 1, help_text: str = "Dimension to index (0 is the batch, -1 the last).") -> ParamSpec:
    return ParamSpec("dim", "int", default=default, primary=True, help=help_text)


LAYERS: list[LayerDef] = [
    op_layer(
        "Slice", CATEGORY, "Keeps positions start:stop:step along one dimension, e.g. x[:, 0:16].",
        target="Tensor[start:stop]", forward=slice_forward,
        params=(
            _dim(),
            ParamSpec("start", "int", default=0, primary=True, help="First position (negative counts from the end)."),
            ParamSpec("stop", "int", default=None, optional=True, primary=True,
                      help="Position after the last one kept; empty for the end."),
            ParamSpec("step", "int", default=1, min=1, help="Keep every step-th position."),
        ),
        sample={"x": (2, 8, 4)},
    ),
    op_layer(
        "SplitHalf", CATEGORY, "Splits a tensor into two halves along one dimension.",
        target="torch.tensor_split", forward="torch.tensor_split({x}, 2, dim={dim})",
        params=(_dim(help_text="Dimension to split."),),
        outputs=("first", "second"), unpack="{first}, {second}",
        sample={"x": (2, 8, 4)},
    ),
    op_layer(
        "Select", CATEGORY, "Picks one position along a dimension and drops that dimension: x[:, i].",
        target="Tensor[i]", forward=select_forward,
        params=(_dim(), ParamSpec("index", "int", default=0, primary=True,
                                  help="Position to keep (negative counts from the end).")),
        sample={"x": (2, 5, 4)},
    ),
    op_layer(
        "SelectLast", CATEGORY, "The last position along a dimension, e.g. the last time step x[:, -1].",
        target="Tensor[-1]", forward=select_last_forward, params=(_dim(),),
        sample={"x": (2, 5, 4)},
    ),
    op_layer(
        "IndexSelect", CATEGORY, "Gathers the positions listed in an index tensor along one dimension.",
        target="torch.index_select", forward="torch.index_select({x}, {dim}, {index})",
        inputs=("x", PortSpec("index", dtype="index", help="1-D integer positions to keep.")),
        params=(_dim(),),
        sample={"x": (2, 5, 4), "index": (3,)},
    ),
]
