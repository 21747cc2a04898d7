"""An Opaque node in the compiler: `self.attr = Class(arguments)` from an installed library.

Inference builds the module on the meta device and runs it there (shapes
only, no memory); a module that reads tensor values falls back to zeros on
the CPU. Emission writes a `from library import Class` line and one call.
"""

from __future__ import annotations

from typing import Any

import torch

from codegen.kinds.base import CompilerKind
from codegen.kinds.layer import short, weight_bytes, weight_shapes
from codegen.libref import call_source, decode, resolve
from codegen.runs import NodeFailed
from codegen.shapes import InferCall
from codegen.writer import ScopeWriter
from graph import kinds
from graph.document import Node


class Opaque(kinds.OpaqueKind, CompilerKind):
    def build(self, node: Node) -> Any:
        """The module, built from the node's parameters (library code: imports and constructor)."""
        cls = resolve(self.target(node))
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
            raise ValueError(f"{self.target(node)} is not an nn.Module class")
        arguments = self.arguments(node)
        return cls(*decode(arguments.get("args", [])),
                   **{k: decode(v) for k, v in arguments.get("kwargs", {}).items()})

    def infer(self, call: InferCall) -> dict[str, Any]:
        node = call.node
        args = []
        for name in self.input_names(node):
            if name not in call.ins:
                raise NodeFailed(f"input {name!r} is not connected")
            args.append(call.ins[name][0])
        try:
            with torch.device("meta"):
                module = self.build(node).eval()
                call.run.weight_bytes = weight_bytes(module)
                call.run.weights = weight_shapes(module)
        except Exception as exc:  # noqa: BLE001 - the library's constructor refused the arguments
            raise NodeFailed(f"cannot build {self.target(node)}: {short(exc)}", param="args") from None
        try:
            with torch.no_grad():
                result = module(*args)
        except Exception:  # noqa: BLE001 - reads tensor values: run it on zeros
            from codegen.kinds.code import on_cpu

            try:
                result = on_cpu(lambda: self.build(node).eval(), "module", {}, args)
            except Exception as exc:  # noqa: BLE001
                raise NodeFailed(f"{self.target(node)} fails on its input: {short(exc)}") from None
        call.run.params = dict(node.params)
        return {"out": result}

    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        arguments = self.arguments(node)
        try:
            text = call_source(self.target(node), arguments.get("args", []), arguments.get("kwargs", {}),
                               w.module.library)
        except ValueError as exc:
            raise NodeFailed(str(exc), param="args") from None
        attr = w.attribute(node)
        w.init.append(f"self.{attr} = {text}")
        if node.params.get("frozen"):
            w.init.append(f"self.{attr}.requires_grad_(False)")
        var = w.variable(node)
        w.bind(node, "out", var)
        args = ", ".join(ins[p][0] for p in self.input_names(node) if p in ins)
        w.body.append(f"{var} = self.{attr}({args}){w.comment(node)}")


OPAQUE = Opaque(kinds.OPAQUE.spec)
