"""A pydantic model's validation errors in the parameters' words.

The recipe and the project file's structure are pydantic models. Their
fields are read as `ParamSpec`s (an ``int`` with ``ge=1`` is the same spec as
a node's positive integer), so a bad field gets the message a bad parameter
gets: ``recipe.epochs: expected an integer from 1 to 100000, got -1``, one
line per field (a union's members do not each add a line).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from graph.params import describe, expected, missing, unknown_key
from graph.spec import ParamSpec

_NONE = type(None)


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    meta: list[Any] = []
    while get_origin(annotation) is Annotated:
        annotation, *more = get_args(annotation)
        meta += more
    return annotation, meta


def _constraints(meta: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in meta:
        if isinstance(m, FieldInfo):
            out.update(_constraints(list(m.metadata)))
            continue
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            if getattr(m, name, None) is not None:
                out[name] = getattr(m, name)
    return out


def _members(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return list(get_args(annotation))
    return [annotation]


def spec_for(name: str, annotation: Any, meta: list[Any] | tuple[Any, ...] = ()) -> ParamSpec | None:
    """The `ParamSpec` a model field amounts to, or None for lists of objects, unions and the like."""
    members = _members(annotation)
    rest = [m for m in members if m is not _NONE]
    if len(rest) != 1:
        return None
    base, more = _unwrap(rest[0])
    c = _constraints([*meta, *more])
    optional = len(rest) < len(members)
    bounds = {"min": c.get("ge", c.get("gt")), "max": c.get("le", c.get("lt")),
              "exclusive_min": "gt" in c, "exclusive_max": "lt" in c}
    if base is bool:
        return ParamSpec(name, "bool", optional=optional)
    if base in (int, float):
        return ParamSpec(name, "int" if base is int else "float", optional=optional, **bounds)
    if base is str:
        return ParamSpec(name, "string", optional=optional)
    if get_origin(base) is Literal:
        return ParamSpec(name, "enum", choices=get_args(base), optional=optional)
    if get_origin(base) is list and [_unwrap(a)[0] for a in get_args(base)] == [str]:
        return ParamSpec(name, "strings", optional=optional)
    return None


_PLURALS = {"int": "integers", "float": "numbers", "string": "texts", "bool": "true or false values"}


def _plural(annotation: Any) -> str:
    spec = spec_for("item", annotation)
    if spec is not None and spec.kind in _PLURALS and spec.min is None and spec.max is None:
        return _PLURALS[spec.kind]
    return f"items that are each {describe_annotation(annotation)}"


def describe_annotation(annotation: Any, meta: list[Any] | tuple[Any, ...] = ()) -> str:
    """What a field accepts, in `graph.params.describe`'s words."""
    spec = spec_for("value", annotation, meta)
    if spec is not None:
        return describe(spec)
    members = [m for m in _members(annotation) if m is not _NONE]
    if len(members) > 1:
        return " or ".join(describe_annotation(m) for m in members)
    base, more = _unwrap(members[0])
    c = _constraints([*meta, *more])
    args = get_args(base)
    if get_origin(base) is tuple and args and args[-1] is not Ellipsis and len(set(args)) == 1:
        return f"a list of {len(args)} {_plural(args[0])}"
    if get_origin(base) in (list, tuple) and args:
        count = c.get("min_length") if c.get("min_length") == c.get("max_length") else None
        return f"a list of {f'{count} ' if count else ''}{_plural(args[0])}"
    if isinstance(base, type) and issubclass(base, BaseModel):
        return "an object with the settings " + ", ".join(base.model_fields)
    if base is dict or get_origin(base) is dict:
        return "an object"
    return "a valid value"


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[int, Any, list[Any]]:
    """How much of `loc` names fields (the rest is a union member's tag or an unknown key) and that field's type."""
    annotation: Any = model
    meta: list[Any] = []
    for depth, part in enumerate(loc):
        base, more = _unwrap(annotation)
        models = [m for m in _members(base) if isinstance(m, type) and issubclass(m, BaseModel)]
        owner = next((m for m in models if isinstance(part, str) and part in m.model_fields), None)
        args = get_args(base)
        if owner is not None:
            info = owner.model_fields[part]
            annotation, meta = info.annotation, list(info.metadata)
        elif isinstance(part, int) and get_origin(base) in (list, tuple) and args:
            annotation = args[0] if get_origin(base) is list or args[-1] is Ellipsis else args[min(part, len(args) - 1)]
            meta = []
        elif isinstance(part, str) and get_origin(base) is dict and len(args) == 2:
            annotation, meta = args[1], []
        else:
            return depth, annotation, [*meta, *more]
    return len(loc), annotation, meta


def _path(root: str, loc: tuple[Any, ...]) -> str:
    text = root
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def field_errors(exc: ValidationError, model: type[BaseModel], root: str = "") -> list[tuple[str, str]]:
    """``(path, message)`` per bad field of `model` (first error per field), paths under `root`."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        depth, annotation, meta = _walk(model, loc)
        if error["type"] == "extra_forbidden":
            base = _unwrap(annotation)[0]
            known = list(base.model_fields) if isinstance(base, type) and issubclass(base, BaseModel) else []
            path = _path(root, loc[:depth + 1])
            out.setdefault(path, unknown_key(_path(root, loc[:depth]) or "the file", known))
            continue
        if error["type"] == "missing" and loc and isinstance(loc[-1], int):  # a tuple that is too short
            loc = loc[:-1]
            depth, annotation, meta = _walk(model, loc)
            error = {**error, "type": "too_short"}
        path = _path(root, loc[:depth]) or root or "(document)"
        what = describe_annotation(annotation, meta)
        out.setdefault(path, missing(what) if error["type"] == "missing" else expected(what, error.get("input")))
    return list(out.items())
