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

import heapq
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


Key = tuple[str, str]


@dataclass
class Tally:
    """The estimate's sums kept by node, so that a parameter edit updates them from the nodes it ran again."""

    batch: int
    weights: int
    activations: int
    #: Each of the model's nodes' (weights, activations), its sub-networks' copies included.
    parts: dict[str, tuple[int, int]]
    #: Weight bytes by (scope, node id); each key's place in the walk (the first of equal sizes is the largest);
    #: and a heap of (-bytes, place, key) whose entries are current when they match `largest`.
    largest: dict[Key, int]
    place: dict[Key, int]
    heap: list[tuple[int, int, Key]]

    def top(self) -> tuple[str, str, int] | None:
        while self.heap and -self.heap[0][0] != self.largest[self.heap[0][2]]:
            heapq.heappop(self.heap)
        if not self.heap or not self.heap[0][0]:
            return None
        size, _, (scope, node_id) = self.heap[0]
        return scope, node_id, -size


def node_bytes(node_run: NodeRun, batch: int) -> tuple[int, int]:
    """One node's own weights, and its outputs for one batch, in bytes."""
    return node_run.weight_bytes, sum(info.numel(batch) * info.itemsize() for info in node_run.outputs.values())


def _walk(run: ScopeRun, batch: int, copies: int, totals: list[int], largest: dict[Key, int]) -> None:
    for nid, node_run in run.nodes.items():
        children = run.children.get(nid)
        if children:
            each = node_run.params.get("members", 1) if len(children) == 1 else 1
            for child in children:
                _walk(child, batch, copies * max(1, int(each)), totals, largest)
            continue
        weights, activations = node_bytes(node_run, batch)
        totals[0] += weights * copies
        totals[1] += activations * copies
        key = (run.scope, node_run.node_id)
        largest[key] = largest.get(key, 0) + weights * copies


def _tally(root: ScopeRun, batch: int) -> Tally:
    parts: dict[str, tuple[int, int]] = {}
    largest: dict[Key, int] = {}
    for nid in root.nodes:
        totals = [0, 0]
        _walk(ScopeRun(root.scope, {nid: root.nodes[nid]}, root.children), batch, 1, totals, largest)
        parts[nid] = (totals[0], totals[1])
    place = {key: k for k, key in enumerate(largest)}
    heap = [(-size, place[key], key) for key, size in largest.items()]
    heapq.heapify(heap)
    return Tally(batch, sum(w for w, _ in parts.values()), sum(a for _, a in parts.values()), parts, largest,
                 place, heap)


def _updated(basis: Tally, root: ScopeRun, rerun: frozenset[str]) -> Tally | None:
    """`basis` with the `rerun` nodes counted again (None when one holds a sub-network: count in full).

    The new tally takes `basis`'s sums over (copying them would cost the whole model per edit):
    `basis` belongs to the inference this one was made from, which is spent (`reinfer_shapes`).
    """
    if any(nid in root.children or nid not in basis.parts or (root.scope, nid) not in basis.place for nid in rerun):
        return None
    tally = Tally(basis.batch, basis.weights, basis.activations, basis.parts, basis.largest, basis.place, basis.heap)
    for nid in rerun:
        key = (root.scope, nid)
        weights, activations = node_bytes(root.nodes[nid], basis.batch)
        old_weights, old_activations = tally.parts[nid]
        tally.parts[nid] = (weights, activations)
        tally.weights += weights - old_weights
        tally.activations += activations - old_activations
        tally.largest[key] = weights
        heapq.heappush(tally.heap, (-weights, tally.place[key], key))
    if len(tally.heap) > 2 * len(tally.largest) + 64:  # drop the entries sizes have since moved away from
        tally.heap = [(-size, tally.place[key], key) for key, size in tally.largest.items()]
        heapq.heapify(tally.heap)
    return tally


def tally_of(inference: Inference, batch_size: int) -> Tally:
    """The inference's sums for `batch_size`: from the inference it was made from where that has them."""
    if inference.tally is None or inference.tally.batch != batch_size:
        basis = inference.basis
        tally = None
        if basis is not None and basis.batch == batch_size and inference.rerun is not None:
            tally = _updated(basis, inference.root, inference.rerun)
        inference.tally = tally or _tally(inference.root, batch_size)
        inference.basis = None  # no chain of older inferences stays alive through it
    return inference.tally


def estimate_memory(inference: Inference, batch_size: int, optimizer: str = "adam",
                    momentum: float = 0.0) -> MemoryEstimate:
    tally = tally_of(inference, batch_size)
    states = OPTIMIZER_STATES.get(optimizer, 2)
    if optimizer == "sgd" and not momentum:
        states = 0
    return MemoryEstimate(tally.weights, tally.activations, states, tally.top())


def size_text(n: int) -> str:
    for unit, size in (("TB", 1024**4), ("GB", GB), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
