"""Tensor operations that a catalogue node says exactly: `a + b` → Add, `torch.cat` → Concat, ...

Each rule checks that every argument the node would drop or fix is what the
node assumes; anything else is left to a (Tensor)Expression node, which
writes the call as it was.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx

from codegen.importer import ops

Found = tuple[str, dict[str, Any], list[tuple[str, str]]]


@functools.cache
def template_layers() -> list[Any]:
    """Stateless catalogue ops without parameters whose forward is a plain template."""
    from codegen.catalogue import LAYERS

    return [layer for layer in LAYERS.values() if layer.module is None and isinstance(layer.forward, str)
            and not layer.spec.params and layer.unpack is None and layer.spec.inputs]


def _tensor(texts: dict[fx.Node, str], arg: Any) -> str | None:
    """The mark of a graph tensor argument, or None if it is not exactly one graph tensor."""
    if not isinstance(arg, fx.Node) or arg not in texts:
        return None
    text = texts[arg]
    found = ops.marks(text)
    return text if len(found) == 1 and ops.mark(*found[0]) == text else None


def _const_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_BINARY = {operator.add: "Add", operator.iadd: "Add", torch.add: "Add", operator.mul: "Multiply",
           operator.imul: "Multiply", torch.mul: "Multiply", operator.sub: "Subtract", torch.sub: "Subtract",
           operator.truediv: "Divide", torch.div: "Divide", operator.matmul: "Matmul", torch.matmul: "Matmul"}
_MULTI = {"Add", "Multiply"}
_ACTIVATIONS = {torch.relu: "ReLU", F.relu: "ReLU", torch.sigmoid: "Sigmoid", torch.tanh: "Tanh", F.silu: "SiLU",
                F.mish: "Mish", F.relu6: "ReLU6", F.hardswish: "Hardswish", F.hardsigmoid: "Hardsigmoid",
                F.elu: "ELU", F.selu: "SELU", F.softplus: "Softplus"}
_ACTIVATION_METHODS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def _args(n: fx.Node, names: tuple[str, ...]) -> dict[str, Any] | None:
    """Positional and keyword arguments by name; None if there are others."""
    out = dict(zip(names, n.args, strict=False))
    if len(n.args) > len(names):
        return None
    for k, v in n.kwargs.items():
        if k == "_stacklevel" or (k == "dtype" and v is None):
            continue  # what F.softmax passes on by default
        if k not in names or k in out:
            return None
        out[k] = v
    return out


def recognise(n: fx.Node, texts: dict[fx.Node, str]) -> Found | None:
    """(type id, parameters, [(port, mark)]) for a catalogue node equal to fx node `n`, or None."""
    t = n.target
    if n.op == "call_function" and t in _BINARY and len(n.args) == 2 and not n.kwargs:
        a, b = (_tensor(texts, x) for x in n.args)
        if a and b:
            type_id = _BINARY[t]
            ports = [("xs", a), ("xs", b)] if type_id in _MULTI else [("x", a), ("y", b)]
            return type_id, {}, ports
        return None
    if n.op == "call_function" and t in (torch.cat, torch.stack):
        args = _args(n, ("tensors", "dim"))
        if args is None or not isinstance(args.get("tensors"), (list, tuple)):
            return None
        parts = [_tensor(texts, x) for x in args["tensors"]]
        dim = args.get("dim", 0)
        if not all(parts) or not _const_int(dim):
            return None
        return ("Concat" if t is torch.cat else "Stack"), {"dim": dim}, [("xs", p) for p in parts]
    x = _tensor(texts, n.args[0]) if n.args else None
    if x is None:
        return None
    if n.op == "call_function" and t in _ACTIVATIONS and len(n.args) == 1 and \
            all(k == "inplace" for k in n.kwargs):
        return _ACTIVATIONS[t], {}, [("x", x)]
    if n.op == "call_method" and t in _ACTIVATION_METHODS and len(n.args) == 1 and not n.kwargs:
        return _ACTIVATION_METHODS[t], {}, [("x", x)]
    if n.op == "call_function" and t is F.gelu:
        args = _args(n, ("input", "approximate"))
        if args is not None and args.get("approximate", "none") in ("none", "tanh"):
            params = {} if args.get("approximate", "none") == "none" else {"approximate": "tanh"}
            return "GELU", params, [("x", x)]
        return None
    if (n.op == "call_function" and t in (F.softmax, torch.softmax)) or (n.op == "call_method" and t == "softmax"):
        args = _args(n, ("input", "dim"))
        if args is not None and _const_int(args.get("dim")):
            return "Softmax", {"dim": args["dim"]}, [("x", x)]
        return None
    if n.op == "call_function" and t is F.dropout:
        args = _args(n, ("input", "p", "training", "inplace"))
        if args is not None and isinstance(args.get("p", 0.5), float) and not args.get("inplace", False):
            p = args.get("p", 0.5)
            return "Dropout", {} if p == 0.5 else {"p": p}, [("x", x)]
        return None
    if (n.op == "call_function" and t is torch.flatten) or (n.op == "call_method" and t == "flatten"):
        args = _args(n, ("input", "start_dim", "end_dim"))
        if args is None or not all(_const_int(args.get(k, 0)) for k in ("start_dim", "end_dim")):
            return None
        params = {}
        start, end = args.get("start_dim", 0), args.get("end_dim", -1)
        if start != 1:
            params["start_dim"] = start
        if end != -1:
            params["end_dim"] = end
        return "Flatten", params, [("x", x)]
    if (n.op == "call_function" and t is torch.transpose) or (n.op == "call_method" and t == "transpose"):
        args = _args(n, ("input", "dim0", "dim1"))
        if args is None or not (_const_int(args.get("dim0")) and _const_int(args.get("dim1"))):
            return None
        params = {k: args[k] for k, d in (("dim0", 1), ("dim1", 2)) if args[k] != d}
        return "Transpose", params, [("x", x)]
    if n.op == "call_method" and t == "permute":
        dims = list(n.args[1]) if len(n.args) == 2 and isinstance(n.args[1], (list, tuple)) else list(n.args[1:])
        if dims and all(_const_int(d) for d in dims) and not n.kwargs:
            return "Permute", {} if dims == [0, 2, 1] else {"dims": dims}, [("x", x)]
        return None
    if (n.op == "call_function" and t is torch.unsqueeze) or (n.op == "call_method" and t == "unsqueeze"):
        args = _args(n, ("input", "dim"))
        if args is not None and _const_int(args.get("dim")):
            return "Unsqueeze", {} if args["dim"] == 1 else {"dim": args["dim"]}, [("x", x)]
        return None
    if n.op == "call_function" and t is F.interpolate:
        return _interpolate(n, x)
    if (n.op == "call_method" and t == "mean") or (n.op == "call_function" and t is torch.mean):
        args = _args(n, ("input", "dim", "keepdim"))
        if args is None or "dim" not in args:
            return None
        dim = args["dim"]
        dim = list(dim) if isinstance(dim, (tuple, list)) else dim
        if not (_const_int(dim) or (isinstance(dim, list) and all(map(_const_int, dim)))):
            return None
        params: dict[str, Any] = {"dim": dim}
        if args.get("keepdim", False):
            params["keepdim"] = True
        return "Mean", params, [("x", x)]
    return None


def _interpolate(n: fx.Node, x: str) -> Found | None:
    args = _args(n, ("input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor",
                     "antialias"))
    if args is None or args.get("antialias", False):
        return None
    params: dict[str, Any] = {}
    for key in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
        value = args.get(key)
        if isinstance(value, fx.Node):
            return None
        if isinstance(value, tuple):
            value = list(value)
        if value is not None:
            params[key] = value
    if "scale_factor" in params and isinstance(params["scale_factor"], int):
        params["scale_factor"] = float(params["scale_factor"])
    if params.get("mode") == "nearest":
        del params["mode"]
    if "size" not in params and "scale_factor" not in params:
        return None
    if "scale_factor" not in params:
        params["scale_factor"] = None
    elif params["scale_factor"] == 2.0:
        del params["scale_factor"]
    return "Upsample", params, [("x", x)]
