"""What a custom code entry declares, read with `ast` without running it.

A project may carry code the user has not trusted yet, so the graph layer
never executes it; it only reads the signature to know the node's ports
(forward's arguments) and parameters (the constructor's keyword arguments).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CodeInfo:
    kind: str  # "module" (an nn.Module subclass) or "function"
    name: str  # class or function name
    inputs: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    required_params: tuple[str, ...] = ()


class CodeEntryError(ValueError):
    """Code that cannot be read; `line` is 1-based within the entry."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line
        self.reason = message


def _literal(node: ast.expr) -> Any:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)
    return list(value) if isinstance(value, tuple) else value


def _split_args(args: ast.arguments, skip_self: bool) -> tuple[list[str], dict[str, Any], list[str]]:
    positional = [a.arg for a in args.posonlyargs + args.args]
    if skip_self and positional:
        positional = positional[1:]
    defaults = args.defaults
    first_default = len(positional) - len(defaults)
    required = positional[:first_default]
    with_default = dict(zip(positional[first_default:], (_literal(d) for d in defaults), strict=True))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if default is None:
            required.append(arg.arg)
        else:
            with_default[arg.arg] = _literal(default)
    return required, with_default, positional


def read_code(source: str) -> CodeInfo:
    """The last top-level class (with a forward) or function defines the layer."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise CodeEntryError(f"syntax error: {exc.msg}", exc.lineno) from None
    layer: ast.ClassDef | ast.FunctionDef | None = None
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and any(
            isinstance(s, ast.FunctionDef) and s.name == "forward" for s in stmt.body
        ):
            layer = stmt
        elif isinstance(stmt, ast.FunctionDef) and not stmt.name.startswith("_"):
            if not isinstance(layer, ast.ClassDef):
                layer = stmt
    if layer is None:
        raise CodeEntryError("defines no nn.Module subclass with a forward() and no function", 1)
    if isinstance(layer, ast.FunctionDef):
        required, with_default, _ = _split_args(layer.args, skip_self=False)
        if not required:
            raise CodeEntryError(f"function {layer.name}() takes no tensor argument", layer.lineno)
        return CodeInfo("function", layer.name, tuple(required), with_default)
    forward = next(s for s in layer.body if isinstance(s, ast.FunctionDef) and s.name == "forward")
    inputs, _, _ = _split_args(forward.args, skip_self=True)
    if not inputs:
        raise CodeEntryError(f"{layer.name}.forward() takes no tensor argument", forward.lineno)
    init = next((s for s in layer.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
    required_params: list[str] = []
    params: dict[str, Any] = {}
    if init is not None:
        required_params, with_default, _ = _split_args(init.args, skip_self=True)
        params = {name: None for name in required_params} | with_default
    return CodeInfo("module", layer.name, tuple(inputs), params, tuple(required_params))
