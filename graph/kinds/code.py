"""A Code node: a layer the user wrote, stored in the project as source text.

The graph layer never runs it: `graph.codeinfo.read_code` reads the entry with
`ast` to find forward()'s arguments (the node's inputs) and the constructor's
arguments (its parameters).
"""

from __future__ import annotations

from graph.codeinfo import CodeEntryError, CodeInfo, read_code
from graph.document import Document, Node
from graph.kinds.base import Drawing, NodeKind
from graph.problems import Problem
from graph.spec import NodeSpec, ParamSpec, PortSpec


class CodeKind(NodeKind):
    runs_user_code = True

    def entry(self, node: Node) -> str:
        entry = node.params.get("code", "")
        return entry if isinstance(entry, str) else ""

    def info(self, doc: Document, node: Node) -> CodeInfo | None:
        source = doc.code.get(self.entry(node))
        if source is None:
            return None
        try:
            return read_code(source)
        except CodeEntryError:
            return None

    def input_ports(self, doc: Document, node: Node) -> tuple[PortSpec, ...]:
        info = self.info(doc, node)
        return tuple(PortSpec(name) for name in info.inputs) if info else ()

    def check(self, doc: Document, scope: str, node: Node) -> list[Problem]:
        # The entry's constructor arguments are this node's parameters: no unknown-parameter check.
        entry = self.entry(node)
        if entry not in doc.code:
            return [Problem(f"code entry {entry!r} does not exist", scope, node.id, param="code", label=node.label)]
        try:
            read_code(doc.code[entry])
        except CodeEntryError as exc:
            return [Problem(f"code {entry!r}: {exc.reason}", scope, node.id, param="code", label=node.label,
                            file=f"code {entry}", line=exc.line)]
        return []

    def drawing(self, node: Node) -> Drawing:
        return Drawing(f"code {node.params.get('code', '?')}")


CODE = CodeKind(NodeSpec(
    type_id="Code",
    category="Custom",
    params=(
        ParamSpec("code", "string", default="", help="Name of the code entry that defines the layer."),
    ),
    doc="A layer written in Python: an nn.Module subclass or a function, stored in the project as text.",
    target="user code",
    dynamic_ports=True,
))
