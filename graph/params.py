"""One checker for every parameter value, and one way to say what is wrong with it.

Node parameters and dataset parameters are both `ParamSpec`s; a spec becomes
a pydantic type (strict: a string is not an integer, ``true`` is not 1, a
float is not an int) and pydantic decides whether a value fits. The message
is always ``expected <what the spec accepts>, got <the value>``; the caller
puts the path in front (``fc1.out_features``, ``recipe.dataset.seed``,
``nodes[3].params.kernel_size``). The recipe's pydantic models use the same
words through `graph.model_errors`.
"""

from __future__ import annotations

import ast
import json
import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictStr, TypeAdapter, ValidationError

from graph.document import Node
from graph.spec import NodeSpec, ParamSpec

_MAX_SHOWN = 80


def shown(value: Any) -> str:
    """A value as messages quote it (``null`` for None, since values come from JSON)."""
    text = "null" if value is None else repr(value)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 3] + "..."


def expected(what: str, value: Any) -> str:
    """The one wording of a bad value: ``expected a positive integer, got -2``."""
    return f"expected {what}, got {shown(value)}"


def missing(what: str) -> str:
    return f"missing; expected {what}"


def unknown_key(owner: str, known: list[str] | tuple[str, ...]) -> str:
    """A key that names no setting (a recipe field, a dataset parameter)."""
    return f"not a setting of {owner}; it takes: {', '.join(known)}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


def _range_text(spec: ParamSpec, noun: str) -> str:
    article = "an" if noun[0] in "aeiou" else "a"
    lo, hi = spec.min, spec.max
    if lo is not None and hi is None:
        if (lo == 0 and spec.exclusive_min) or (lo == 1 and noun == "integer" and not spec.exclusive_min):
            return f"a positive {noun}"
        if lo == 0:
            return f"a non-negative {noun}"
        return f"{article} {noun} {'>' if spec.exclusive_min else '≥'} {_num(lo)}"
    if lo is None and hi is not None:
        return f"{article} {noun} {'<' if spec.exclusive_max else '≤'} {_num(hi)}"
    if lo is not None and hi is not None:
        if not (spec.exclusive_min or spec.exclusive_max):
            return f"{article} {noun} from {_num(lo)} to {_num(hi)}"
        return (f"{article} {noun} {'>' if spec.exclusive_min else '≥'} {_num(lo)} "
                f"and {'<' if spec.exclusive_max else '≤'} {_num(hi)}")
    return f"{article} {noun}"


def describe(spec: ParamSpec) -> str:
    """What a spec accepts, as the middle of ``expected ..., got ...``."""
    if spec.kind == "enum":
        return repr(spec.choices[0]) if len(spec.choices) == 1 else "one of " + ", ".join(map(repr, spec.choices))
    return {
        "int": lambda: _range_text(spec, "integer"),
        "float": lambda: _range_text(spec, "number"),
        "bool": lambda: "true or false",
        "ints": lambda: ("a list of " + _range_text(spec, "integer").split(" ", 1)[1] + "s") if spec.sequence
        else _range_text(spec, "integer") + " or a list of them",
        "path": lambda: "a file path",
        "strings": lambda: "a list of texts",
        "size": lambda: "a positive integer or [height, width]",
        "json": lambda: "a JSON value",
    }.get(spec.kind, lambda: "text")()


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _bounds(spec: ParamSpec) -> dict[str, float]:
    out = {}
    if spec.min is not None:
        out["gt" if spec.exclusive_min else "ge"] = spec.min
    if spec.max is not None:
        out["lt" if spec.exclusive_max else "le"] = spec.max
    return out


#: Integers past this do not fit the 64-bit sizes PyTorch computes with (an overflow deep inside torch).
INT_LIMIT = 2**62


def _fits_64_bits(value: int) -> int:
    if abs(value) > INT_LIMIT:
        raise ValueError("does not fit 64 bits")
    return value


