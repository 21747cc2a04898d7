"""What shape inference records: tensor descriptions and per-node, per-scope runs.

Plain data shared by the inference runner (`codegen.shapes`), the node kinds
(`codegen.kinds`) that fill it in, and the compiler that reads it.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import Any

import torch

from graph.problems import Problem

#: The batch size shape inference runs with; shown as "B".
BATCH = 3
DTYPES = {"float32": torch.float32, "float64": torch.float64, "complex64": torch.complex64,
          "complex128": torch.complex128, "int64": torch.int64, "bool": torch.bool}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int | str, ...]
    dtype: str = "float32"

    def __str__(self) -> str:
        dims = ", ".join(map(str, self.shape))
        text = f"({dims},)" if len(self.shape) == 1 else f"({dims})"
        return text if self.dtype == "float32" else f"{text} {self.dtype}"

    def numel(self, batch: int) -> int:
        n = 1
        for d in self.shape:
            n *= batch if d == "B" else int(d)
        return n

    def itemsize(self) -> int:
        return _itemsize(self.dtype)


@functools.cache
def _itemsize(dtype: str) -> int:
    """Bytes per element (the memory estimate asks for every tensor of the model on every analysis)."""
    return torch.empty((), dtype=DTYPES.get(dtype, torch.float32)).element_size()


def tensor_info(t: Any) -> TensorInfo | None:
    if not isinstance(t, torch.Tensor):
        return None
    shape = tuple("B" if k == 0 and d == BATCH else int(d) for k, d in enumerate(t.shape))
    return TensorInfo(shape, DTYPE_NAMES.get(t.dtype, str(t.dtype).removeprefix("torch.")))


def meta_tensor(info: TensorInfo) -> torch.Tensor:
    shape = [BATCH if d == "B" else int(d) for d in info.shape]
    return torch.empty(shape, dtype=DTYPES.get(info.dtype, torch.float32), device="meta")


@dataclass
class NodeRun:
    node_id: str
    label: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, TensorInfo] = field(default_factory=dict)
    error: str | None = None
    #: True when the node could not run because an input is unknown (e.g. untrusted code upstream).
    skipped: bool = False
    #: Bytes of the node's own weights (parameters and buffers), measured on the meta device.
    weight_bytes: int = 0
    #: The node's own parameters by name ("weight"; "" for a Parameter node's tensor), for checking ties.
    weights: dict[str, TensorInfo] = field(default_factory=dict)


@dataclass
class ScopeRun:
    scope: str
    nodes: dict[str, NodeRun] = field(default_factory=dict)
    #: For each sub-network node: one run of its body per copy that differs (repeats).
    children: dict[str, list[ScopeRun]] = field(default_factory=dict)
    #: What each node produced, by node id and port: the model's meta tensors, kept so that a parameter edit
    #: runs only the nodes it changes (`codegen.shapes.reinfer_shapes`).
    values: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)
    #: The scope's order, edges and ties (a `codegen.structure.Structure`), which a parameter edit keeps.
    structure: Any = field(default=None, repr=False, compare=False)


_STAMPS = itertools.count(1)


@dataclass
class Inference:
    root: ScopeRun
    problems: list[Problem]
    first_runs: dict[tuple[str, str], NodeRun] = field(default_factory=dict)
    #: Nodes run to make this (a full run: every node; a parameter edit: the edited node and those whose
    #: inputs it changed).
    ran: int = 0
    #: The model's nodes whose runs are new since the inference this was made from (None: a full run).
    rerun: frozenset[str] | None = None
    #: The (scope, node id) of the `first_runs` that are skipped (a parameter edit's inference takes the set over).
    skipped: set[tuple[str, str]] = field(default_factory=set)
    #: The memory estimate's sums by node (`codegen.memory.Tally`), made on first use; and the inference's
    #: this was made from, which the estimate updates from the `rerun` nodes.
    tally: Any = field(default=None, repr=False, compare=False)
    basis: Any = field(default=None, repr=False, compare=False)
    #: This inference's serial number, and that of the one it was made from (None: a full run): a view that
    #: shows that one redraws only what the `rerun` nodes produce.
    stamp: int = field(default_factory=lambda: next(_STAMPS), compare=False)
    made_from: int | None = field(default=None, compare=False)

    def node(self, scope: str, node_id: str) -> NodeRun | None:
        """The node's result (for a node inside a group: in the group's first use)."""
        return self.first_runs.get((scope, node_id))

    def edge(self, scope: str, src: str, src_port: str) -> TensorInfo | None:
        run = self.node(scope, src)
        return run.outputs.get(src_port) if run else None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


class NodeFailed(Exception):
    """A node that cannot run on its inputs; the message becomes its Problem."""

    def __init__(self, message: str, *, param: str | None = None, hint: str = "", file: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.hint = hint
        self.file = file
        self.line = line


class SkipNode(Exception):
    """The node cannot run yet (untrusted code): its outputs are unknown, which is no error."""
