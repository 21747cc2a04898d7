"""Reductions over chosen dimensions (the batch is kept unless dim says 0)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codegen.catalogue.build import lit, op_layer
from codegen.layer import LayerDef
from graph.spec import ParamSpec, PortSpec

CATEGORY = "Reduction"
_KEEPDIM = ParamSpec("keepdim", "bool", default=False, help="Keep reduced dimensions with size 1.")
_DIMS = ParamSpec("dim", "ints", default=1, optional=True, primary=True,
                  help="Dimension(s) to reduce; empty reduces everything.")
_DIMS_REQUIRED = ParamSpec("dim", "ints", default=1, primary=True, help="Dimension(s) to reduce.")
_DIM = ParamSpec("dim", "int", default=1, primary=True, help="Dimension to reduce.")


def _method(name: str) -> Callable[[dict[str, Any], dict[str, Any], str | None], str]:
    def forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
        dim = values.get("dim")
        args = [] if dim is None else [f"dim={lit(dim)}"]
        if values.get("keepdim"):
            args.append("keepdim=True")
        return f"{inputs['x']}.{name}({', '.join(args)})"

    forward.__doc__ = f"`x.{name}(dim=1)`, adding keepdim only when set."
    return forward


def logsumexp_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """`torch.logsumexp(x, dim=1)`: a smooth maximum."""
    keep = ", keepdim=True" if values.get("keepdim") else ""
    return f"torch.logsumexp({inputs['x']}, dim={lit(values.get('dim', 1))}{keep})"


def _reduce(type_id: str, method: str, doc: str, params: tuple[ParamSpec, ...] = (_DIMS, _KEEPDIM),
            outputs: tuple[Any, ...] = ("out",)) -> LayerDef:
    return op_layer(type_id, CATEGORY, doc, target=f"torch.{method}", forward=_method(method),
                    params=params, outputs=outputs, sample={"x": (2, 3, 4)})


LAYERS: list[LayerDef] = [
    _reduce("Mean", "mean", "Average over the chosen dimension(s)."),
    _reduce("Sum", "sum", "Sum over the chosen dimension(s)."),
    _reduce("Max", "amax", "Largest value over the chosen dimension(s)."),
    _reduce("Min", "amin", "Smallest value over the chosen dimension(s)."),
    _reduce("Std", "std", "Standard deviation over the chosen dimension(s)."),
    _reduce("ArgMax", "argmax", "Position of the largest value along a dimension (e.g. the predicted class).",
            params=(_DIM, _KEEPDIM), outputs=(PortSpec("out", "out", dtype="index"),)),
    op_layer("LogSumExp", CATEGORY, "log Σ exp(x) over the chosen dimension(s), computed stably.",
             target="torch.logsumexp", forward=logsumexp_forward, params=(_DIMS_REQUIRED, _KEEPDIM),
             sample={"x": (2, 3, 4)}),
]
