"""Where in the project an unexpected failure happened: the node its traceback passes through.

A model that passed every check can still fail while training: a code node
that raises on real data, an index out of range on a batch the shape checks
never saw. The traceback runs through the generated module, whose lines the
compiler's source map ties to nodes and code entries, so the failure becomes
a record on that node (the canvas marks it, the Problems list selects it)
instead of a bare message.
"""

from __future__ import annotations

import ast
import traceback

from codegen.compiler import FILENAME, Compiled
from graph.codeinfo import CodeEntryError, read_code
from graph.document import Document
from graph.problems import Problem

HINT = "the run's log has the traceback"


def unlocated(exc: BaseException) -> Problem:
    """The record for a failure nothing can place: its type and first line."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return Problem(f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__, hint=HINT)


def failure_site(exc: BaseException, compiled: Compiled, doc: Document) -> Problem:
    """The record for `exc` on the innermost node of the generated model its traceback passes through.

    A line of a code entry inside that node is named too (`code entry 'trap', line 6`); a failure
    outside the model (a hook, the loss, the data) stays unlocated.
    """
    problem = unlocated(exc)
    entry: tuple[str, int] | None = None
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename != FILENAME or frame.lineno is None:
            continue
        entry = entry or compiled.source_map.code_entry_at_line(frame.lineno)
        node = compiled.source_map.node_at_line(frame.lineno)
        if node is None:
            continue
        scope, node_id = node
        graph = doc.scope(scope) if scope in doc.scopes() else None
        label = graph.nodes[node_id].label if graph is not None and node_id in graph.nodes else None
        return Problem(problem.message, scope, node_id, label=label, hint=HINT,
                       file=f"code entry {entry[0]!r}" if entry else None,
                       line=_entry_line(doc, *entry) if entry else None)
    return problem


def _entry_line(doc: Document, entry: str, within: int) -> int | None:
    """Line `within` of the entry's class or function, as a line of the entry's own text (its imports first)."""
    try:
        tree, defined = ast.parse(doc.code.get(entry, "")), read_code(doc.code.get(entry, "")).name
    except (SyntaxError, CodeEntryError):
        return None
    for top in tree.body:
        if isinstance(top, (ast.ClassDef, ast.FunctionDef)) and top.name == defined:
            return min([top.lineno, *(d.lineno for d in top.decorator_list)]) + within - 1
    return None
