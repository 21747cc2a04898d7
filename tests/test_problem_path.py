"""The problem record is the only error path to the window (issue #13): no view reads an exception's text.

Every `except ... as exc` in app/ hands `exc` to `problems_of()` (which return the records it
carries) or reads its `.problems`; error dialogs are opened by app/problem_view.py alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TO_RECORDS = {"problems_of", "print_error", "report_crash"}  # the last two: the command line's own
DIALOGS = {"critical", "warning"}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _text_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = _parents(tree)
    found = []
    for handler in ast.walk(tree):
        if not isinstance(handler, ast.ExceptHandler) or handler.name is None:
            continue
        for node in ast.walk(handler):
            if not (isinstance(node, ast.Name) and node.id == handler.name and isinstance(node.ctx, ast.Load)):
                continue
            parent = parents[node]
            if isinstance(parent, ast.Call) and node in parent.args and \
                    getattr(parent.func, "id", getattr(parent.func, "attr", None)) in TO_RECORDS:
                continue
            if isinstance(parent, ast.Attribute) and parent.attr == "problems":
                continue
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _dialogs(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in DIALOGS and getattr(node.value, "id", "") == "QMessageBox"]


def test_no_view_reads_an_exceptions_text():
    files = sorted((ROOT / "app").rglob("*.py"))
    assert len(files) > 40
    assert [hit for f in files for hit in _text_reads(f)] == []


def test_error_dialogs_are_opened_by_the_problem_view_alone():
    files = [f for f in sorted((ROOT / "app").rglob("*.py")) if f.name != "problem_view.py"]
    assert [hit for f in files for hit in _dialogs(f)] == []
    assert _dialogs(ROOT / "app" / "problem_view.py")  # the check sees them where they are
