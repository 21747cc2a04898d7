"""Turning the non-module operations of a traced forward into node types.

Values that are not tensors (sizes, shapes, dtypes, devices, Python numbers)
never become nodes: each is kept as PyTorch source text over the tensors it
was computed from (`x.shape[1] // 4`) and folded into the expression of the
tensor operation that uses it. Tensor operations become a catalogue node
when one says exactly the same thing (`a + b` → Add, `torch.cat` → Concat,
`x.transpose(1, 2)` → Transpose, `F.relu` → ReLU), otherwise a
TensorExpression node with that text.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import re
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx

from codegen.catalogue.tensor_expression import (
    functional_functions,
    tensor_methods,
    torch_functions,
)
from codegen.render import literal


class NotExpressible(Exception):
    """An operation with no node type and no expression text (the module becomes opaque)."""


#: A graph tensor inside expression text, replaced by x, y, z, w when a node is made.
_MARK = re.compile(r"__t_(\w+?)__p_(\w+?)__")


def mark(node_id: str, port: str) -> str:
    return f"__t_{node_id}__p_{port}__"


def marks(text: str) -> list[tuple[str, str]]:
    """The graph tensors a text refers to, in order of first appearance."""
    return list(dict.fromkeys(_MARK.findall(text)))


def substitute(text: str, names: dict[tuple[str, str], str]) -> str:
    return _MARK.sub(lambda m: names[(m.group(1), m.group(2))], text)


_BINARY = {
    operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/", operator.floordiv: "//",
    operator.mod: "%", operator.pow: "**", operator.matmul: "@", operator.and_: "&", operator.or_: "|",
    operator.xor: "^", operator.lshift: "<<", operator.rshift: ">>", operator.iadd: "+", operator.isub: "-",
    operator.imul: "*", operator.itruediv: "/", operator.ifloordiv: "//", operator.imatmul: "@",
    operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=", operator.eq: "==",
    operator.ne: "!=",
}
_UNARY = {operator.neg: "-", operator.pos: "+", operator.invert: "~", operator.not_: "not "}


def function_name(target: Any) -> str | None:
    """`torch.cat`, `nn.functional.softmax`, ... for a callable fx recorded; None if it has no such name."""
    name = getattr(target, "__name__", None)
    if not isinstance(name, str):
        return None
    if name in functional_functions() and getattr(F, name, None) is target:
        return f"nn.functional.{name}"
    if name in torch_functions() and getattr(torch, name, None) is target:
        return f"torch.{name}"
    return None


def _paren(text: str) -> str:
    return f"({text})"


def constant_text(value: Any) -> str:
    if isinstance(value, torch.dtype):
        return str(value)  # "torch.float32"
    if isinstance(value, slice):
        parts = ["" if v is None else constant_text(v) for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) if value.step is None else ":".join(parts)
    if value is Ellipsis:
        return "..."
    if isinstance(value, torch.device):
        raise NotExpressible(f"a fixed device ({value})")
    if isinstance(value, torch.Tensor):
        raise NotExpressible("a tensor constant made outside the module's parameters")
    if isinstance(value, (bool, int, float, str)) or value is None:
        return literal(value)
    if isinstance(value, (list, tuple)):
        items = [constant_text(v) for v in value]
        if isinstance(value, list):
            return "[" + ", ".join(items) + "]"
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    raise NotExpressible(f"a constant of type {type(value).__name__}")


@dataclass
class Renderer:
    """Source text for fx values: tensors by mark, everything else spelled out."""

    #: fx node → its text (a mark for tensors in the graph, an expression for scalars)
    texts: dict[fx.Node, str]

    def arg(self, value: Any, *, index: bool = False) -> str:
        if isinstance(value, fx.Node):
            if value not in self.texts:
                raise NotExpressible(f"uses {value.name}, which has no value in the graph")
            return self.texts[value]
        if isinstance(value, slice) and index:
            parts = ["" if v is None else self.arg(v) for v in (value.start, value.stop, value.step)]
            return ":".join(parts[:2]) if value.step is None else ":".join(parts)
        if isinstance(value, tuple) and index:
            if not value:
                return "()"
            return ", ".join(self.arg(v, index=True) for v in value)
        if isinstance(value, (list, tuple)):
            items = [self.arg(v) for v in value]
            if isinstance(value, list):
                return "[" + ", ".join(items) + "]"
            return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
        return constant_text(value)

    def call_args(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        parts = [self.arg(a) for a in args] + [f"{k}={self.arg(v)}" for k, v in kwargs.items()]
        return ", ".join(parts)

    def node_text(self, n: fx.Node) -> str:
        """The expression that computes fx node `n` from its arguments' texts."""
        if n.op == "call_method":
            if n.target not in tensor_methods():
                raise NotExpressible(f"the tensor method {n.target}()")
            obj, *rest = n.args
            return f"{_paren(self.arg(obj))}.{n.target}({self.call_args(tuple(rest), dict(n.kwargs))})"
        if n.op != "call_function":
            raise NotExpressible(f"a {n.op} node")
        target = n.target
        if target in _BINARY:
            a, b = n.args
            return f"{_paren(self.arg(a))} {_BINARY[target]} {_paren(self.arg(b))}"
        if target in _UNARY:
            return f"{_UNARY[target]}{_paren(self.arg(n.args[0]))}"
        if target is operator.getitem:
            obj, item = n.args
            return f"{_paren(self.arg(obj))}[{self.arg(item, index=True)}]"
        if target is builtins.getattr:
            obj, name = n.args
            return f"{_paren(self.arg(obj))}.{name}"
        if target in (math.sqrt, math.floor, math.ceil):
            raise NotExpressible(f"math.{target.__name__} of a traced value")
        name = function_name(target)
        if name is None:
            shown = getattr(target, "__qualname__", getattr(target, "__name__", repr(target)))
            raise NotExpressible(f"the function {shown}()")
        return f"{name}({self.call_args(tuple(n.args), dict(n.kwargs))})"


def tidy(text: str) -> str:
    """Normalised source (drops the parentheses the renderer adds around every operand)."""
    return ast.unparse(ast.parse(text, mode="eval"))
