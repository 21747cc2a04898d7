"""A Keras-functional-style way to build documents from Python.

    b = Builder("mlp")
    x = b.input("x", shape=[64])
    h = b.add("Linear", x, label="fc1", out_features=128)
    b.output(b.add("ReLU", h))
    doc = b.doc

Each call goes through `graph.edits`, so scripts and the GUI share one path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.document import ROOT, Document, Edge, GroupDef
from graph.edits import AddGroup, AddNode, Connect, apply
from graph.kinds import GROUP, INPUT, OUTPUT, inputs_of, kind_of, outputs_of
from graph.operations import new_node


@dataclass(frozen=True)
class Ref:
    """An output port of a node: what `add` returns and accepts as input."""

    node_id: str
    port: str = "out"

    def __getitem__(self, port: str) -> Ref:
        return Ref(self.node_id, port)


Inputs = Ref | list[Ref] | dict[str, Ref | list[Ref]] | None


class Builder:
    def __init__(self, name: str | Document = "untitled", scope: str = ROOT, description: str = "") -> None:
        self.doc = name if isinstance(name, Document) else Document(name=name, description=description)
        self.scope = scope
        self._x = 0.0
        self._registry = None

    def _place(self) -> tuple[float, float]:
        self._x += 220.0
        return (self._x, 0.0)

    def _default_port(self, node_id: str) -> str:
        node = self.doc.scope(self.scope).nodes[node_id]
        spec = self._registry.get(node.type) if self._registry is not None else None
        ports = kind_of(node.type, spec).input_ports(self.doc, node)
        return ports[0].name if ports else "x"

    def use_registry(self, registry: Any) -> Builder:
        """Lets `add` find the first input port's name of catalogue types (e.g. 'xs' of Add)."""
        self._registry = registry
        return self

    def node(self, type_id: str, label: str | None = None, **params: Any) -> Ref:
        node = new_node(self.doc, self.scope, type_id, label=label, params=params, position=self._place())
        apply(self.doc, AddNode(self.scope, node))
        return Ref(node.id)

    def connect(self, src: Ref, dst: Ref, port: str) -> None:
        apply(self.doc, Connect(self.scope, Edge(src.node_id, src.port, dst.node_id, port)))

    def add(self, type_id: str, inputs: Inputs = None, label: str | None = None, **params: Any) -> Ref:
        ref = self.node(type_id, label, **params)
        if inputs is None:
            return ref
        if isinstance(inputs, dict):
            for port, value in inputs.items():
                for src in value if isinstance(value, list) else [value]:
                    self.connect(src, ref, port)
            return ref
        port = self._default_port(ref.node_id)
        for src in inputs if isinstance(inputs, list) else [inputs]:
            self.connect(src, ref, port)
        return ref

    def input(self, label: str = "x", shape: list[int] | None = None, dtype: str = "float32") -> Ref:
        params: dict[str, Any] = {"shape": list(shape or [1])}
        if dtype != "float32":
            params["dtype"] = dtype
        if self.scope != ROOT:
            params = {}
        return self.node(INPUT.type_id, label, **params)

    def output(self, src: Ref, label: str = "y") -> Ref:
        ref = self.node(OUTPUT.type_id, label)
        self.connect(src, ref, "x")
        return ref

    def group(self, name: str, description: str = "") -> Builder:
        """A builder for a new group's body (Input/Output nodes become its ports)."""
        apply(self.doc, AddGroup(GroupDef(name, description=description)))
        sub = Builder(self.doc, scope=name)
        sub._registry = self._registry
        return sub

    def use(self, group: str, inputs: Inputs = None, label: str | None = None, repeat: int = 1,
            **params: Any) -> Ref:
        """An instance of a group; connect by the group's Input labels (dict) or the first one."""
        values: dict[str, Any] = {"group": group, **params}
        if repeat != 1:
            values["repeat"] = repeat
        ref = self.node(GROUP.type_id, label or group, **values)
        body = self.doc.groups[group].graph
        first = next(iter(n.label for n in inputs_of(body)), "x")
        if isinstance(inputs, dict):
            for port, src in inputs.items():
                for s in src if isinstance(src, list) else [src]:
                    self.connect(s, ref, port)
        elif inputs is not None:
            self.connect(inputs if isinstance(inputs, Ref) else inputs[0], ref, first)
        first_out = next(iter(n.label for n in outputs_of(body)), "out")
        return Ref(ref.node_id, first_out)

    def out(self, group_ref: Ref, group: str, output: str | None = None) -> Ref:
        """The Ref of a group instance's output (by its Output label; the first by default)."""
        body = self.doc.groups[group].graph
        label = output or next(n.label for n in outputs_of(body))
        return Ref(group_ref.node_id, label)
