"""How much memory training a model will take, estimated before anything is allocated.

Shape inference already ran every layer's constructor on the meta device, so
each node's run knows its weights (elements × bytes) and its output tensors.
Training holds the weights, their gradients, the optimizer's state (Adam keeps
two more copies, SGD with momentum one) and, for one batch, every layer's
output (kept for backward) plus a gradient of the same size. The estimate is
deliberately simple and slightly high: its job is to refuse a 40 GB model with
one clear line instead of letting the machine swap to death.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from codegen.runs import Inference, NodeRun, ScopeRun

GB = 1024**3

#: Extra copies of the weights each optimizer keeps.
OPTIMIZER_STATES = {"sgd": 1, "adam": 2, "adamw": 2, "nadam": 2, "radam": 2, "adamax": 2, "rmsprop": 2,
                    "adagrad": 1, "adadelta": 2}


@dataclass(frozen=True)
class MemoryEstimate:
    weight_bytes: int
    #: One batch's layer outputs in the forward pass.
    activation_bytes: int
    optimizer_states: int
    #: (scope, node id, bytes) of the node holding the most weights.
    largest: tuple[str, str, int] | None = None

    @property
    def training_bytes(self) -> int:
        return self.weight_bytes * (2 + self.optimizer_states) + 2 * self.activation_bytes


def machine_memory() -> int:
    """Physical memory in bytes (0 when the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def default_limit() -> int:
    """Half the machine's RAM: leaves room for the editor, the data and everything else."""
    return machine_memory() // 2


def _walk(run: ScopeRun, batch: int, copies: int, totals: dict[str, int],
          largest: dict[tuple[str, str], int]) -> None:
    for nid, node_run in run.nodes.items():
        children = run.children.get(nid)
        if children:
            each = node_run.params.get("members", 1) if len(children) == 1 else 1
            for child in children:
                _walk(child, batch, copies * max(1, int(each)), totals, largest)
            continue
        _count(run.scope, node_run, batch, copies, totals, largest)


def _count(scope: str, node_run: NodeRun, batch: int, copies: int, totals: dict[str, int],
           largest: dict[tuple[str, str], int]) -> None:
    totals["weights"] += node_run.weight_bytes * copies
    totals["activations"] += copies * sum(info.numel(batch) * info.itemsize() for info in node_run.outputs.values())
    key = (scope, node_run.node_id)
    largest[key] = largest.get(key, 0) + node_run.weight_bytes * copies


def estimate_memory(inference: Inference, batch_size: int, optimizer: str = "adam",
                    momentum: float = 0.0) -> MemoryEstimate:
    totals = {"weights": 0, "activations": 0}
    largest: dict[tuple[str, str], int] = {}
    _walk(inference.root, batch_size, 1, totals, largest)
    states = OPTIMIZER_STATES.get(optimizer, 2)
    if optimizer == "sgd" and not momentum:
        states = 0
    top = max(largest.items(), key=lambda kv: kv[1], default=None)
    return MemoryEstimate(totals["weights"], totals["activations"], states,
                          (top[0][0], top[0][1], top[1]) if top and top[1] else None)


def size_text(n: int) -> str:
    for unit, size in (("TB", 1024**4), ("GB", GB), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
