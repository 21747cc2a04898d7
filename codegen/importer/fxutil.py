"""Questions about traced fx nodes: in-place operations, argument binding, plain values."""

from __future__ import annotations

from typing import Any

import torch
from torch import fx, nn


def in_place(n: fx.Node) -> bool:
    name = n.target if n.op == "call_method" else getattr(n.target, "__name__", "")
    return isinstance(name, str) and name.endswith("_") and not name.startswith("_") or \
        name in ("iadd", "isub", "imul", "itruediv")


def used_later(n: fx.Node) -> bool:
    """An in-place operation whose input is read after it (out-of-place would change that reader)."""
    if not n.args or not isinstance(n.args[0], fx.Node):
        return False
    later = False
    for node in n.graph.nodes:
        if node is n:
            later = True
        elif later and n.args[0] in node.all_input_nodes:
            return True
    return False


def simple(value: Any) -> bool:
    return isinstance(value, (int, float, bool, torch.Size, tuple, list, torch.dtype, torch.device))


def bind(sub: nn.Module, n: fx.Node) -> dict[str, fx.Node]:
    from codegen.importer.tracer import forward_parameters

    params = [p for p in forward_parameters(sub) if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                                p.KEYWORD_ONLY)]
    bound: dict[str, fx.Node] = {}
    given = dict(zip((p.name for p in params), n.args, strict=False))
    given.update(n.kwargs)
    for name, a in given.items():
        if isinstance(a, fx.Node):
            bound[name] = a
        elif isinstance(a, (list, tuple)) and a and all(isinstance(x, fx.Node) for x in a):
            bound.update({f"{name}_{j}": x for j, x in enumerate(a)})  # as the tracer splits lists
    return bound


def tensor_args(sub: nn.Module, n: fx.Node) -> list[fx.Node]:
    return list(bind(sub, n).values())
