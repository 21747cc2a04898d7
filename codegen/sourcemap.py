"""Which lines of the generated text belong to which node, and back.

The writer knows which node wrote each line of a class (`ClassText.owners`).
A formatter may re-wrap those lines (one statement over several lines) but
never merges, splits or reorders statements, so the k-th statement of a
class in any text of the module is the k-th statement the writer wrote: the
map pairs them up, statement by statement, and so stays right however
`ruff format` wrapped the text.

Statements are found by a small scanner (`statements`) that follows strings,
comments and brackets, not by parsing the module: CPython's parser on one
class of 2,000 statements cost more per node the bigger the class grew, and
the map is remade on every compile. Only the text before the first model
class (support helpers and pasted code, whose size does not grow with the
graph) is parsed, and only when the module holds code entries.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


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


class MappedClass(Protocol):
    """What the map needs of a written class (`codegen.writer.ClassText`)."""

    scope: str
    #: The class body as the writer wrote it (without the `class` line), and which node wrote each line.
    lines: list[str]
    owners: list[str | None]


#: What can hide a line break or a statement's start from a line-by-line reading: strings (triple-quoted ones
#: span lines), comments, brackets, backslash continuations; and the start of each line's code. Most lines
#: of a model class (no string, brackets one deep and closed) are read in one match (`line`).
_PLAIN = r"[^\n\#\"'()\[\]{}\\]"
_TOKEN = re.compile(rf'''
    (?P<line>^(?P<indent>[ \t]*)[^\s\#"'()\[\]{{}}\\]{_PLAIN}*(?:\({_PLAIN}*\){_PLAIN}*)*(?:\#[^\n]*)?\n)
  | (?P<start>^[ \t]*(?=[^\s\#]))
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)|\'\'\'(?:[^'\\]|\\.|'(?!''))*(?:\'\'\'|\Z)
             |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<comment>\#[^\n]*)
  | (?P<open>[(\[{{])
  | (?P<close>[)\]}}])
  | (?P<joined>\\\r?\n)
  | (?P<newline>\n)
''', re.VERBOSE | re.MULTILINE | re.DOTALL)


def statements(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[tuple[int, int, int]]:
    """(first line, last line, indent) of each statement (logical line) in `text[pos:endpos]`, lines
    counted from 1 at `pos`. Blank and comment-only lines belong to no statement; a compound
    statement's header (`for …:`) is one statement and each line of its body another."""
    depth, line, start, indent = 0, 1, 0, 0
    for m in _TOKEN.finditer(text, pos, len(text) if endpos is None else endpos):
        kind = m.lastgroup
        if kind == "line":  # a whole line, its brackets closed: a statement of its own, or the end of one
            if depth == 0:
                if start:
                    yield start, line, indent
                    start = 0
                else:
                    yield line, line, m.end("indent") - m.start()
            line += 1
        elif kind == "start":
            if depth == 0 and not start:
                start, indent = line, m.end() - m.start()
        elif kind == "newline":
            if depth == 0 and start:
                yield start, line, indent
                start = 0
            line += 1
        elif kind == "string":
            line += m.group().count("\n")
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "joined":
            line += 1
    if start:
        yield start, line, indent


def statement_owners(cls: MappedClass) -> list[str | None]:
    """The node that wrote each statement of the class body, in order (None: the class's own lines)."""
    text = "\n".join(cls.lines) + "\n"
    owners = cls.owners
    if text.count("\n") != len(owners):  # an entry holding line breaks (a docstring): owners by physical line
        owners = [owner for line, owner in zip(cls.lines, owners, strict=True) for _ in range(line.count("\n") + 1)]
    return [owners[first - 1] for first, _, _ in statements(text)]


def _class_starts(source: str, names: Sequence[str]) -> dict[str, int]:
    """Offset of each class's `class` line. Searched from the end: only the model's classes and the
    metadata block (which holds no such line) follow the first of them, while pasted code before
    them may mention anything."""
    found: dict[str, int] = {}
    end = len(source)
    for name in reversed(names):
        at = source.rfind(f"\nclass {name}(", 0, end)
        if at < 0:
            continue
        found[name] = end = at + 1
    return found


def _class_spans(source: str, start: int, line: int, cls: MappedClass) -> list[Span]:
    """Spans of the statements the graph's nodes wrote in the class whose `class` line starts at
    offset `start`, line `line`."""
    body = source.find("\n", start) + 1
    if body == 0:
        return []
    found: list[tuple[int, int]] = []
    for first, last, indent in statements(source, body):
        if indent == 0:
            break  # the class ended
        found.append((line + first, line + last))
    owners = statement_owners(cls)
    if len(found) != len(owners):  # not the writer's statements (text edited by hand): map nothing rather than wrong
        return []
    return [Span(first, last, cls.scope, owner) for (first, last), owner in zip(found, owners, strict=True)
            if owner is not None]


def _code_spans(prefix: str, code_entries: Mapping[str, str]) -> list[Span]:
    """Spans of the classes/functions that pasted code entries define (in the text before the model's classes)."""
    spans: list[Span] = []
    by_name = {name: entry for entry, name in code_entries.items()}
    for top in ast.parse(prefix).body:
        if isinstance(top, (ast.ClassDef, ast.FunctionDef)) and top.name in by_name:
            first = min([top.lineno, *(d.lineno for d in top.decorator_list)])
            spans.append(Span(first, top.end_lineno or top.lineno, "", code_entry=by_name[top.name]))
    return spans


def build_source_map(source: str, classes: Mapping[str, MappedClass], code_entries: Mapping[str, str]) -> SourceMap:
    """`classes`: class name → the written class, in the order the module holds them; `code_entries`:
    entry → the name it defines. `source` is the module as written or as any formatter left it."""
    starts = _class_starts(source, list(classes))
    ordered = sorted(starts.items(), key=lambda item: item[1])
    spans: list[Span] = []
    if code_entries:
        spans += _code_spans(source[:ordered[0][1]] if ordered else source, code_entries)
    offset, line = 0, 1
    for name, start in ordered:
        line += source.count("\n", offset, start)
        offset = start
        spans += _class_spans(source, start, line, classes[name])
    return SourceMap(spans)
