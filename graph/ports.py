"""The ports of a node, including those that depend on the document.

Most node types have fixed ports in their spec; a Group node's ports are its
group's Input/Output nodes and a Code node's inputs are forward()'s
arguments, so port lookup asks the node's kind, which sees the document.
"""

from __future__ import annotations

from graph.document import Document, Node
from graph.kinds import NodeKind, kind_of
from graph.registry import Registry
from graph.spec import PortSpec


def node_kind(node: Node, registry: Registry) -> NodeKind | None:
    """The kind of a node whose type the registry knows, else None."""
    spec = registry.get(node.type)
    return None if spec is None else kind_of(node.type, spec)


def input_ports(doc: Document, node: Node, registry: Registry) -> tuple[PortSpec, ...]:
    kind = node_kind(node, registry)
    return kind.input_ports(doc, node) if kind is not None else ()


def output_ports(doc: Document, node: Node, registry: Registry) -> tuple[PortSpec, ...]:
    kind = node_kind(node, registry)
    return kind.output_ports(doc, node) if kind is not None else ()


def find_port(ports: tuple[PortSpec, ...], name: str) -> PortSpec | None:
    return next((p for p in ports if p.name == name), None)