def _value_type(kind: str, bounds: tuple[tuple[str, float], ...], choices: tuple[Any, ...], sequence: bool) -> Any:
    limits = dict(bounds)
    integer = Annotated[int, Field(strict=True, **limits), AfterValidator(_fits_64_bits)]
    if kind == "int":
        return integer
    if kind == "float":
        return Annotated[float, Field(strict=True, allow_inf_nan=False, **limits)]
    if kind == "bool":
        return StrictBool
    if kind == "enum":
        return Literal.__getitem__(choices)
    if kind == "ints":
        return list[integer] | tuple[integer, ...] if sequence else integer | list[integer] | tuple[integer, ...]
    if kind == "path":
        return Annotated[str, Field(strict=True, pattern=r"\S")]
    if kind == "strings":
        return list[StrictStr]
    if kind == "json":
        return Any
    if kind == "size":
        positive = Annotated[int, Field(strict=True, ge=1)]
        pair = Annotated[list[positive], Field(min_length=2, max_length=2)]
        return Annotated[positive | pair | tuple[positive, positive], AfterValidator(_pair)]
    return StrictStr


@lru_cache(maxsize=4096)
def _adapter(kind: str, bounds: tuple[tuple[str, float], ...], choices: tuple[Any, ...], optional: bool,
             sequence: bool) -> TypeAdapter:
    value_type = _value_type(kind, bounds, choices, sequence)
    return TypeAdapter(value_type | None if optional else value_type)


def adapter(spec: ParamSpec) -> TypeAdapter:
    """The pydantic validator of a spec (shared by every spec with the same constraints)."""
    return _adapter(spec.kind, tuple(sorted(_bounds(spec).items())), tuple(spec.choices), spec.optional,
                    spec.sequence)


def validate_value(spec: ParamSpec, value: Any) -> tuple[Any, str | None]:
    """``(typed value, None)`` — a `size` becomes a pair, an int for a float a float — or ``(None, message)``."""
    if spec.kind == "enum" and isinstance(value, bool) and not any(isinstance(c, bool) for c in spec.choices):
        return None, expected(describe(spec), value)  # Literal[1] would take True
    if spec.kind == "ints" and spec.sequence and isinstance(value, int) and not isinstance(value, bool):
        return None, expected(f"{describe(spec)} such as [{value}]", value)  # a shape is a list, even of one
    try:
        return adapter(spec).validate_python(value, strict=True), None
    except ValidationError:
        return None, expected(describe(spec), value)


def check_value(spec: ParamSpec, value: Any) -> str | None:
    """None if `value` fits `spec`, else a message like 'expected a positive integer, got -2'."""
    return validate_value(spec, value)[1]


def effective_params(node: Node, spec: NodeSpec | None) -> dict[str, Any]:
    """The node's values over the type's defaults (files store only what was set)."""
    values = spec.defaults() if spec is not None else {}
    values.update(node.params)
    return values


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
        if spec.kind == "strings":
            return []
        raise ValueError(f"{spec.name}: expected {describe(spec)}, got nothing")
    try:
        value = _parse(spec, text)
    except ValueError:
        raise ValueError(f"{spec.name}: cannot read {text!r} as {describe(spec)}") from None
    problem = check_value(spec, value)
    if problem:
        raise ValueError(f"{spec.name}: {problem}")
    return value


def _parse(spec: ParamSpec, text: str) -> Any:
    if spec.kind == "strings":
        return [part.strip() for part in text.split(",") if part.strip()]
    if spec.kind == "json":
        return json.loads(text)
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


def literal_value(text: str) -> Any:
    """What a person typed for a setting of unknown type (a code node's or code hook's argument).

    A Python literal (``0.1``, ``'relu'``, ``[1, 2]``) is that value; other
    text is kept as text; empty text is MISSING (back to the code's default).
    """
    from graph.edits import MISSING

    if not text.strip():
        return MISSING
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def value_text(value: Any, spec: ParamSpec | None = None) -> str:
    """A parameter value as its box shows it (the inverse of `parse_text`)."""
    if spec is not None and spec.kind == "json":
        return json.dumps(value)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
