"""Readable labels for imported operations: the variable names of the original forward.

torch.fx names nodes after their operation (`view_3`); the person who wrote
the forward named them (`q, k, v = ...`, `att = ...`). The tracer records the
forward's line for every node, and this module reads that forward's
assignments with `ast`, so the last operation of `att = (q @ k) * s` is
labelled `att` and the pieces of `q, k, v = x.split(...)` get q, k, v.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from torch import fx, nn


def assignment_targets(module: nn.Module) -> dict[int, list[str | None]]:
    """Absolute line number of each assignment statement's last line → its target names."""
    forward = type(module).forward
    try:
        lines, start = inspect.getsourcelines(forward)
    except (OSError, TypeError):
        return {}
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return {}
    found: dict[int, list[str | None]] = {}
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target: Any = stmt.targets[0]
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and stmt.value is not None:
            target = stmt.target
        else:
            continue
        if isinstance(target, ast.Name):
            names: list[str | None] = [target.id]
        elif isinstance(target, (ast.Tuple, ast.List)):
            names = [t.id if isinstance(t, ast.Name) else None for t in target.elts]
        else:
            continue
        for line in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1):
            found[start + line - 1] = names
    return found


def labels_for(graph: fx.Graph, lines: dict[fx.Node, int], module: nn.Module) -> dict[fx.Node, str]:
    """Labels from assignment targets for the nodes whose value a statement assigns."""
    targets = assignment_targets(module)
    if not targets:
        return {}
    by_line: dict[int, list[fx.Node]] = {}
    for node in graph.nodes:
        if node in lines and lines[node] in targets:
            by_line.setdefault(lines[node], []).append(node)
    out: dict[fx.Node, str] = {}
    for line, nodes in by_line.items():
        names = targets[line]
        if len(names) == 1 and names[0]:
            out[nodes[-1]] = names[0]
            continue
        last = nodes[-1]
        pieces = [n for n in nodes if n.op == "call_function" and n.target.__name__ == "getitem"
                  and n.args[0] is (last.args[0] if last.args else None)]
        for n in pieces:
            index = n.args[1]
            if isinstance(index, int) and 0 <= index < len(names) and names[index]:
                out[n] = names[index]  # type: ignore[assignment]
    return out
