"""What the compiler asks of a node kind: infer its outputs, and emit its lines.

`codegen.kinds` extends each `graph.kinds` class with these two methods, so
the document-side behaviour (ports, checks, drawing) and the compiler side of
a kind live in one class hierarchy: `codegen.kinds.subnet.Ensemble` *is* a
`graph.kinds.EnsembleKind` that also infers and emits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graph.document import Node

if TYPE_CHECKING:
    from codegen.shapes import InferCall
    from codegen.writer import ScopeWriter


class CompilerKind:
    """Mixin: shape inference on meta tensors and code emission for one kind."""

    def infer(self, call: InferCall) -> dict[str, Any]:
        """The node's output tensors (meta) by port; raise NodeFailed with a message on bad input."""
        raise NotImplementedError

    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        """Append the node's lines to `w.init` / `w.body` and `bind` its outputs."""
        raise NotImplementedError

    def body_prefix(self, node: Node, path: str) -> str | None:
        """For a node whose attribute holds a group's class: the attribute path prefix of the body's layers."""
        return None

    def instance_path(self, path: str, k: int, copies: int) -> str:
        """Where the k-th of `copies` instances of a node's group lives, given the node's attribute path."""
        return f"{path}.{k}" if copies > 1 else path
