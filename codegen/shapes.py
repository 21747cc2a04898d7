"""Shape inference on the meta device, node by node.

Every node runs on meta tensors: no memory, no FLOPs, and an error lands on
the node that caused it. What a node does is its kind's `infer`
(`codegen.kinds`): a catalogue layer evaluates the same constructor and
forward text the compiler emits; parameters left empty (`in_features`, ...)
are filled from the incoming shapes, so the compiler can write concrete
numbers. The batch dimension is a sentinel size shown as "B".
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from codegen.layer import LayerDef
from codegen.runs import (  # noqa: F401 - re-exported: the inference records live in codegen.runs
    BATCH,
    DTYPE_NAMES,
    DTYPES,
    Inference,
    NodeFailed,
    NodeRun,
    ScopeRun,
    SkipNode,
    TensorInfo,
    meta_tensor,
    tensor_info,
)
from codegen.structure import Structure, same_values
from graph.document import ROOT, Document, Graph, Node
from graph.kinds import kind_of as graph_kind_of
from graph.problems import Problem
from graph.ties import TIE, source_text

#: Groups nested deeper than this are reported (a group that contains itself).
MAX_DEPTH = 20


@dataclass
class InferCall:
    """What a kind's `infer` gets: the node, its input tensors by port, and the run it fills in."""

    runner: Runner
    scope: str
    node: Node
    ins: dict[str, list[Any]]
    run: NodeRun
    #: A group body's input tensors by Input label (None at the top level).
    given: dict[str, torch.Tensor] | None
    #: The scope run this node belongs to (sub-network kinds record their bodies' runs here).
    parent: ScopeRun
    #: The scope's outputs by Output label (the Output kind fills it in).
    scope_outputs: dict[str, Any]
    #: Input port → label of the node feeding it (for messages).
    sources: dict[str, str]


class NotLocal(Exception):
    """A parameter edit's inference would have to run a sub-network again: only a full run equals that."""


