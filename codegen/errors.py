"""Errors that point at the node (and line of user code) that caused them."""

from __future__ import annotations

from graph.validate import Issue


class CompileError(Exception):
    """The document cannot be compiled; `issues` say where and why."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        lines = [str(i) for i in issues[:10]]
        if len(issues) > 10:
            lines.append(f"... and {len(issues) - 10} more")
        super().__init__("\n".join(lines))
