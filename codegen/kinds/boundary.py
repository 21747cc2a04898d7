"""Input and Output in the compiler: forward()'s arguments and its return value."""

from __future__ import annotations

from typing import Any

import torch

from codegen.kinds.base import CompilerKind
from codegen.runs import BATCH, DTYPES, NodeFailed
from codegen.shapes import InferCall
from codegen.writer import ScopeWriter
from graph import kinds
from graph.document import Node


def declared_shape(node: Node) -> list[Any]:
    shape = node.params.get("shape", [1])
    return [shape] if isinstance(shape, int) else list(shape) if isinstance(shape, (list, tuple)) else [shape]


class Input(kinds.InputKind, CompilerKind):
    def infer(self, call: InferCall) -> dict[str, Any]:
        node = call.node
        if call.given is not None:  # a group's port: what the instance receives
            if node.label not in call.given:
                raise NodeFailed("this group input receives nothing")
            return {"out": call.given[node.label]}
        shape = declared_shape(node)
        if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
            raise NodeFailed(f"shape must be positive integers, got {shape}", param="shape")
        dtype = DTYPES.get(node.params.get("dtype", "float32"), torch.float32)
        return {"out": torch.empty([BATCH, *shape], dtype=dtype, device="meta")}

    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        name = w.variable(node)
        w.args.append(name)
        w.bind(node, "out", name)


class Output(kinds.OutputKind, CompilerKind):
    def infer(self, call: InferCall) -> dict[str, Any]:
        if "x" in call.ins:
            call.scope_outputs[call.node.label] = call.ins["x"][0]
        return {}

    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        if "x" in ins:
            w.returns.append(ins["x"][0])


INPUT = Input(kinds.INPUT.spec)
OUTPUT = Output(kinds.OUTPUT.spec)