class Runner:
    """Runs scopes node by node; nested scopes (groups) run through their kinds."""

    def __init__(self, doc: Document, layers: Mapping[str, LayerDef], trusted: bool, support: dict[str, Any],
                 kind_of: Callable[[str], Any]) -> None:
        self.doc = doc
        self.layers = layers
        self.trusted = trusted
        self.support = support
        self.kind_of = kind_of
        self.problems: list[Problem] = []
        self.first: dict[tuple[str, str], NodeRun] = {}
        self.code_cache: dict[str, tuple[Any, Any]] = {}
        self.depth = 0
        self.ran = 0
        #: The nodes run again by a parameter edit (`_rerun`).
        self.rerun: set[str] = set()
        #: The (scope, node id) of first runs that were skipped (unknown inputs, untrusted code).
        self.skipped: set[tuple[str, str]] = set()

    def fail(self, scope: str, node: Node, failed: NodeFailed, run: NodeRun) -> None:
        run.error = failed.message
        if (scope, node.id) not in self.first or self.first[(scope, node.id)] is run:
            self.problems.append(Problem(failed.message, scope, node.id, label=node.label, param=failed.param,
                                         hint=failed.hint, file=failed.file, line=failed.line))

    def run_scope(self, scope: str, given: dict[str, torch.Tensor] | None, reuse: ScopeRun | None = None,
                  stale: set[str] | frozenset[str] = frozenset()) -> tuple[ScopeRun, dict[str, Any]]:
        """Runs the scope's nodes in order; with `reuse`, only the `stale` ones and those whose inputs they changed.

        `reuse` is this scope's run before parameter edits of the `stale`
        nodes: its structure (order, edges, ties) still holds, and a node
        whose inputs are what they were keeps its run (`_rerun`).
        """
        g = self.doc.scope(scope)
        outputs: dict[str, Any] = {}
        structure = reuse.structure if reuse is not None and reuse.structure is not None else None
        if structure is None or not structure.fits(g):
            try:
                structure = Structure.of(scope, g)
            except Exception:  # noqa: BLE001 - a cycle; validation reports it
                return ScopeRun(scope), outputs
        result = ScopeRun(scope, structure=structure)
        if reuse is None:
            for nid in structure.order:
                self.run_node(scope, g.nodes[nid], structure, given, result, outputs)
        else:
            self._rerun(scope, g, structure, given, result, outputs, reuse, stale)
        self.check_ties(scope, structure, result)
        return result, outputs

    def _rerun(self, scope: str, g: Graph, structure: Structure, given: dict[str, torch.Tensor] | None,
               result: ScopeRun, outputs: dict[str, Any], reuse: ScopeRun, stale: set[str] | frozenset[str]) -> None:
        """The `stale` nodes run again, in order; a node after one whose outputs changed runs again too.

        Raises NotLocal when a sub-network would have to run again (other copies share its body's runs).

        The run takes `reuse`'s records over instead of copying them (a copy would cost the whole
        model per edit): what it overwrites is logged, and put back if it raises NotLocal.
        """
        result.nodes, result.children, result.values = reuse.nodes, reuse.children, reuse.values
        undo: list[tuple[str, NodeRun | None, Any, NodeRun | None]] = []
        queue = [(structure.position[nid], nid) for nid in stale if nid in structure.position]
        heapq.heapify(queue)
        queued = set(stale)
        while queue:
            _, nid = heapq.heappop(queue)
            node = g.nodes[nid]
            if nid in result.children or graph_kind_of(node.type).subnetwork(node) is not None:
                _put_back(scope, result, self.first, undo)
                raise NotLocal(nid)
            before = result.values.pop(nid, None)
            undo.append((nid, result.nodes.get(nid), before, self.first.pop((scope, nid), None)))
            self.rerun.add(nid)
            self.run_node(scope, node, structure, given, result, outputs)
            if not same_values(before, result.values.get(nid)):
                for nxt in structure.after[nid]:
                    if nxt not in queued:
                        queued.add(nxt)
                        heapq.heappush(queue, (structure.position[nxt], nxt))

    def run_node(self, scope: str, node: Node, structure: Structure, given: dict[str, torch.Tensor] | None,
                 result: ScopeRun, outputs: dict[str, Any]) -> None:
        """One node on its inputs' meta tensors; what it produced goes into `result.values`."""
        g = self.doc.scope(scope)
        nid = node.id
        run = NodeRun(nid, node.label, node.type)
        result.nodes[nid] = run
        self.first.setdefault((scope, nid), run)
        ins: dict[str, Any] = {}
        sources: dict[str, str] = {}
        missing = False
        for e in structure.incoming.get(nid, ()):
            sources.setdefault(e.dst_port, g.nodes[e.src].label if e.src in g.nodes else e.src)
            v = result.values.get(e.src, {}).get(e.src_port)
            if v is None:
                missing = True
                continue
            ins.setdefault(e.dst_port, []).append(v)
        if missing:
            self.skip(scope, run)
            return
        call = InferCall(self, scope, node, ins, run, given, result, outputs, sources)
        self.ran += 1
        try:
            produced = self.kind_of(node.type).infer(call)
        except SkipNode:
            self.skip(scope, run)
            return
        except NodeFailed as failed:
            self.fail(scope, node, failed, run)
            return
        result.values[nid] = produced
        for port, tensor in produced.items():
            info = tensor_info(tensor)
            if info is not None:
                run.outputs[port] = info

    def skip(self, scope: str, run: NodeRun) -> None:
        run.skipped = True
        if self.first.get((scope, run.node_id)) is run:
            self.skipped.add((scope, run.node_id))

    def check_ties(self, scope: str, structure: Structure, result: ScopeRun) -> None:
        """A tie's two parameters exist and have one shape and dtype (else training would fail later)."""
        g = self.doc.scope(scope)
        for nid, ties in structure.ties.items():
            node = g.nodes[nid]
            for tie in ties:
                target = result.nodes.get(nid)
                source = _run_at(result, tie.path)
                if target is None or source is None or target.skipped or source.skipped or target.error \
                        or source.error or self.first.get((scope, nid)) is not target:
                    continue
                mine, theirs = target.weights.get(tie.param), source.weights.get(tie.source_param)
                shared = source_text(self.doc, tie)
                if mine is None:
                    message = f"{node.label} has no parameter {tie.param!r} to tie"
                elif theirs is None:
                    message = f"{tie.param}: {shared} does not exist"
                elif mine != theirs:
                    message = f"{tie.param} {mine} cannot share {shared} {theirs}: shapes or dtypes differ"
                else:
                    continue
                self.problems.append(Problem(message, scope, nid, label=node.label, param=TIE,
                                             hint="tie parameters of the same shape and dtype"))

    def run_body(self, name: str, given: dict[str, Any]) -> tuple[ScopeRun, dict[str, Any]]:
        """One run of a group's body (see `body_failure` for what failed inside)."""
        if name not in self.doc.groups:
            raise NodeFailed(f"group {name!r} does not exist", param="group")
        if self.depth > MAX_DEPTH:
            raise NodeFailed(f"groups are nested more than {MAX_DEPTH} deep (does a group contain itself?)")
        self.depth += 1
        try:
            body, produced = self.run_scope(name, given)
        finally:
            self.depth -= 1
        return body, produced

    def run_member(self, call: InferCall, name: str, given: dict[str, Any], what: str) -> tuple[ScopeRun, Any]:
        """One run of the member group of an ensemble or forest, recorded on the node: its run and its one output."""
        body, produced = self.run_body(name, given)
        call.parent.children[call.node.id] = [body]
        failure = self.body_failure(name, body)
        if failure is not None:
            raise failure
        if len(produced) != 1:
            raise NodeFailed(f"{what} needs exactly one Output", param="group")
        return body, next(iter(produced.values()))

    @staticmethod
    def body_failure(name: str, body: ScopeRun) -> NodeFailed | None:
        """A failure inside a group's body, as the failure of the node that instantiates it."""
        first = next((r for r in body.nodes.values() if r.error), None)
        if first is None:
            return None
        return NodeFailed(f"inside group {name!r}, node {first.label}: {first.error}")


