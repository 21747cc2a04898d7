"""Modules kept whole: a user's class as a code node; a library class by reference.

A module whose forward cannot be a graph (data-dependent control flow, a
call with no node type) is kept as one node. When its class is the user's,
the node is a code node holding the class's source (project code: it runs
only after the user trusts the project) and the constructor arguments it was
built with. A class from an installed library must stay a reference to that
library (never a copy of its source); that needs the opaque-module node kind.
"""

from __future__ import annotations

import inspect
import json
import linecache
import re
import sys
from pathlib import Path
from typing import Any

from torch import nn

from codegen.importer.recording import constructor_arguments
from codegen.importer.usersource import NoSource, entry_source
from graph.codeinfo import read_code
from graph.document import make_identifier
from graph.kinds import CODE, OPAQUE

#: Top-level packages whose classes are library classes (referenced, never copied).
LIBRARIES = frozenset({"torch", "torchvision", "torchaudio", "timm", "transformers"})


def is_library_class(cls: type) -> bool:
    top = cls.__module__.split(".")[0]
    if top in LIBRARIES:
        return True
    file = getattr(sys.modules.get(cls.__module__), "__file__", None) or ""
    return any(part in ("site-packages", "dist-packages") for part in Path(file).parts)


def _json_value(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, float) or value == value


def keep_user_module(importer, graph, add, sub: nn.Module, call, path: str, label: str, why: str):
    """A code node for `sub`; returns (node, its input port names)."""
    from codegen.importer.build import ImportFailed

    cls = type(sub)
    if is_library_class(cls):
        return keep_library_module(importer, add, sub, call, path, label, why)
    try:
        source = entry_source(cls)
    except NoSource as exc:
        raise ImportFailed(f"{path}: {exc}") from None
    info = read_code(source)
    recorded = constructor_arguments(sub)
    params: dict[str, Any] = {}
    for name, default in info.params.items():
        if recorded is not None and name in recorded:
            value = recorded[name]
        elif hasattr(sub, name) and not isinstance(getattr(sub, name), nn.Module):
            value = getattr(sub, name)
            if isinstance(value, tuple):
                value = list(value)
        elif name in info.required_params:
            raise ImportFailed(f"{path}: {cls.__name__}.__init__ takes '{name}', which is not stored on the "
                               "module under that name; build the model inside record_constructors() (the "
                               "CLI does) so its arguments are known")
        else:
            continue
        if isinstance(value, tuple):
            value = list(value)
        if not _json_value(value):
            raise ImportFailed(f"{path}: {cls.__name__}(… {name}={type(value).__name__} …) cannot be stored in a "
                               "project (only numbers, text, booleans and lists of them)")
        if name in info.required_params or value != default:
            params[name] = value
    entry = _entry_name(importer.doc, exported_entry_name(cls) or make_identifier(cls.__name__), source)
    importer.doc.code[entry] = source
    node = add(CODE.type_id, label, {"code": entry, **params})
    importer.kept.append((path, f"{cls.__module__}.{cls.__qualname__}", why))
    return node, list(info.inputs)


def exported_entry_name(cls: type) -> str | None:
    """The code entry's name in a file TorchCanvas exported (`# Custom code: NAME` above the class)."""
    try:
        lines, start = inspect.getsourcelines(cls)
        file_lines = inspect.getsourcefile(cls) and linecache.getlines(inspect.getsourcefile(cls))
    except (OSError, TypeError):
        return None
    k = start - 2
    while file_lines and 0 <= k < len(file_lines) and not file_lines[k].strip():
        k -= 1
    if file_lines and 0 <= k < len(file_lines):
        found = re.fullmatch(r"# Custom code: ([A-Za-z_][A-Za-z0-9_]*)", file_lines[k].strip())
        if found:
            return found.group(1)
    return None


def _entry_name(doc, base: str, source: str) -> str:
    name, k = base, 2
    while name in doc.code and doc.code[name] != source:
        name, k = f"{base}_{k}", k + 1
    return name


def keep_library_module(importer, add, sub: nn.Module, call, path: str, label: str, why: str):
    """An Opaque node: the library class by import path, its recorded constructor arguments."""
    from codegen.importer.build import ImportFailed
    from codegen.importer.tracer import forward_parameters
    from codegen.libref import Unencodable, encode, import_path
    from graph.kinds.opaque import reference_problem

    cls = type(sub)
    target = import_path(cls)
    if target is None or reference_problem(target):
        raise ImportFailed(f"{path}: {cls.__module__}.{cls.__qualname__} cannot be traced ({why}) and cannot be "
                           "imported by name from an allowed library")
    recorded = constructor_arguments(sub)
    if recorded is None:
        raise ImportFailed(f"{path}: {cls.__qualname__} cannot be traced ({why}); to keep it whole its constructor "
                           "arguments are needed: build the model inside record_constructors() (the CLI does)")
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    try:
        for name, value in recorded.items():
            if name.startswith("*"):
                args += [encode(v, f"{path}: {name}") for v in value]
            else:
                kwargs[name] = encode(value, f"{path}: {name}")
    except Unencodable as exc:
        raise ImportFailed(str(exc)) from None
    params = [p.name for p in forward_parameters(sub)]
    given = [p for p, a in zip(params, call.args, strict=False) if hasattr(a, "shape")]
    given += [k for k, v in call.kwargs.items() if hasattr(v, "shape")]
    node = add(OPAQUE.type_id, label, {"target": target, "args": json.dumps({"args": args, "kwargs": kwargs},
                                                                            sort_keys=False),
                                       "inputs": ", ".join(given)})
    importer.kept.append((path, target, why))
    return node, given
