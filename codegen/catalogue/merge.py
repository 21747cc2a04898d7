"""Nodes that combine several tensors into one.

Multi-input ports are named `xs` and arrive in edge order; binary nodes name
their operands `x` and `y` so that the order is visible on the node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codegen.catalogue.build import op_layer
from codegen.layer import LayerDef
from graph.spec import ParamSpec, PortSpec

CATEGORY = "Merge"
_XS = PortSpec("xs", multi=True, help="Any number of tensors, in the order of the edges.")
_PAIR = {"x": (2, 3, 4), "y": (2, 3, 4)}
_MANY = {"xs": (2, 3, 4)}  # a test feeds three tensors of this shape


def _names(inputs: dict[str, Any], node: str) -> list[str]:
    names = inputs.get("xs") or []
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ValueError(f"{node} needs at least one input")
    return names


def _chain(operator: str, node: str) -> Callable[[dict[str, Any], dict[str, Any], str | None], str]:
    def forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
        return f" {operator} ".join(_names(inputs, node))

    forward.__doc__ = f"`a {operator} b {operator} c`: the plainest way to write it."
    return forward


_REDUCE = {"mean": "mean", "sum": "sum", "max": "amax"}


def combine_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`torch.stack([a, b, c]).mean(dim=0)`: one member per connected input."""
    names = _names(inputs, "Combine")
    mode = values.get("mode", "mean")
    if mode not in _REDUCE:
        raise ValueError(f"Combine mode must be one of {', '.join(_REDUCE)}, got {mode!r}")
    return f"torch.stack([{', '.join(names)}]).{_REDUCE[mode]}(dim=0)"


_DIM = ParamSpec("dim", "int", default=1, primary=True, help="Dimension to join along (0 is the batch).")

LAYERS: list[LayerDef] = [
    op_layer("Add", CATEGORY, "Elementwise sum of all inputs (residual connections).",
             target="operator +", forward=_chain("+", "Add"), inputs=(_XS,), sample=_MANY),
    op_layer("Multiply", CATEGORY, "Elementwise product of all inputs (gating).",
             target="operator *", forward=_chain("*", "Multiply"), inputs=(_XS,), sample=_MANY),
    op_layer("Subtract", CATEGORY, "Elementwise difference x − y.",
             target="operator -", forward="{x} - {y}", inputs=("x", "y"), sample=_PAIR),
    op_layer("Divide", CATEGORY, "Elementwise quotient x / y.",
             target="operator /", forward="{x} / {y}", inputs=("x", "y"), sample=_PAIR),
    op_layer("Maximum", CATEGORY, "Elementwise maximum of x and y.",
             target="torch.maximum", forward="torch.maximum({x}, {y})", inputs=("x", "y"),
             sample=_PAIR),
    op_layer("Minimum", CATEGORY, "Elementwise minimum of x and y.",
             target="torch.minimum", forward="torch.minimum({x}, {y})", inputs=("x", "y"),
             sample=_PAIR),
    op_layer("Matmul", CATEGORY, "Matrix product x @ y (batched over leading dimensions).",
             target="torch.matmul", forward="{x} @ {y}", inputs=("x", "y"),
             sample={"x": (2, 3, 4), "y": (2, 4, 5)}),
    op_layer("Concat", CATEGORY, "Joins inputs along an existing dimension (channels by default).",
             target="torch.cat", forward="torch.cat({xs}, dim={dim})", params=(_DIM,),
             inputs=(_XS,), sample=_MANY),
    op_layer("Stack", CATEGORY, "Joins inputs along a new dimension.",
             target="torch.stack", forward="torch.stack({xs}, dim={dim})", params=(_DIM,),
             inputs=(_XS,), sample=_MANY),
    # Named Combine: the Ensemble kind (graph.kinds.subnet) is the structural node that
    # builds N copies of a sub-network; this one merges nets already on the canvas.
    op_layer(
        "Combine", CATEGORY, "Ensembles the outputs of several nets (one per input) by mean, sum or max.",
        target="torch.stack", forward=combine_forward, inputs=(_XS,),
        params=(ParamSpec("mode", "enum", default="mean", choices=tuple(_REDUCE), primary=True,
                          help="How the members' outputs are combined."),),
        sample=_MANY,
    ),
]
