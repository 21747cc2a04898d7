"""One registry of node types, shared by everything that reads specs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graph.spec import NodeSpec, ParamSpec, PortSpec


class Registry:
    """A mapping type_id -> NodeSpec that refuses silent redefinition."""

    def __init__(self, specs: Iterable[NodeSpec] = ()) -> None:
        self._specs: dict[str, NodeSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: NodeSpec, *, replace: bool = False) -> NodeSpec:
        if spec.type_id in self._specs and not replace and self._specs[spec.type_id] != spec:
            raise ValueError(f"node type {spec.type_id!r} is already registered")
        self._specs[spec.type_id] = spec
        return spec

    def get(self, type_id: str) -> NodeSpec | None:
        return self._specs.get(type_id)

    def __getitem__(self, type_id: str) -> NodeSpec:
        try:
            return self._specs[type_id]
        except KeyError:
            raise KeyError(f"unknown node type {type_id!r}") from None

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._specs

    def __iter__(self) -> Iterator[NodeSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def categories(self) -> list[str]:
        return sorted({s.category for s in self._specs.values()})


# Structural node types that the document itself depends on. The layer
# catalogue (codegen) adds the rest to a registry built from these.
INPUT = NodeSpec(
    type_id="Input",
    category="Input/Output",
    inputs=(),
    outputs=(PortSpec("out", "out"),),
    params=(
        ParamSpec("shape", "ints", default=(1,), help="Shape of one sample, without the batch dimension."),
        ParamSpec("dtype", "enum", default="float32", choices=("float32", "float64", "complex64", "int64"),
                  help="Element type of the input tensor."),
    ),
    doc="A model input (or, inside a group, one of the group's inputs). Its label names the argument of forward().",
    target="forward argument",
)
OUTPUT = NodeSpec(
    type_id="Output",
    category="Input/Output",
    inputs=(PortSpec("x"),),
    outputs=(),
    doc="A model output (or, inside a group, one of the group's outputs).",
    target="return value",
)
GROUP = NodeSpec(
    type_id="Group",
    category="Sub-networks",
    params=(
        ParamSpec("group", "string", default="", help="Name of the group (sub-network) this node instantiates."),
        ParamSpec("repeat", "int", default=1, min=1, max=1000,
                  help="Stack the sub-network this many times (each copy has its own weights)."),
        ParamSpec("frozen", "bool", default=False, help="Exclude the sub-network's weights from training."),
    ),
    doc="An instance of a sub-network. Its ports are the group's Input and Output nodes.",
    target="nn.Module subclass",
    dynamic_ports=True,
)
ENSEMBLE = NodeSpec(
    type_id="Ensemble",
    category="Sub-networks",
    params=(
        ParamSpec("group", "string", default="", help="The sub-network each member is a copy of."),
        ParamSpec("members", "int", default=3, min=1, max=256,
                  help="How many independently initialised copies."),
        ParamSpec("combine", "enum", default="mean", choices=("mean", "sum", "concat", "vote"),
                  help="mean/sum of outputs, concat along the last dimension, or vote (log of the mean "
                       "softmax: soft voting that still trains with cross-entropy)."),
        ParamSpec("bagging", "bool", default=False,
                  help="Feed member k the k-th equal slice of the input's last dimension (feature bagging)."),
        ParamSpec("frozen", "bool", default=False, help="Exclude the members' weights from training."),
    ),
    doc="A forest of nets: N copies of a sub-network with their own weights, combined into one output.",
    target="nn.ModuleList",
    dynamic_ports=True,
)
CODE = NodeSpec(
    type_id="Code",
    category="Custom",
    params=(
        ParamSpec("code", "string", default="", help="Name of the code entry that defines the layer."),
    ),
    doc="A layer written in Python: an nn.Module subclass or a function, stored in the project as text.",
    target="user code",
    dynamic_ports=True,
)

STRUCTURAL: tuple[NodeSpec, ...] = (INPUT, OUTPUT, GROUP, ENSEMBLE, CODE)


def base_registry() -> Registry:
    """A registry holding only the structural node types."""
    return Registry(STRUCTURAL)
