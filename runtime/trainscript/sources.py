"""The modules an exported train.py imports besides the model, copied from the runtime's own source.

hooks.py holds the hook API (`Callback`, the Cancel exceptions) and the
built-in policies the recipe uses, taken verbatim with `inspect` from
`runtime/`, so the policy that trains in the app is the one that trains in
the script. Only what those classes reference is copied (helpers, event
records), with the imports their modules make outside TorchCanvas.
"""

from __future__ import annotations

import ast
import inspect
import sys
from types import ModuleType

import runtime.callbacks
import runtime.metrics

OURS = ("runtime", "codegen", "graph", "app")
HOOK_API = ("Callback", "CancelBatchException", "CancelStepException", "CancelFitException")

HOOKS_HEADER = '''"""The hook API of TorchCanvas and the built-in policies this recipe uses, copied verbatim.

A hook subclasses Callback and overrides the methods it needs; it skips a batch
or a step, or stops training, by raising one of the Cancel exceptions. train.py
calls the methods where TorchCanvas calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from train import Trainer
'''

USER_HEADER = '''"""A code entry of the project, verbatim, with the names TorchCanvas gives code entries."""

import math

import torch
from torch import nn
'''


def _imports(module: ModuleType) -> list[str]:
    """The module's top-level imports of anything but TorchCanvas' own packages."""
    tree = ast.parse(inspect.getsource(module))
    lines = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] not in OURS:
            if node.module != "__future__":
                lines.append(ast.unparse(node))
        elif isinstance(node, ast.Import) and all(a.name.split(".")[0] not in OURS for a in node.names):
            lines.append(ast.unparse(node))
    return lines


def _names(obj: object) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(inspect.getsource(obj))) if isinstance(n, ast.Name)}


def _closure(roots: list[object]) -> list[object]:
    """`roots` and every function or class of TorchCanvas they reference, dependencies first."""
    ordered: list[object] = []
    seen: set[int] = set()

    def visit(obj: object) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        module = sys.modules[obj.__module__]
        for name in sorted(_names(obj)):
            dep = getattr(module, name, None)
            if (inspect.isclass(dep) or inspect.isfunction(dep)) and dep.__module__.split(".")[0] in OURS:
                visit(dep)
        ordered.append(obj)

    for root in roots:
        visit(root)
    return ordered


def hooks_module(policies: list[type]) -> str:
    """hooks.py: the hook API plus `policies` and what they need (unused imports are removed by ruff)."""
    api = [getattr(runtime.callbacks, name) for name in HOOK_API]
    objects = _closure(api + list(policies))
    imports: list[str] = []
    for module in dict.fromkeys(sys.modules[o.__module__] for o in objects):
        imports += [line for line in _imports(module) if line not in imports and "TYPE_CHECKING" not in line]
    body = "\n\n\n".join(inspect.getsource(o).rstrip() for o in objects)
    return HOOKS_HEADER + "\n".join(imports) + "\n\n\n" + body + "\n"


def metrics_module() -> str:
    """metrics.py: the app's own validation metrics (it imports only torch)."""
    source = inspect.getsource(runtime.metrics)
    assert all(line.split()[1].split(".")[0] not in OURS for line in _imports(runtime.metrics))
    return source


def user_module(source: str, kind: str) -> str:
    """A code entry as a module: the names the app puts in scope, then the entry verbatim.

    A `from __future__` import of the entry moves above the header (Python wants it first).
    """
    lines = source.rstrip().splitlines()
    future = set()
    try:
        for node in ast.parse(source).body:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                future.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    except SyntaxError:
        pass
    header = "".join(lines[k] + "\n" for k in sorted(future)) + USER_HEADER
    if kind == "hook":
        header += "\nfrom hooks import " + ", ".join(HOOK_API) + "\n"
    body = "\n".join(line for k, line in enumerate(lines) if k not in future)
    return header + "\n" + body + "\n"
