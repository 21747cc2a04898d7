"""How a catalogue node type becomes PyTorch source.

A `LayerDef` pairs the graph-level `NodeSpec` (ports, parameters, docs) with
the few strings the compiler needs to emit it: the constructor to call in
`__init__`, the expression to evaluate in `forward`, and how to unpack tuple
outputs. The compiler, the shape inference and the exporters all use these
same strings, so what the user reads is what runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graph.spec import NodeSpec

#: A forward emitter gets {port: variable name (or list of names for multi ports)},
#: the node's effective parameter values, and the submodule expression (`self.fc1`,
#: or None for stateless ops); it returns one Python expression.
ForwardFn = Callable[[dict[str, Any], dict[str, Any], "str | None"], str]


@dataclass(frozen=True)
class LayerDef:
    spec: NodeSpec
    #: Constructor called in __init__ ("nn.Linear"), or None for a stateless op.
    module: str | None = None
    #: Forward expression. A format string over port names, parameter names and
    #: `m` (the submodule), e.g. "{m}({x})" or "torch.cat({xs}, dim={dim})";
    #: a multi-input port renders as a list literal "[a, b]". Parameters named in
    #: this template are not passed to the constructor. Or a ForwardFn.
    forward: str | ForwardFn = "{m}({x})"
    #: For several outputs: the assignment target pattern over output port
    #: names, e.g. "{output}, ({h_n}, {c_n})" for nn.LSTM.
    unpack: str | None = None
    #: Parameters the compiler fills in from input shapes when left empty (None):
    #: {"in_features": "x.shape[-1]"} — an expression over the input tensors by
    #: port name. When the user did set the parameter, a different inferred
    #: value is reported as a shape error on the node.
    infer: dict[str, str] = field(default_factory=dict)
    #: Names of helper definitions (codegen.support) the emitted code needs.
    support: tuple[str, ...] = ()
    #: Constructor keyword arguments that are always written, e.g. {"batch_first": "True"}.
    fixed_kwargs: dict[str, str] = field(default_factory=dict)
    #: Parameters that go to the constructor positionally, in this order.
    positional: tuple[str, ...] = ()
    #: For constructors that are not `module(args)` (nn.Parameter(torch.zeros(...))):
    #: a function from the effective parameter values to the constructor text.
    constructor: Callable[[dict[str, Any]], str] | None = None
    #: The kind class (a `codegen.kinds.Layer` subclass) when the type needs more than
    #: the generic behaviour, e.g. Expression's bounded formula check.
    kind: Any = None

    @property
    def type_id(self) -> str:
        return self.spec.type_id
