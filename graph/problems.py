"""The one record every analysis reports: what is wrong, where, and what to do.

Graph validation, shape inference, recipe and dataset checks, the memory
estimate and the training worker all produce `Problem`s. They are plain data
(`to_dict`/`from_dict`), so they cross the worker-process boundary unchanged,
and every view (the Problems list, a node's error badge, `torchcanvas check`,
the train pre-flight) renders the same records. Nothing downstream parses
message text to find out where a problem is: the location is in the fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

Severity = Literal["error", "warning"]

ROOT_SCOPE = ""  # the model itself (graph.document.ROOT)


@dataclass(frozen=True)
class Problem:
    """One problem with a project, pointing at where it is.

    Exactly the fields that apply are set: a node (`scope` + `node_id`, with
    `label`, and `param` or `port`), a recipe setting (`recipe_path`, e.g.
    ``recipe.optimizer.lr``), or a file and line (a code entry, a data file).
    """

    message: str
    scope: str = ROOT_SCOPE
    node_id: str | None = None
    port: str | None = None
    param: str | None = None
    severity: Severity = "error"
    label: str | None = None
    recipe_path: str | None = None
    file: str | None = None
    line: int | None = None
    hint: str = ""
    #: A place inside `file` other than its line: a JSON path (``nodes[2].params``), a column.
    at: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def param_path(self) -> str | None:
        """A node parameter named as the inspector and a study name it: ``fc1.out_features``, ``block/conv.stride``."""
        if self.node_id is None or not self.param:
            return None
        scope = f"{self.scope}/" if self.scope != ROOT_SCOPE else ""
        return f"{scope}{self.label or self.node_id}.{self.param}"

    def where(self) -> str:
        parts = []
        if self.param_path is not None:
            parts.append(self.param_path)
        else:
            if self.scope != ROOT_SCOPE:
                parts.append(f"group {self.scope}")
            if self.node_id is not None:
                parts.append(f"node {self.label or self.node_id!s}")
            if self.param:
                parts.append(f"parameter {self.param}")
        if self.port:
            parts.append(f"port {self.port}")
        if self.recipe_path:
            parts.append(self.recipe_path)
        if self.file:
            parts.append(self.file + (f", line {self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.at:
            parts.append(self.at)
        return ", ".join(parts)

    def text(self) -> str:
        """`where: message (hint)` without the severity: one line a person can act on."""
        hint = f" ({self.hint})" if self.hint else ""
        where = self.where()
        return f"{where}: {self.message}{hint}" if where else f"{self.message}{hint}"

    def __str__(self) -> str:
        return f"{self.severity}: {self.text()}"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "") or k == "message"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


class ProblemError(Exception):
    """An operation refused because of problems; `problems` say where and why.

    The base of every expected failure (compile, recipe, dataset, training),
    so callers catch one type and render records, never class names.
    """

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        lines = [p.text() if p.is_error else str(p) for p in self.problems[:10]]
        if len(self.problems) > 10:
            lines.append(f"... and {len(self.problems) - 10} more")
        super().__init__("\n".join(lines))
