"""Shape inference on the meta device, node by node.

Every node's constructor and forward expression (the same text the compiler
emits) is evaluated on meta tensors: no memory, no FLOPs, and an error lands
on the node that caused it. Parameters left empty (`in_features`, ...) are
filled from the incoming shapes here, so the compiler can write concrete
numbers. The batch dimension is a sentinel size shown as "B".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from codegen.layer import LayerDef
from codegen.render import constructor_call, forward_expr
from codegen.usercode import describe_user_error, load_entry
from graph.codeinfo import CodeEntryError
from graph.document import ROOT, Document, Node
from graph.params import effective_params
from graph.validate import Issue, topological_order

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


@dataclass
class ScopeRun:
    scope: str
    nodes: dict[str, NodeRun] = field(default_factory=dict)
    #: For each Group node: one run of its body per repeated copy.
    children: dict[str, list[ScopeRun]] = field(default_factory=dict)


@dataclass
class Inference:
    root: ScopeRun
    issues: list[Issue]
    first_runs: dict[tuple[str, str], NodeRun] = field(default_factory=dict)

    def node(self, scope: str, node_id: str) -> NodeRun | None:
        """The node's result (for a node inside a group: in the group's first use)."""
        return self.first_runs.get((scope, node_id))

    def edge(self, scope: str, src: str, src_port: str) -> TensorInfo | None:
        run = self.node(scope, src)
        return run.outputs.get(src_port) if run else None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


def tensor_info(t: Any) -> TensorInfo | None:
    if not isinstance(t, torch.Tensor):
        return None
    shape = tuple("B" if k == 0 and d == BATCH else int(d) for k, d in enumerate(t.shape))
    return TensorInfo(shape, DTYPE_NAMES.get(t.dtype, str(t.dtype).removeprefix("torch.")))


def meta_tensor(info: TensorInfo) -> torch.Tensor:
    shape = [BATCH if d == "B" else int(d) for d in info.shape]
    return torch.empty(shape, dtype=DTYPES.get(info.dtype, torch.float32), device="meta")


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Size):
        return list(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        a = list(a) if isinstance(a, (list, tuple)) else [a]
        b = list(b) if isinstance(b, (list, tuple)) else [b]
    return a == b


NAMESPACE = {"torch": torch, "nn": nn, "math": math}


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def _shapes_text(ins: dict[str, Any]) -> str:
    parts = []
    for port, value in ins.items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{port}: " + ", ".join(str(tensor_info(v)) for v in values))
    return "; ".join(parts)


class _Runner:
    def __init__(self, doc: Document, layers: Mapping[str, LayerDef], trusted: bool, support: dict[str, Any]):
        self.doc = doc
        self.layers = layers
        self.trusted = trusted
        self.support = support
        self.issues: list[Issue] = []
        self.first: dict[tuple[str, str], NodeRun] = {}
        self.code_cache: dict[str, tuple[Any, Any]] = {}
        self.depth = 0
        self.sources: dict[str, str] = {}

    def fail(self, scope: str, node: Node, message: str, run: NodeRun) -> None:
        run.error = message
        if (scope, node.id) not in self.first or self.first[(scope, node.id)] is run:
            self.issues.append(Issue(message, scope, node.id, label=node.label))

    def run_scope(self, scope: str, given: dict[str, torch.Tensor] | None) -> tuple[ScopeRun, dict[str, Any]]:
        g = self.doc.scope(scope)
        result = ScopeRun(scope)
        values: dict[tuple[str, str], Any] = {}
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
            run = NodeRun(nid, node.label, node.type)
            result.nodes[nid] = run
            self.first.setdefault((scope, nid), run)
            ins: dict[str, Any] = {}
            missing = False
            self.sources = {}
            for e in incoming.get(nid, ()):
                self.sources.setdefault(e.dst_port, g.nodes[e.src].label if e.src in g.nodes else e.src)
                v = values.get((e.src, e.src_port))
                if v is None:
                    missing = True
                    continue
                ins.setdefault(e.dst_port, []).append(v)
            if missing:
                run.skipped = True
                continue
            try:
                produced = self.run_node(scope, node, ins, run, given, result)
            except _Skip:
                run.skipped = True
                continue
            except _NodeFailed as failed:
                self.fail(scope, node, failed.message, run)
                continue
            for port, tensor in produced.items():
                values[(nid, port)] = tensor
                info = tensor_info(tensor)
                if info is not None:
                    run.outputs[port] = info
            if node.type == "Output" and "x" in ins:
                outputs[node.label] = ins["x"][0]
        return result, outputs

    def run_node(self, scope: str, node: Node, ins: dict[str, list[Any]], run: NodeRun,
                 given: dict[str, torch.Tensor] | None, parent: ScopeRun) -> dict[str, Any]:
        if node.type == "Input":
            if given is not None:
                if node.label not in given:
                    raise _NodeFailed("this group input receives nothing")
                return {"out": given[node.label]}
            params = effective_params(node, None)
            shape = params.get("shape", [1])
            shape = [shape] if isinstance(shape, int) else list(shape)
            dtype = DTYPES.get(params.get("dtype", "float32"), torch.float32)
            if not all(isinstance(d, int) and d > 0 for d in shape):
                raise _NodeFailed(f"shape must be positive integers, got {shape}")
            return {"out": torch.empty([BATCH, *shape], dtype=dtype, device="meta")}
        if node.type == "Output":
            return {}
        if node.type == "Group":
            return self.run_group(scope, node, ins, run, parent)
        if node.type == "Ensemble":
            return self.run_ensemble(scope, node, ins, run, parent)
        if node.type == "Code":
            return self.run_code(node, ins, run)
        layer = self.layers.get(node.type)
        if layer is None:
            raise _NodeFailed(f"unknown node type {node.type!r}")
        return self.run_layer(layer, node, ins, run)

    def run_layer(self, layer: LayerDef, node: Node, ins: dict[str, list[Any]], run: NodeRun) -> dict[str, Any]:
        key = _cache_key(node, ins)
        hit = _CACHE.get(key) if key is not None else None
        if hit is not None:
            infos, values = hit
            run.params = dict(values)
            return {port: meta_tensor(info) for port, info in infos.items()}
        produced = self._run_layer(layer, node, ins, run)
        if key is not None:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            infos = {p: info for p, t in produced.items() if (info := tensor_info(t)) is not None}
            if len(infos) == len(produced):
                _CACHE[key] = (infos, dict(run.params))
        return produced

    def _run_layer(self, layer: LayerDef, node: Node, ins: dict[str, list[Any]], run: NodeRun) -> dict[str, Any]:
        flat = {p.name: (ins[p.name] if p.multi else ins[p.name][0]) for p in layer.spec.inputs if p.name in ins}
        values = effective_params(node, layer.spec)
        for name, expr in layer.infer.items():
            try:
                inferred = _plain(eval(expr, dict(NAMESPACE), dict(flat)))  # noqa: S307 - catalogue text
            except Exception:  # noqa: BLE001 - the input does not fit; the forward below reports it
                inferred = None
            if values.get(name) is None:
                values[name] = inferred
            elif inferred is not None and not _same(values[name], inferred):
                port = next(iter(flat), "x")
                raise _NodeFailed(f"{node.type} '{node.label}' expects {name}={values[name]}, but receives "
                                  f"{inferred} from '{self.sources.get(port, '?')}' ({_shapes_text(ins)}); "
                                  f"clear {name} to infer it")
        run.params = values
        namespace: dict[str, Any] = {**NAMESPACE, **self.support}
        names: dict[str, Any] = {}
        for port, value in flat.items():
            if isinstance(value, list):
                names[port] = [f"{port}_{k}" for k in range(len(value))]
                namespace.update(zip(names[port], value, strict=True))
            else:
                names[port] = port
                namespace[port] = value
        try:
            if layer.module is not None:
                with torch.device("meta"):
                    namespace["m"] = eval(constructor_call(layer, values), namespace)  # noqa: S307
            expr = forward_expr(layer, names, values, "m" if layer.module else None)
            result = eval(expr, namespace)  # noqa: S307 - catalogue text
        except _NodeFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure becomes the node's error
            origin = ", ".join(f"'{v}'" for v in dict.fromkeys(self.sources.values()))
            raise _NodeFailed(f"{node.type} '{node.label}' fails on its input from {origin} "
                              f"({_shapes_text(ins)}): {_short(exc)}") from None
        outs = layer.spec.outputs
        if layer.unpack is None:
            return {outs[0].name: result} if outs else {}
        target = layer.unpack.format(**{o.name: o.name for o in outs})
        local = {"__result": result}
        try:
            exec(f"{target} = __result", {}, local)  # noqa: S102
        except Exception as exc:  # noqa: BLE001
            raise _NodeFailed(f"cannot unpack the result into {target}: {_short(exc)}") from None
        return {o.name: local.get(o.name) for o in outs}

    def run_group(self, scope: str, node: Node, ins: dict[str, list[Any]], run: NodeRun,
                  parent: ScopeRun) -> dict[str, Any]:
        name = node.params.get("group", "")
        if name not in self.doc.groups:
            raise _NodeFailed(f"group {name!r} does not exist")
        if self.depth > 20:
            raise _NodeFailed("groups are nested more than 20 deep (does a group contain itself?)")
        repeat = node.params.get("repeat", 1)
        repeat = repeat if isinstance(repeat, int) and repeat >= 1 else 1
        run.params = {"group": name, "repeat": repeat, "frozen": bool(node.params.get("frozen", False))}
        current = {port: v[0] for port, v in ins.items()}
        copies: list[ScopeRun] = []
        produced: dict[str, Any] = {}
        self.depth += 1
        try:
            for k in range(repeat):
                body, produced = self.run_scope(name, current)
                copies.append(body)
                if any(r.error for r in body.nodes.values()):
                    first = next(r for r in body.nodes.values() if r.error)
                    raise _NodeFailed(f"inside group {name!r}, node {first.label}: {first.error}")
                if k + 1 < repeat:
                    (in_label,), (out_label,) = current.keys(), produced.keys()
                    before, after = tensor_info(current[in_label]), tensor_info(produced[out_label])
                    if before != after:
                        raise _NodeFailed(f"repeat {repeat} needs the group's output to have its input's shape, "
                                          f"but {before} becomes {after}")
                    current = {in_label: produced[out_label]}
        finally:
            self.depth -= 1
            parent.children[node.id] = copies
        return produced

    def run_ensemble(self, scope: str, node: Node, ins: dict[str, list[Any]], run: NodeRun,
                     parent: ScopeRun) -> dict[str, Any]:
        name = node.params.get("group", "")
        if name not in self.doc.groups:
            raise _NodeFailed(f"group {name!r} does not exist")
        members = node.params.get("members", 3)
        members = members if isinstance(members, int) and members >= 1 else 1
        combine = node.params.get("combine", "mean")
        bagging = bool(node.params.get("bagging", False))
        run.params = {"group": name, "members": members, "combine": combine, "bagging": bagging,
                      "frozen": bool(node.params.get("frozen", False))}
        if len(ins) != 1:
            raise _NodeFailed("an ensemble takes exactly one input")
        (port, (x,)), = ins.items()
        if bagging:
            width = x.shape[-1]
            if width % members:
                raise _NodeFailed(f"bagging splits the last dimension ({width}) into {members} equal slices; "
                                  f"choose a member count that divides {width}")
            x = x.narrow(-1, 0, width // members)
        self.depth += 1
        try:
            body, produced = self.run_scope(name, {port: x})
        finally:
            self.depth -= 1
        parent.children[node.id] = [body]
        if any(r.error for r in body.nodes.values()):
            first = next(r for r in body.nodes.values() if r.error)
            raise _NodeFailed(f"inside group {name!r}, node {first.label}: {first.error}")
        if len(produced) != 1:
            raise _NodeFailed("an ensemble's group needs exactly one Output")
        y = next(iter(produced.values()))
        outs = [y] * members
        combined = {"mean": lambda: torch.stack(outs).mean(0), "sum": lambda: torch.stack(outs).sum(0),
                    "concat": lambda: torch.cat(outs, dim=-1),
                    "vote": lambda: torch.stack([o.softmax(-1) for o in outs]).mean(0).log()}
        if combine not in combined:
            raise _NodeFailed(f"combine must be one of {', '.join(combined)}, got {combine!r}")
        return {"out": combined[combine]()}

    def run_code(self, node: Node, ins: dict[str, list[Any]], run: NodeRun) -> dict[str, Any]:
        entry = node.params.get("code", "")
        source = self.doc.code.get(entry)
        if source is None:
            raise _NodeFailed(f"code entry {entry!r} does not exist")
        if not self.trusted:
            raise _Skip
        key = f"{entry}\0{source}"
        try:
            if key not in self.code_cache:
                self.code_cache[key] = load_entry(entry, source)
        except CodeEntryError as exc:
            raise _NodeFailed(f"code entry {entry!r}, {exc}") from None
        obj, info = self.code_cache[key]
        kwargs = {k: node.params.get(k, v) for k, v in info.params.items()}
        run.params = {"code": entry, **kwargs}
        args = []
        for name in info.inputs:
            if name not in ins:
                raise _NodeFailed(f"input {name!r} is not connected")
            args.append(ins[name][0])
        try:
            with torch.device("meta"):
                if info.kind == "module":
                    result = obj(**kwargs)(*args)
                else:
                    result = obj(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - user code: report it with its line
            raise _NodeFailed(describe_user_error(exc, entry)) from None
        return {"out": result}


#: Node results by (type, parameters, input shapes): the same layer on the same input
#: always gives the same output, and meta-device kernels cost ~0.5 ms each.
_CACHE: dict[Any, tuple[dict[str, TensorInfo], dict[str, Any]]] = {}
_CACHE_SIZE = 20_000


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _cache_key(node: Node, ins: dict[str, list[Any]]) -> Any:
    try:
        shapes = tuple((port, tuple(tensor_info(t) for t in ts)) for port, ts in sorted(ins.items()))
        key = (node.type, _freeze(node.params), shapes)
        hash(key)
    except TypeError:
        return None
    return key


def clear_cache() -> None:
    _CACHE.clear()


class _NodeFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Skip(_NodeFailed):
    def __init__(self) -> None:
        super().__init__("")


def infer_shapes(doc: Document, layers: Mapping[str, LayerDef] | None = None, *, trusted: bool = False,
                 support: dict[str, Any] | None = None) -> Inference:
    """Runs every node on meta tensors; returns per-node shapes and the problems found."""
    from codegen.catalogue import LAYERS
    from codegen.support_runtime import support_namespace

    runner = _Runner(doc, LAYERS if layers is None else layers, trusted,
                     support_namespace() if support is None else support)
    root, _ = runner.run_scope(ROOT, None)
    return Inference(root, runner.issues, runner.first)
