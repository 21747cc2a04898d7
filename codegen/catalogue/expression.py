"""The Expression node: a formula over x and y, checked before it becomes code.

The formula is pasted into the generated forward, so it is parsed with `ast`
and only a small, safe grammar is accepted: the names x and y, numbers,
arithmetic, and a whitelist of elementwise torch functions and math
constants. Anything else raises ValueError with the reason (the compiler
attaches the node's name).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

import torch

from codegen.catalogue.build import op_layer
from codegen.kinds.layer import Layer
from codegen.layer import LayerDef
from codegen.runs import NodeFailed
from graph.spec import ParamSpec, PortSpec

CATEGORY = "Math"
VARIABLES: tuple[str, ...] = ("x", "y")

_TORCH_FUNCTIONS = (
    "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh",
    "acosh", "atanh", "sigmoid", "relu", "erf", "erfc", "sign", "floor", "ceil", "round", "trunc",
    "frac", "clamp", "minimum", "maximum", "pow", "reciprocal", "real", "imag", "conj", "angle",
    "hypot", "where", "sinc", "logaddexp",
)
#: Callables an expression may use, as dotted names.
FUNCTIONS: frozenset[str] = frozenset(
    f"torch.{f}" for f in _TORCH_FUNCTIONS if hasattr(torch, f)
)
#: Dotted constants an expression may use.
CONSTANTS: frozenset[str] = frozenset({"math.pi", "math.e", "math.tau", "math.inf"})

#: Bounds that keep constant arithmetic cheap: Python folds constants eagerly (`9**9**9**9`
#: would run for ever), so constant-only parts are evaluated here first, within these limits.
MAX_MAGNITUDE = 1e300
MAX_EXPONENT = 10_000
MAX_LENGTH = 2_000

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult,
              ast.UAdd, ast.USub)
_COMPARISONS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def dotted(node: ast.expr) -> str | None:
    """`torch.nn.functional.relu` for that attribute chain; None for anything but names and attributes."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def check_arguments(call: ast.Call, check: Callable[[ast.AST], None], fail: Callable[[str], ValueError]) -> None:
    """A call's arguments, each by the grammar's own `check`; both grammars refuse *args and **kwargs."""
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            raise fail("*args are not allowed")
        check(arg)
    for keyword in call.keywords:
        if keyword.arg is None:
            raise fail("**kwargs are not allowed")
        check(keyword.value)


def _check(node: ast.AST, text: str) -> None:
    """Raise ValueError at the first construct outside the expression grammar."""
    if isinstance(node, ast.Expression):
        return _check(node.body, text)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float, complex)):
            raise ValueError(f"expression {text!r}: only numbers are allowed as constants, "
                             f"got {node.value!r}")
        return None
    if isinstance(node, ast.Name):
        if node.id not in VARIABLES:
            raise ValueError(f"expression {text!r}: unknown name {node.id!r}; use x and y")
        return None
    if isinstance(node, ast.Attribute):
        if dotted(node) not in CONSTANTS:
            raise ValueError(f"expression {text!r}: {ast.unparse(node)!r} is not allowed; "
                             f"constants are {', '.join(sorted(CONSTANTS))}")
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, _OPERATORS):
        _check(node.left, text)
        return _check(node.right, text)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, _OPERATORS):
        return _check(node.operand, text)
    if isinstance(node, ast.Compare) and all(isinstance(op, _COMPARISONS) for op in node.ops):
        for part in (node.left, *node.comparators):
            _check(part, text)
        return None
    if isinstance(node, ast.Call):
        name = dotted(node.func)
        if name not in FUNCTIONS:
            shown = name or ast.unparse(node.func)
            raise ValueError(f"expression {text!r}: function {shown!r} is not allowed; "
                             "use elementwise torch functions such as torch.tanh or torch.abs")
        check_arguments(node, lambda arg: _check(arg, text), lambda why: ValueError(f"expression {text!r}: {why}"))
        return None
    raise ValueError(f"expression {text!r}: {type(node).__name__} "
                     f"({ast.unparse(node)!r}) is not allowed; use arithmetic on x and y")


_FOLD = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
         ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}


def _bounded(value: complex, text: str) -> complex:
    if abs(value) > MAX_MAGNITUDE or value != value:
        raise ValueError(f"expression {text!r}: a constant is too large (limit {MAX_MAGNITUDE:g})")
    return value


