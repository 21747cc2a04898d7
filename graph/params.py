"""Checking a parameter value against its spec, with messages a person reads."""

from __future__ import annotations

import re
from typing import Any

from graph.document import Node
from graph.spec import NodeSpec, ParamSpec


def _range_text(spec: ParamSpec, noun: str) -> str:
    if spec.min == 1 and spec.max is None and spec.kind in ("int", "ints"):
        return f"a positive {noun}"
    if spec.min == 0 and spec.max is None and spec.kind in ("int", "ints"):
        return f"a non-negative {noun}"
    if spec.min is not None and spec.max is not None:
        return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun} from {spec.min:g} to {spec.max:g}"
    if spec.min is not None:
        return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun} ≥ {spec.min:g}"
    if spec.max is not None:
        return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun} ≤ {spec.max:g}"
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _in_range(spec: ParamSpec, x: float) -> bool:
    return (spec.min is None or x >= spec.min) and (spec.max is None or x <= spec.max)


def check_value(spec: ParamSpec, value: Any) -> str | None:
    """None if `value` fits `spec`, else a message like 'expected a positive integer, got -2'."""
    if value is None:
        return None if spec.optional else f"expected {_describe(spec)}, got nothing"
    got = f"got {value!r}"
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not _in_range(spec, value):
            return f"expected {_range_text(spec, 'integer')}, {got}"
    elif spec.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return f"expected {_range_text(spec, 'number')}, {got}"
        if not _in_range(spec, float(value)):
            return f"expected {_range_text(spec, 'number')}, {got}"
    elif spec.kind == "bool":
        if not isinstance(value, bool):
            return f"expected true or false, {got}"
    elif spec.kind == "enum":
        if value not in spec.choices:
            return f"expected one of {', '.join(map(repr, spec.choices))}, {got}"
    elif spec.kind == "ints":
        scalar = isinstance(value, int) and not isinstance(value, bool)
        if spec.sequence and scalar:
            return f"expected a list of {_range_text(spec, 'integer').split(' ', 1)[1]}s such as [{value}], {got}"
        items = [value] if scalar else value
        if not isinstance(items, (list, tuple)) or not all(
            isinstance(v, int) and not isinstance(v, bool) and _in_range(spec, v) for v in items
        ):
            return f"expected {_range_text(spec, 'integer')} or a list of them, {got}"
    elif spec.kind in ("string", "code"):
        if not isinstance(value, str):
            return f"expected text, {got}"
    return None


_INTS_SEPARATORS = re.compile(r"[\s,×x*]+")


def parse_text(spec: ParamSpec, text: str) -> Any:
    """What a person typed into a parameter's box, as the document stores it.

    The one reading of typed values (the inspector, the import dialog and
    scripts call it), so a shape typed as ``64`` becomes ``[64]`` like the
    file format has it, and a kernel size typed as ``3`` stays ``3``. Empty
    text is MISSING (the type's default) for optional parameters. Raises
    ValueError with a message naming the parameter and what it expects.
    """
    from graph.edits import MISSING

    text = text.strip()
    if text == "":
        if spec.optional:
            return MISSING
        if spec.kind in ("string", "code"):
            return ""
        raise ValueError(f"{spec.name}: expected {_describe(spec)}, got nothing")
    try:
        value = _parse(spec, text)
    except ValueError:
        raise ValueError(f"{spec.name}: cannot read {text!r} as {_describe(spec)}") from None
    problem = check_value(spec, value)
    if problem:
        raise ValueError(f"{spec.name}: {problem}")
    return value


def _parse(spec: ParamSpec, text: str) -> Any:
    if spec.kind == "ints":
        inner = text.strip("()[] ")
        values = [int(v) for v in _INTS_SEPARATORS.split(inner) if v]
        if not values:
            raise ValueError(text)
        return values if spec.sequence or len(values) > 1 else values[0]
    if spec.kind == "int":
        return int(text)
    if spec.kind == "float":
        return float(text)
    if spec.kind == "bool":
        lowered = text.lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(text)
        return lowered in ("true", "1", "yes")
    if spec.kind == "enum":
        for choice in spec.choices:
            if str(choice) == text:
                return choice
        raise ValueError(text)
    return text


def value_text(value: Any) -> str:
    """A parameter value as its box shows it (the inverse of `parse_text`)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _describe(spec: ParamSpec) -> str:
    return {
        "int": _range_text(spec, "integer"),
        "float": _range_text(spec, "number"),
        "bool": "true or false",
        "enum": "one of " + ", ".join(map(repr, spec.choices)),
        "ints": ("a list of " + _range_text(spec, "integer").split(" ", 1)[1] + "s") if spec.sequence
        else _range_text(spec, "integer") + " or a list of them",
    }.get(spec.kind, "text")


def effective_params(node: Node, spec: NodeSpec | None) -> dict[str, Any]:
    """The node's values over the type's defaults (files store only what was set)."""
    values = spec.defaults() if spec is not None else {}
    values.update(node.params)
    return values
