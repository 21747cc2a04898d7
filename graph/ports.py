"""The ports of a node, including those that depend on the document.

Most node types have fixed ports in their spec; a Group node's ports are its
group's Input/Output nodes and a Code node's inputs are forward()'s
arguments, so port lookup needs the document too.
"""

from __future__ import annotations

from graph.codeinfo import CodeEntryError, read_code
from graph.document import Document, Node
from graph.registry import Registry
from graph.spec import PortSpec


def _group_ports(doc: Document, node: Node, direction: str) -> tuple[PortSpec, ...]:
    group = doc.groups.get(node.params.get("group", ""))
    if group is None:
        return ()
    if node.type == "Ensemble":  # one combined output; inputs as the group's
        if direction == "out":
            return (PortSpec("out", "out"),)
    type_id = "Input" if direction == "in" else "Output"
    return tuple(PortSpec(n.label, direction) for n in group.graph.nodes_of_type(type_id))


def _code_inputs(doc: Document, node: Node) -> tuple[PortSpec, ...]:
    source = doc.code.get(node.params.get("code", ""))
    if source is None:
        return ()
    try:
        info = read_code(source)
    except CodeEntryError:
        return ()
    return tuple(PortSpec(name) for name in info.inputs)


def input_ports(doc: Document, node: Node, registry: Registry) -> tuple[PortSpec, ...]:
    spec = registry.get(node.type)
    if spec is None:
        return ()
    if node.type in ("Group", "Ensemble"):
        return _group_ports(doc, node, "in")
    if node.type == "Code":
        return _code_inputs(doc, node)
    return spec.inputs


def output_ports(doc: Document, node: Node, registry: Registry) -> tuple[PortSpec, ...]:
    spec = registry.get(node.type)
    if spec is None:
        return ()
    if node.type in ("Group", "Ensemble"):
        return _group_ports(doc, node, "out")
    return spec.outputs


def find_port(ports: tuple[PortSpec, ...], name: str) -> PortSpec | None:
    return next((p for p in ports if p.name == name), None)