def _power(base: complex, exponent: complex, text: str) -> complex:
    if abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"expression {text!r}: exponent {exponent:g} is too large (limit {MAX_EXPONENT})")
    if base != 0 and abs(exponent) * math.log10(max(abs(base), 1e-300)) > math.log10(MAX_MAGNITUDE):
        raise ValueError(f"expression {text!r}: a constant power is too large (limit {MAX_MAGNITUDE:g})")
    return base**exponent


def _constant(node: ast.AST, text: str) -> complex | None:
    """The value of a constant-only part (within bounds), or None when it involves x or y."""
    if isinstance(node, ast.Constant):
        try:
            return _bounded(complex(node.value) if isinstance(node.value, complex) else float(node.value), text)
        except OverflowError:
            raise ValueError(f"expression {text!r}: a constant is too large (limit {MAX_MAGNITUDE:g})") from None
    if isinstance(node, ast.Attribute) and dotted(node) in CONSTANTS:
        return float(eval(dotted(node), {"math": math}))  # noqa: S307 - a whitelisted math constant
    if isinstance(node, ast.UnaryOp):
        value = _constant(node.operand, text)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp):
        left, right = _constant(node.left, text), _constant(node.right, text)
        if isinstance(node.op, ast.Pow) and right is not None:  # x ** huge is as costly to fold as 9 ** huge
            if abs(right) > MAX_EXPONENT:
                raise ValueError(f"expression {text!r}: exponent is too large (limit {MAX_EXPONENT})")
        if left is None or right is None:
            return None
        try:
            if isinstance(node.op, ast.Pow):
                return _bounded(_power(left, right, text), text)
            op = _FOLD.get(type(node.op))
            return None if op is None else _bounded(op(left, right), text)
        except (ZeroDivisionError, OverflowError, TypeError):
            return None  # torch gives inf/nan at run time, which is the user's formula
    if isinstance(node, ast.Expression):
        return _constant(node.body, text)
    for child in ast.iter_child_nodes(node):
        _constant(child, text)
    return None


def parse_expression(text: str) -> ast.Expression:
    """The checked syntax tree of `text`; ValueError says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("expression is empty; write a formula such as 'x * 0.5 + y'")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"expression {text!r} is not valid Python: {err.msg}") from None
    except (ValueError, RecursionError, MemoryError) as err:  # e.g. an integer literal of 5,000 digits
        raise ValueError(f"expression {text[:40]!r}...: cannot be read ({str(err)[:80]})") from None
    _check(tree, text)
    _constant(tree, text)
    return tree


def used_variables(text: str) -> set[str]:
    """Which of x and y the expression reads."""
    tree = parse_expression(text)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in VARIABLES}


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.names:
            return ast.parse(self.names[node.id], mode="eval").body
        return node


def substitute(tree: ast.AST, inputs: dict[str, Any], variables: tuple[str, ...]) -> tuple[str, list[str]]:
    """The parsed formula as code over the connected inputs' names, and the unconnected variables it reads.

    Shared by the formula node and the tensor-expression node (`tensor_expression`).
    """
    names = {k: str(v) for k, v in inputs.items() if k in variables and v}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in variables}
    return ast.unparse(_Rename(names).visit(tree)), sorted(used - set(names))


def expression_forward(inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """The formula with x and y replaced by the variables of the connected inputs."""
    text = values.get("expr", "")
    code, missing = substitute(parse_expression(text), inputs, VARIABLES)
    if missing:
        raise ValueError(f"expression {text!r} uses {', '.join(missing)} but that input "
                         "is not connected")
    return code


class ExpressionKind(Layer):
    """A formula node: a catalogue layer whose formula is checked before it becomes code."""

    def forward_text(self, names: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
        try:
            return expression_forward(names, values, module)
        except ValueError as exc:
            raise NodeFailed(str(exc), param="expr") from None


LAYERS: list[LayerDef] = [
    op_layer(
        "Expression", CATEGORY, "A formula over x and y, e.g. x * 0.5 + y or torch.sin(x) ** 2.",
        target="Python expression", forward=expression_forward,
        inputs=("x", PortSpec("y", required=False, help="Optional second operand.")),
        params=(ParamSpec("expr", "string", default="x", primary=True,
                          help="Arithmetic over x and y with elementwise torch functions "
                               "(torch.tanh, torch.exp, torch.abs, ...) and math.pi."),),
        sample={"x": (2, 3, 4), "y": (2, 3, 4)},
        kind=ExpressionKind,
    ),
]
EXPRESSION: LayerDef = LAYERS[0]
