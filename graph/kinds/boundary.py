"""Input and Output: the ends of the model, and inside a group its ports (by label)."""

from __future__ import annotations

from typing import Any

from graph.document import ROOT, Node
from graph.kinds.base import Drawing, NodeKind
from graph.spec import NodeSpec, ParamSpec, PortSpec


class InputKind(NodeKind):
    is_boundary = True
    has_weights = False

    def default_label(self, scope: str) -> str:
        return "x"

    def default_params(self, scope: str) -> dict[str, Any]:
        return {"shape": [1]} if scope == ROOT else {}

    def drawing(self, node: Node) -> Drawing:
        shape = node.params.get("shape")
        if isinstance(shape, list) and shape:
            return Drawing(f"{self.type_id} " + "×".join(str(d) for d in shape))
        return Drawing(self.type_id)


class OutputKind(NodeKind):
    is_boundary = True
    has_weights = False

    def default_label(self, scope: str) -> str:
        return "y"


INPUT = InputKind(NodeSpec(
    type_id="Input",
    category="Input/Output",
    inputs=(),
    outputs=(PortSpec("out", "out"),),
    params=(
        ParamSpec("shape", "ints", default=(1,), sequence=True, help="Shape of one sample, without the batch dimension."),
        ParamSpec("dtype", "enum", default="float32", choices=("float32", "float64", "complex64", "int64"),
                  help="Element type of the input tensor."),
    ),
    doc="A model input (or, inside a group, one of the group's inputs). Its label names the argument of forward().",
    target="forward argument",
))
OUTPUT = OutputKind(NodeSpec(
    type_id="Output",
    category="Input/Output",
    inputs=(PortSpec("x"),),
    outputs=(),
    doc="A model output (or, inside a group, one of the group's outputs).",
    target="return value",
))
