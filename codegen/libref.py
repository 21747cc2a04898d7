"""Library references in generated code: encoding constructor arguments, resolving and writing them.

An Opaque node's arguments are JSON: plain values, `{"$tuple": [...]}`,
`{"$ref": "pkg.mod.Name"}` for a class, function or dtype, and
`{"$call": "pkg.mod.Class", "args": [...], "kwargs": {...}}` for an object
built from its arguments (a Hugging Face config, a `functools.partial`, a
dataclass). Every path passes `graph.kinds.opaque.reference_problem` before
anything is imported, and a `$call` may only build a config, dataclass,
module or partial — never call an arbitrary function.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
from typing import Any

import torch
from torch import nn

from codegen.escape import escape
from codegen.render import literal
from graph.kinds.opaque import reference_problem


class Unencodable(Exception):
    """A constructor argument that cannot be written as a library reference (the message says which)."""


def import_path(obj: Any) -> str | None:
    """`pkg.mod.Name` under which `obj` can be imported again, or None."""
    if isinstance(obj, torch.dtype):
        return str(obj)
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not name or "<" in name or "." in name:
        return None
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return f"{module}.{name}" if found is obj else None


def _config_kwargs(obj: Any) -> dict[str, Any] | None:
    if hasattr(obj, "to_diff_dict") and callable(obj.to_diff_dict):  # Hugging Face configs
        values = dict(obj.to_diff_dict())
        for key in ("transformers_version", "model_type", "architectures"):
            values.pop(key, None)
        return values
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}
    return None


def encode(value: Any, where: str) -> Any:
    """JSON for one constructor argument; Unencodable names what cannot be written."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"$float": repr(value)}
        return value
    if isinstance(value, enum.Enum):
        path = import_path(type(value))
        if path is None:
            raise Unencodable(f"{where}: the enum {type(value).__qualname__} cannot be imported")
        return {"$call": path, "args": [encode(value.value, where)], "kwargs": {}}
    if isinstance(value, list):
        return [encode(v, where) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, where) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Unencodable(f"{where}: a dict with non-text keys")
        return {"$dict": {k: encode(v, where) for k, v in value.items()}}
    if isinstance(value, functools.partial):
        return {"$call": "functools.partial", "args": [encode(value.func, where),
                                                       *(encode(a, where) for a in value.args)],
                "kwargs": {k: encode(v, where) for k, v in value.keywords.items()}}
    if isinstance(value, (type, torch.dtype)) or callable(value) and not isinstance(value, nn.Module):
        path = import_path(value)
        if path is None or reference_problem(path):
            raise Unencodable(f"{where}: {getattr(value, '__qualname__', value)!r} is not importable from an "
                              "allowed library")
        return {"$ref": path}
    kwargs = _config_kwargs(value)
    path = import_path(type(value))
    if kwargs is not None and path is not None and not reference_problem(path):
        return {"$call": path, "args": [], "kwargs": {k: encode(v, f"{where}.{k}") for k, v in kwargs.items()}}
    raise Unencodable(f"{where}: a {type(value).__qualname__} cannot be written as a constructor argument")


def resolve(path: str) -> Any:
    """The object at an allowed import path (ValueError says why not)."""
    problem = reference_problem(path)
    if problem:
        raise ValueError(problem)
    module, _, name = path.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise ValueError(f"{path} cannot be imported (is the library installed?)") from None
    return obj


def _buildable(obj: Any, path: str) -> None:
    if obj is functools.partial:
        return
    if isinstance(obj, type) and (issubclass(obj, (nn.Module, enum.Enum)) or dataclasses.is_dataclass(obj)
                                  or hasattr(obj, "to_diff_dict")):
        return
    raise ValueError(f"{path} may not be called while building a module (only configs, dataclasses, modules)")


def decode(value: Any) -> Any:
    """The Python value of encoded JSON (imports allowed libraries only)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$tuple" in value:
        return tuple(decode(v) for v in value["$tuple"])
    if "$dict" in value:
        return {k: decode(v) for k, v in value["$dict"].items()}
    if "$float" in value:
        return float(value["$float"])
    if "$ref" in value:
        return resolve(value["$ref"])
    if "$call" in value:
        obj = resolve(value["$call"])
        _buildable(obj, value["$call"])
        return obj(*[decode(a) for a in value.get("args", [])],
                   **{k: decode(v) for k, v in value.get("kwargs", {}).items()})
    raise ValueError(f"unknown encoded value {sorted(value)}")


class Imports:
    """`from pkg.mod import Name` lines for the references one generated module uses."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.names: dict[str, str] = {}  # path → local name
        #: names already used in the module (its classes); claimed names are added
        self.taken = taken if taken is not None else set()

    def name(self, path: str) -> str:
        if path.startswith("torch.") and path.count(".") == 1:
            return path  # torch.float32, torch.relu: `import torch` is always there
        if path in self.names:
            return self.names[path]
        module, _, name = path.rpartition(".")
        local, k = name, 2
        while local in self.names.values() or local in self.taken:
            local, k = f"{name}{k}", k + 1
        self.names[path] = local
        self.taken.add(local)
        return local

    def lines(self) -> list[str]:
        out = []
        for path, local in self.names.items():
            module, _, name = path.rpartition(".")
            out.append(f"from {module} import {name}" + ("" if local == name else f" as {local}"))
        return out


def source(value: Any, imports: Imports) -> str:
    """Python source for encoded JSON (paths checked; plain values through `literal`)."""
    if isinstance(value, list):
        return "[" + ", ".join(source(v, imports) for v in value) + "]"
    if isinstance(value, str):
        return escape(value, "literal")  # project text: through the one escaping function
    if not isinstance(value, dict):
        return literal(value)
    if "$tuple" in value:
        items = [source(v, imports) for v in value["$tuple"]]
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if "$dict" in value:
        return "{" + ", ".join(f"{escape(str(k), 'literal')}: {source(v, imports)}"
                               for k, v in value["$dict"].items()) + "}"
    if "$float" in value:
        text = str(value["$float"])
        if text not in ("nan", "inf", "-inf"):
            raise ValueError(f"{text!r} is not a special float")
        return f"float({escape(text, 'literal')})"
    if "$ref" in value:
        problem = reference_problem(value["$ref"])
        if problem:
            raise ValueError(problem)
        return imports.name(value["$ref"])
    if "$call" in value:
        return call_source(value["$call"], value.get("args", []), value.get("kwargs", {}), imports)
    raise ValueError(f"unknown encoded value {sorted(value)}")


def call_source(path: str, args: list[Any], kwargs: dict[str, Any], imports: Imports) -> str:
    problem = reference_problem(path)
    if problem:
        raise ValueError(problem)
    for key in kwargs:
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"{key!r} is not an argument name")
    parts = [source(a, imports) for a in args] + [f"{k}={source(v, imports)}" for k, v in kwargs.items()]
    return f"{imports.name(path)}({', '.join(parts)})"
