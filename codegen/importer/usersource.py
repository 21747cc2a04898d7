"""The source of a user's module class, with what it needs from its file.

A code node holds one self-contained entry: the class, the helper functions
and classes of the same file it uses, and import lines for the rest of its
free names (modules, library classes, constants), found with `ast`.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import sys
import textwrap
import types
from typing import Any


class NoSource(Exception):
    """The class's source cannot be found (defined interactively)."""


def _free_names(tree: ast.AST) -> list[str]:
    bound = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
    bound |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    bound |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    used = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return [n for n in dict.fromkeys(used) if n not in bound and not hasattr(builtins, n)]


def _import_line(name: str, obj: Any) -> str | None:
    if isinstance(obj, types.ModuleType):
        full = obj.__name__
        if full == name:
            return f"import {full}"
        parent, _, child = full.rpartition(".")
        if parent:
            return f"from {parent} import {child}" + ("" if child == name else f" as {name}")
        return f"import {full} as {name}"
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if module and qualname and "." not in qualname and "<" not in qualname and module != "__main__":
        found = sys.modules.get(module)
        if found is not None and getattr(found, qualname, None) is obj:
            return f"from {module} import {qualname}" + ("" if qualname == name else f" as {name}")
    if isinstance(obj, (int, float, str, bool)) or obj is None:
        return f"{name} = {obj!r}"
    return None


def entry_source(cls: type) -> str:
    """Header imports, then same-file helpers, then the class."""
    module = sys.modules.get(cls.__module__)
    imports: list[str] = []
    pieces: list[str] = []
    seen: set[str] = set()

    def visit(obj: Any) -> None:
        try:
            source = textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError):
            raise NoSource(f"{getattr(obj, '__qualname__', obj)}: its source is not available "
                           "(defined interactively?)") from None
        for name in _free_names(ast.parse(source)):
            if name in seen or module is None:
                continue
            seen.add(name)
            if name not in vars(module):
                continue
            value = vars(module)[name]
            local = getattr(value, "__module__", None) == cls.__module__ and \
                isinstance(value, (type, types.FunctionType))
            if local:
                visit(value)
                continue
            line = _import_line(name, value)
            if line is not None and line not in imports:
                imports.append(line)
        pieces.append(source)

    visit(cls)
    header = [line for line in imports if line.startswith(("import ", "from "))]
    constants = [line for line in imports if not line.startswith(("import ", "from "))]
    if not any(line in ("import torch",) for line in header):
        header.insert(0, "import torch")
    if "from torch import nn" not in header and "import torch.nn as nn" not in header:
        header.insert(1, "from torch import nn")
    parts = ["\n".join(header)]
    if constants:
        parts.append("\n".join(constants))
    parts += [p.strip("\n") for p in dict.fromkeys(pieces)]
    return "\n\n\n".join(parts) + "\n"
