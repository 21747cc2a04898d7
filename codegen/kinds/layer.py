"""A catalogue layer in the compiler: one constructor call and one forward expression.

Inference evaluates exactly the text the compiler writes (`codegen.render`) on
meta tensors, after filling empty parameters from the input shapes (the
`LayerDef.infer` expressions). Results are memoised by (type, parameters,
input shapes): a meta kernel costs ~0.5 ms and the editor re-infers on every
edit.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from codegen.kinds.base import CompilerKind
from codegen.layer import LayerDef
from codegen.render import constructor_call, forward_expr
from codegen.runs import DTYPE_NAMES, NodeFailed, TensorInfo, meta_tensor, tensor_info
from codegen.shapes import InferCall
from codegen.writer import ScopeWriter
from graph.document import Node
from graph.kinds import LayerKind
from graph.params import effective_params

NAMESPACE = {"torch": torch, "nn": nn, "math": math}


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


def short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def shapes_text(ins: dict[str, Any]) -> str:
    parts = []
    for port, value in ins.items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{port}: " + ", ".join(str(tensor_info(v)) for v in values))
    return "; ".join(parts)


#: Node results by (type, parameters, input shapes): the same layer on the same input
#: always gives the same output.
_CACHE: dict[Any, tuple[dict[str, TensorInfo], dict[str, Any], int]] = {}
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


def weight_bytes(module: Any) -> int:
    """Bytes of a module's parameters and buffers (meta tensors know their sizes without storage)."""
    if not isinstance(module, nn.Module):
        return 0
    tensors = [*module.parameters(), *module.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def weight_shapes(module: Any) -> dict[str, TensorInfo]:
    """A module's parameters by name ("" for a bare parameter), as shape and dtype (for checking ties)."""
    if isinstance(module, nn.Parameter):
        return {"": tensor_info_of_weight(module)}
    if not isinstance(module, nn.Module):
        return {}
    return {name: tensor_info_of_weight(p) for name, p in module.named_parameters()}


def tensor_info_of_weight(t: torch.Tensor) -> TensorInfo:
    """A weight's shape as it is (no batch dimension in it)."""
    return TensorInfo(tuple(int(d) for d in t.shape), DTYPE_NAMES.get(t.dtype, str(t.dtype).removeprefix("torch.")))


def clear_cache() -> None:
    _CACHE.clear()


class Layer(LayerKind, CompilerKind):
    """The generic kind of every catalogue type, bound to its LayerDef."""

    def __init__(self, layer: LayerDef) -> None:
        super().__init__(layer.spec)
        self.layer = layer

    # -- inference -------------------------------------------------------------------
    def infer(self, call: InferCall) -> dict[str, Any]:
        key = _cache_key(call.node, call.ins)
        hit = _CACHE.get(key) if key is not None else None
        if hit is not None:
            infos, values, weight_bytes, weights = hit
            call.run.params = dict(values)
            call.run.weight_bytes = weight_bytes
            call.run.weights = dict(weights)
            return {port: meta_tensor(info) for port, info in infos.items()}
        produced = self.evaluate(call)
        if key is not None:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            infos = {p: info for p, t in produced.items() if (info := tensor_info(t)) is not None}
            if len(infos) == len(produced):
                _CACHE[key] = (infos, dict(call.run.params), call.run.weight_bytes, dict(call.run.weights))
        return produced

    def resolve_params(self, call: InferCall, flat: dict[str, Any]) -> dict[str, Any]:
        """The node's values with empty inferable parameters filled from the inputs."""
        layer, node = self.layer, call.node
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
                raise NodeFailed(f"{node.type} '{node.label}' expects {name}={values[name]}, but receives "
                                 f"{inferred} from '{call.sources.get(port, '?')}' ({shapes_text(call.ins)})",
                                 param=name, hint=f"clear {name} to infer it")
        return values

    def evaluate(self, call: InferCall) -> dict[str, Any]:
        layer, node = self.layer, call.node
        flat = {p.name: (call.ins[p.name] if p.multi else call.ins[p.name][0])
                for p in layer.spec.inputs if p.name in call.ins}
        values = self.resolve_params(call, flat)
        call.run.params = values
        namespace: dict[str, Any] = {**NAMESPACE, **call.runner.support}
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
                call.run.weight_bytes = weight_bytes(namespace["m"])
                call.run.weights = weight_shapes(namespace["m"])
            expr = self.forward_text(names, values, "m" if layer.module else None)
            result = eval(expr, namespace)  # noqa: S307 - catalogue text
        except NodeFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure becomes the node's error
            origin = ", ".join(f"'{v}'" for v in dict.fromkeys(call.sources.values()))
            raise NodeFailed(f"{node.type} '{node.label}' fails on its input from {origin} "
                             f"({shapes_text(call.ins)}): {short(exc)}") from None
        outs = layer.spec.outputs
        if layer.unpack is None:
            return {outs[0].name: result} if outs else {}
        target = layer.unpack.format(**{o.name: o.name for o in outs})
        local = {"__result": result}
        try:
            exec(f"{target} = __result", {}, local)  # noqa: S102 - catalogue text
        except Exception as exc:  # noqa: BLE001
            raise NodeFailed(f"cannot unpack the result into {target}: {short(exc)}") from None
        return {o.name: local.get(o.name) for o in outs}

    def forward_text(self, names: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
        return forward_expr(self.layer, names, values, module)

    # -- emission ----------------------------------------------------------------------
    def emit(self, w: ScopeWriter, node: Node, ins: dict[str, list[str]]) -> None:
        layer = self.layer
        values = w.params(node)
        if w.skipped(node):  # shapes unknown (untrusted code before it): inferred sizes are None
            values = {**dict.fromkeys(layer.infer), **values}
        w.module.support.update(layer.support)
        module = None
        if layer.module is not None:
            attr = w.attribute(node)
            w.init.append(f"self.{attr} = {constructor_call(layer, values)}")
            if node.params.get("frozen"):
                w.init.append(f"self.{attr}.requires_grad_(False)")
            module = f"self.{attr}"
        names = {p.name: (ins[p.name] if p.multi else ins[p.name][0]) for p in layer.spec.inputs if p.name in ins}
        expr = self.forward_text(names, values, module)
        outs = layer.spec.outputs
        if layer.unpack is None:
            var = w.variable(node)
            w.bind(node, outs[0].name, var)
            w.body.append(f"{var} = {expr}{w.comment(node)}")
            return
        targets = {}
        for o in outs:
            if w.is_used(node, o.name):
                var = w.variable(node, f"{node.label}_{o.name}")
                w.bind(node, o.name, var)
                targets[o.name] = var
            else:  # an output nobody reads: `_`, as a person would write it
                targets[o.name] = "_"
        w.body.append(f"{layer.unpack.format(**targets)} = {expr}")
