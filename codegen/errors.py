"""The compiler's refusal: problems that point at the node (and line of user code) that caused them."""

from __future__ import annotations

from graph.problems import ProblemError


class CompileError(ProblemError):
    """The document cannot be compiled; `problems` say where and why."""
