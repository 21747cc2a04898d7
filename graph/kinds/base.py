"""What every kind of node shares: its spec, ports, checks, label and drawing data.

A *kind* is the behaviour of one structural node type (Input, Group, Code, ...)
in one object. The document, the validator, the editor and the canvas ask the
kind instead of comparing `node.type` with strings, so a new kind (an opaque
imported module, a forest with hand-off rules) is one new class registered in
`graph.kinds`, not edits scattered over every layer. Catalogue layers share one
generic kind (`LayerKind`) driven by their `NodeSpec`. `codegen.kinds` extends
these classes with shape inference and code emission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.document import ROOT, Document, Node
from graph.problems import Problem
from graph.spec import NodeSpec, PortSpec

#: Parameters every node may carry besides its type's own.
UNIVERSAL_PARAMS = frozenset({"frozen", "tie"})


@dataclass(frozen=True)
class Drawing:
    """What the canvas needs to draw a node (plain data; no Qt below app/)."""

    subtitle: str
    #: The group a double-click opens, or None.
    enters: str | None = None
    #: A forest's members (`graph.kinds.forest.MemberMark`: frozen, seeded from) and its hand-off rule.
    members: tuple[Any, ...] = ()
    handoff: str = ""


class NodeKind:
    """The behaviour of one node type. Subclasses override what differs."""

    #: Shown in the palette (False: made by gestures, e.g. grouping).
    in_palette = True
    #: A scope's boundary (Input/Output): the ports of a group, never grouped at the top level.
    is_boundary = False
    #: Holds weights of its own (the inspector offers loading and re-initialising them).
    has_weights = True
    #: Runs the project's own code (so it waits for the user's trust).
    runs_user_code = False

    def __init__(self, spec: NodeSpec) -> None:
        self.spec = spec

    @property
    def type_id(self) -> str:
        return self.spec.type_id

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type_id}>"

    # -- ports ---------------------------------------------------------------------
    def input_ports(self, doc: Document, node: Node) -> tuple[PortSpec, ...]:
        return self.spec.inputs

    def output_ports(self, doc: Document, node: Node) -> tuple[PortSpec, ...]:
        return self.spec.outputs

    # -- document --------------------------------------------------------------------
    def subnetwork(self, node: Node) -> str | None:
        """The group this node instantiates, or None."""
        return None

    def tie_through(self, node: Node) -> str | None:
        """The group whose layers a weight tie may name through this node (it holds one copy), or None."""
        return None

    def default_label(self, scope: str) -> str:
        return self.type_id.lower()

    def default_params(self, scope: str) -> dict[str, Any]:
        return {}

    def check(self, doc: Document, scope: str, node: Node) -> list[Problem]:
        """Problems of this node beyond ports and parameter values (unknown parameters here)."""
        return [Problem(f"{self.type_id} has no parameter {name!r}", scope, node.id, param=name, label=node.label)
                for name in node.params if self.spec.param(name) is None and name not in UNIVERSAL_PARAMS]

    # -- drawing ---------------------------------------------------------------------
    def drawing(self, node: Node) -> Drawing:
        return Drawing(self.type_id)


class LayerKind(NodeKind):
    """A catalogue layer: everything follows from its NodeSpec."""


__all__ = ["ROOT", "Drawing", "LayerKind", "NodeKind", "UNIVERSAL_PARAMS"]
