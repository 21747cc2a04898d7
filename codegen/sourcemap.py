"""Which lines of the generated text belong to which node, and back.

Built from the final (formatted) text with `ast`, by the names the compiler
gave each node — attributes in __init__, variables in forward — so the map
stays right however the formatter wrapped the lines.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    start: int  # 1-based, inclusive
    end: int
    scope: str
    node_id: str | None = None
    code_entry: str | None = None


@dataclass
class SourceMap:
    spans: list[Span] = field(default_factory=list)

    def lines_for_node(self, scope: str, node_id: str) -> list[tuple[int, int]]:
        return [(s.start, s.end) for s in self.spans if s.scope == scope and s.node_id == node_id]

    def node_at_line(self, line: int) -> tuple[str, str] | None:
        for s in self.spans:
            if s.node_id is not None and s.start <= line <= s.end:
                return s.scope, s.node_id
        return None

    def code_entry_at_line(self, line: int) -> tuple[str, int] | None:
        """(entry name, line within the entry's class/function) for a line of pasted user code."""
        for s in self.spans:
            if s.code_entry is not None and s.start <= line <= s.end:
                return s.code_entry, line - s.start + 1
        return None


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _names(elt)]
    return []


def _self_attr(target: ast.expr) -> str | None:
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return target.attr
    return None


def _statement_nodes(stmt: ast.stmt, attrs: dict[str, str], vars_: dict[str, str]) -> set[str]:
    found: set[str] = set()
    if isinstance(stmt, ast.Assign):
        for t in stmt.targets:
            if (a := _self_attr(t)) in attrs:
                found.add(attrs[a])
            found |= {vars_[n] for n in _names(t) if n in vars_}
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute) and (a := _self_attr(func.value)) in attrs:
            found.add(attrs[a])
    elif isinstance(stmt, ast.For):
        if isinstance(stmt.iter, ast.Attribute) and (a := _self_attr(stmt.iter)) in attrs:
            found.add(attrs[a])
    return found


def build_source_map(source: str, classes: dict[str, Any], code_entries: dict[str, str]) -> SourceMap:
    """`classes`: class name → object with .scope, .attrs, .vars; `code_entries`: entry → defined name."""
    tree = ast.parse(source)
    spans: list[Span] = []
    by_name = {name: entry for entry, name in code_entries.items()}
    for top in tree.body:
        if isinstance(top, (ast.ClassDef, ast.FunctionDef)) and top.name in by_name:
            start = min([top.lineno, *(d.lineno for d in getattr(top, "decorator_list", []))])
            spans.append(Span(start, top.end_lineno or top.lineno, "", code_entry=by_name[top.name]))
        if not isinstance(top, ast.ClassDef) or top.name not in classes:
            continue
        cls = classes[top.name]
        for fn in top.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            for stmt in fn.body:
                for nid in _statement_nodes(stmt, cls.attrs, cls.vars):
                    spans.append(Span(stmt.lineno, stmt.end_lineno or stmt.lineno, cls.scope, nid))
    return SourceMap(spans)
