"""Shape inference on the meta device, node by node.

Every node runs on meta tensors: no memory, no FLOPs, and an error lands on
the node that caused it. What a node does is its kind's `infer`
(`codegen.kinds`): a catalogue layer evaluates the same constructor and
forward text the compiler emits; parameters left empty (`in_features`, ...)
are filled from the incoming shapes, so the compiler can write concrete
numbers. The batch dimension is a sentinel size shown as "B".
"""

from __future__ import annotations

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
from graph.document import ROOT, Document, Graph, Node
from graph.problems import Problem
from graph.ties import TIE, source_text, ties_of
from graph.validate import topological_order

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

    def fail(self, scope: str, node: Node, failed: NodeFailed, run: NodeRun) -> None:
        run.error = failed.message
        if (scope, node.id) not in self.first or self.first[(scope, node.id)] is run:
            self.problems.append(Problem(failed.message, scope, node.id, label=node.label, param=failed.param,
                                         hint=failed.hint, file=failed.file, line=failed.line))

    def run_scope(self, scope: str, given: dict[str, torch.Tensor] | None, reuse: ScopeRun | None = None,
                  stale: set[str] | frozenset[str] = frozenset()) -> tuple[ScopeRun, dict[str, Any]]:
        """Runs the scope's nodes in order; with `reuse`, only the `stale` ones (the rest are taken from it)."""
        g = self.doc.scope(scope)
        result = ScopeRun(scope)
        values: dict[tuple[str, str], Any] = {}
        if reuse is not None:
            values = {key: v for key, v in reuse.values.items() if key[0] not in stale}
        result.values = values
        outputs: dict[str, Any] = {}
        try:
            order = topological_order(g)
        except Exception:  # noqa: BLE001 - a cycle; validation reports it
            return result, outputs
        incoming: dict[str, list[Any]] = {}
        for e in g.edges:
            incoming.setdefault(e.dst, []).append(e)
        for nid in order:
            node = g.nodes[nid]
            if reuse is not None and nid not in stale and nid in reuse.nodes:
                result.nodes[nid] = reuse.nodes[nid]
                if nid in reuse.children:
                    result.children[nid] = reuse.children[nid]
                continue
            run = NodeRun(nid, node.label, node.type)
            result.nodes[nid] = run
            self.first.setdefault((scope, nid), run)
            ins: dict[str, Any] = {}
            sources: dict[str, str] = {}
            missing = False
            for e in incoming.get(nid, ()):
                sources.setdefault(e.dst_port, g.nodes[e.src].label if e.src in g.nodes else e.src)
                v = values.get((e.src, e.src_port))
                if v is None:
                    missing = True
                    continue
                ins.setdefault(e.dst_port, []).append(v)
            if missing:
                run.skipped = True
                continue
            call = InferCall(self, scope, node, ins, run, given, result, outputs, sources)
            self.ran += 1
            try:
                produced = self.kind_of(node.type).infer(call)
            except SkipNode:
                run.skipped = True
                continue
            except NodeFailed as failed:
                self.fail(scope, node, failed, run)
                continue
            for port, tensor in produced.items():
                values[(nid, port)] = tensor
                info = tensor_info(tensor)
                if info is not None:
                    run.outputs[port] = info
        self.check_ties(scope, g, result)
        return result, outputs

    def check_ties(self, scope: str, g: Graph, result: ScopeRun) -> None:
        """A tie's two parameters exist and have one shape and dtype (else training would fail later)."""
        for nid, node in g.nodes.items():
            for tie in ties_of(scope, node):
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

    @staticmethod
    def body_failure(name: str, body: ScopeRun) -> NodeFailed | None:
        """A failure inside a group's body, as the failure of the node that instantiates it."""
        first = next((r for r in body.nodes.values() if r.error), None)
        if first is None:
            return None
        return NodeFailed(f"inside group {name!r}, node {first.label}: {first.error}")


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
    return Inference(root, runner.problems, runner.first, runner.ran)


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
    """`previous` after parameter edits of the model's nodes `edited`: only they and the nodes after them run.

    The rest — their runs, meta tensors and problems — is `previous`'s. None
    when that would not equal a full run: a sub-network (group, ensemble,
    forest) after the node, whose body's runs other copies share.
    """
    from codegen.catalogue import LAYERS
    from codegen.kinds import compiler_kinds
    from codegen.support_runtime import support_namespace
    from graph.kinds import kind_of

    g = doc.graph
    if not edited <= g.nodes.keys():
        return None
    stale = downstream(g, *edited)
    if any(kind_of(g.nodes[nid].type).subnetwork(g.nodes[nid]) is not None for nid in stale):
        return None
    layers = LAYERS if layers is None else layers
    runner = Runner(doc, layers, trusted, support_namespace() if support is None else support,
                    compiler_kinds(layers))
    runner.first = {key: run for key, run in previous.first_runs.items() if key[0] != ROOT or key[1] not in stale}
    runner.problems = [p for p in previous.problems
                       if p.scope != ROOT or (p.node_id not in stale and p.param != TIE)]
    root, _ = runner.run_scope(ROOT, None, reuse=previous.root, stale=stale)
    return Inference(root, runner.problems, runner.first, runner.ran)


def clear_cache() -> None:
    from codegen.kinds.layer import clear_cache as clear

    clear()
