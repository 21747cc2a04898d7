"""Turning one node into text: its constructor call and its forward expression.

Shared by the compiler (which assembles whole modules), shape inference
(which evaluates the same text on the meta device) and the catalogue's tests.
"""

from __future__ import annotations

import string
from typing import Any

from codegen.escape import escape
from codegen.layer import LayerDef


def literal(value: Any) -> str:
    """Python source for a parameter value; lists become tuples (kernel sizes, shapes)."""
    if isinstance(value, (list, tuple)):
        items = [literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return f"float({str(value)!r})"
        return repr(value)
    if isinstance(value, str):
        return escape(value, "literal")
    return repr(value)


def template_fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def constructor_params(layer: LayerDef) -> list[str]:
    """Parameters passed to the constructor: all but those used in the forward template."""
    used = template_fields(layer.forward) if isinstance(layer.forward, str) else set()
    if not isinstance(layer.forward, str):
        used = set(layer.spec.extra.get("forward_params", ()))
    return [p.name for p in layer.spec.params if p.name not in used]


def constructor_call(layer: LayerDef, values: dict[str, Any]) -> str:
    """`nn.Conv2d(1, 6, 5, padding=2)`: positional parameters, then keywords that differ from the default."""
    assert layer.module is not None
    if layer.constructor is not None:
        return layer.constructor(values)
    args: list[str] = []
    positional = set(layer.positional)
    for name in layer.positional:
        args.append(literal(values[name]))
    for name in constructor_params(layer):
        if name in positional:
            continue
        spec = layer.spec.param(name)
        value = values.get(name, spec.default if spec else None)
        if spec is not None and _same(value, spec.default):
            continue
        if value is None and spec is not None and spec.optional:
            continue
        args.append(f"{name}={literal(value)}")
    args += [f"{k}={v}" for k, v in layer.fixed_kwargs.items()]
    return f"{layer.module}({', '.join(args)})"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return type(a) is type(b) and a == b or (isinstance(a, float) and isinstance(b, (int, float)) and a == b)


def forward_expr(layer: LayerDef, inputs: dict[str, Any], values: dict[str, Any], module: str | None) -> str:
    """The forward expression, with inputs given as variable names (lists for multi ports)."""
    if not isinstance(layer.forward, str):
        return layer.forward(inputs, values, module)
    fields: dict[str, str] = {}
    for name, var in inputs.items():
        fields[name] = "[" + ", ".join(var) + "]" if isinstance(var, list) else str(var)
    for name in template_fields(layer.forward):
        if name not in fields and name != "m":
            fields[name] = literal(values.get(name))
    if module is not None:
        fields["m"] = module
    return layer.forward.format(**fields)