def _put_back(scope: str, result: ScopeRun, first: dict[tuple[str, str], NodeRun],
              undo: list[tuple[str, NodeRun | None, Any, NodeRun | None]]) -> None:
    """Undoes a parameter edit's partial run: each node's run, outputs and first run as they were."""
    for nid, run, values, first_run in reversed(undo):
        for records, old in ((result.nodes, run), (result.values, values)):
            if old is None:
                records.pop(nid, None)
            else:
                records[nid] = old
        if first_run is None:
            first.pop((scope, nid), None)
        else:
            first[(scope, nid)] = first_run


def _run_at(result: ScopeRun, path: tuple[str, ...]) -> NodeRun | None:
    """The run of the node at `path` (node ids down through groups' first copies)."""
    scope_run: ScopeRun | None = result
    run = None
    for k, nid in enumerate(path):
        if scope_run is None:
            return None
        run = scope_run.nodes.get(nid)
        if k + 1 < len(path):
            copies = scope_run.children.get(nid) or []
            scope_run = copies[0] if copies else None
    return run


def infer_shapes(doc: Document, layers: Mapping[str, LayerDef] | None = None, *, trusted: bool = False,
                 support: dict[str, Any] | None = None) -> Inference:
    """Runs every node on meta tensors; returns per-node shapes and the problems found."""
    from codegen.catalogue import LAYERS
    from codegen.kinds import compiler_kinds
    from codegen.support_runtime import support_namespace

    layers = LAYERS if layers is None else layers
    runner = Runner(doc, layers, trusted, support_namespace() if support is None else support,
                    compiler_kinds(layers))
    root, _ = runner.run_scope(ROOT, None)
    return Inference(root, runner.problems, runner.first, runner.ran, skipped=runner.skipped)


def downstream(g: Graph, *node_ids: str) -> set[str]:
    """The nodes and every node that reads what they produce, directly or not."""
    after: dict[str, list[str]] = {}
    for e in g.edges:
        after.setdefault(e.src, []).append(e.dst)
    seen, todo = set(node_ids), list(node_ids)
    while todo:
        for nxt in after.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def reinfer_shapes(doc: Document, previous: Inference, edited: set[str] | frozenset[str],
                   layers: Mapping[str, LayerDef] | None = None, *, trusted: bool = False,
                   support: dict[str, Any] | None = None) -> Inference | None:
    """`previous` after parameter edits of the model's nodes `edited`: only they, and the nodes whose inputs
    that changed, run again.

    The rest — their runs, meta tensors and problems, and the order and edges
    (`codegen.structure`) — is `previous`'s. None when that would not equal a
    full run: a sub-network (group, ensemble, forest) whose inputs changed,
    whose body's runs other copies share; `previous` is then as it was.

    The new inference takes `previous`'s records over rather than copying
    them, so the work is the edit's, not the model's: `previous` is spent
    (it describes the new document) and only the new one is to be read.
    """
    from codegen.catalogue import LAYERS
    from codegen.kinds import compiler_kinds
    from codegen.support_runtime import support_namespace

    if not edited <= doc.graph.nodes.keys():
        return None
    layers = LAYERS if layers is None else layers
    runner = Runner(doc, layers, trusted, support_namespace() if support is None else support,
                    compiler_kinds(layers))
    runner.first = previous.first_runs  # taken over, as its scope's records are (`Runner._rerun`)
    try:
        root, _ = runner.run_scope(ROOT, None, reuse=previous.root, stale=edited)
    except NotLocal:
        return None
    kept = [p for p in previous.problems if p.scope != ROOT or (p.node_id not in runner.rerun and p.param != TIE)]
    skipped = previous.skipped  # taken over too: while a node is broken, all after it are skipped
    skipped.difference_update((ROOT, nid) for nid in runner.rerun)
    skipped |= runner.skipped
    return Inference(root, kept + runner.problems, runner.first, runner.ran, rerun=frozenset(runner.rerun),
                     basis=previous.tally, made_from=previous.stamp, skipped=skipped)


def clear_cache() -> None:
    from codegen.kinds.layer import clear_cache as clear

    clear()
