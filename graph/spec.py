"""Node types as data.

The editor, the validator, the inspector and the compiler all read these
specs, so a node type is declared once. Concrete types (the layer catalogue)
are filled in by `codegen`; this module only knows the shapes of the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ParamKind = Literal["int", "float", "bool", "enum", "ints", "string", "code", "path", "strings", "size", "json"]
PARAM_KINDS: tuple[str, ...] = ("int", "float", "bool", "enum", "ints", "string", "code", "path", "strings", "size",
                                "json")

Direction = Literal["in", "out"]

#: Value kinds that flow on edges. "any" connects to everything.
PORT_DTYPES: tuple[str, ...] = ("any", "real", "complex", "index")


@dataclass(frozen=True)
class ParamSpec:
    """One editable parameter: of a node type, of a dataset or of a hook in the recipe.

    `default=None` together with `optional=True` means "leave it to the
    compiler" (for example `in_features`, inferred from the incoming shape) or,
    for a dataset, "automatic" (CSV features = all other columns). Values are
    checked by `graph.params.validate_value`, the one checker for both.
    Kinds beyond the node ones: `path` (non-empty text naming a file),
    `strings` (a list of texts), `size` (an int or ``[height, width]``), `json`
    (any JSON value, typed as JSON text: a hook's freeze schedule).
    """

    name: str
    kind: ParamKind
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    help: str = ""
    optional: bool = False
    #: Shown first in the inspector and written positionally in generated code.
    primary: bool = False
    #: An "ints" value that is always a list, even of one entry (a shape, a permutation),
    #: where other "ints" parameters (kernel sizes) also take a single number.
    sequence: bool = False
    #: Bounds that exclude their value (a fraction < 1, a rate > 0).
    exclusive_min: bool = field(default=False, kw_only=True)
    exclusive_max: bool = field(default=False, kw_only=True)
    #: A dataset key that has no default and must be given (a CSV's path).
    required: bool = field(default=False, kw_only=True)
    #: A `path` that must exist when checked (input files, not output folders).
    must_exist: bool = field(default=True, kw_only=True)

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"parameter {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "enum" and not self.choices:
            raise ValueError(f"enum parameter {self.name!r} needs choices")


@dataclass(frozen=True)
class PortSpec:
    """An input or output of a node type.

    `multi=True` lets an input accept several edges (Add, Concat); their order
    is the order of the edges in the document.
    """

    name: str
    direction: Direction = "in"
    multi: bool = False
    required: bool = True
    dtype: str = "any"
    help: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("in", "out"):
            raise ValueError(f"port {self.name!r}: direction must be 'in' or 'out'")
        if self.dtype not in PORT_DTYPES:
            raise ValueError(f"port {self.name!r}: unknown dtype {self.dtype!r}")


@dataclass(frozen=True)
class NodeSpec:
    """A node type: what it is called, what it connects to, what it maps to."""

    type_id: str
    category: str
    inputs: tuple[PortSpec, ...] = ()
    outputs: tuple[PortSpec, ...] = (PortSpec("out", "out"),)
    params: tuple[ParamSpec, ...] = ()
    doc: str = ""
    #: The PyTorch thing this node becomes, as text ("nn.Conv2d", "torch.cat").
    target: str = ""
    version: int = 1
    #: Ports are not fixed by the type but read from the node (groups, code).
    dynamic_ports: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def input(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}
