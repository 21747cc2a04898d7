"""The one-row summary of an import: nodes, groups, opaque nodes, how exactly it reproduces the original.

The CLI prints it, the GUI's import dialog shows it, and the zoo tests print a
table of them, so all three say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from graph.document import Document
from graph.kinds import kind_of

HEADER = ("model", "nodes", "groups", "opaque", "max abs diff", "seconds")


@dataclass(frozen=True)
class ImportSummary:
    model: str
    nodes: int
    groups: int
    opaque: int
    max_abs_diff: float | None
    seconds: float
    #: what could not be kept as it was (e.g. tied weights imported as separate copies)
    notes: tuple[str, ...] = ()

    def cells(self) -> tuple[str, ...]:
        diff = "n/a" if self.max_abs_diff is None else f"{self.max_abs_diff:.2e}"
        return (self.model, str(self.nodes), str(self.groups), str(self.opaque), diff, f"{self.seconds:.1f}")

    def line(self) -> str:
        return ", ".join(f"{h}: {c}" for h, c in zip(HEADER[1:], self.cells()[1:], strict=True))


def count(doc: Document) -> tuple[int, int, int]:
    """(nodes in every scope, groups, nodes that keep a module whole)."""
    nodes = sum(len(doc.scope(s).nodes) for s in doc.scopes())
    opaque = sum(1 for s in doc.scopes() for n in doc.scope(s).nodes.values() if kind_of(n.type).runs_user_code or getattr(kind_of(n.type), "is_opaque", False))
    return nodes, len(doc.groups), opaque


def _tensors(value: object) -> list[torch.Tensor]:
    """The tensors of an output, in order (a model output's empty fields left out)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = [v for v in value.values() if v is not None]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def max_abs_diff(a: object, b: object) -> float:
    """The largest difference between two outputs (tensors, or tuples/dicts of them); inf if they differ in form."""
    xs, ys = _tensors(a), _tensors(b)
    if not xs or len(xs) != len(ys):
        return float("inf")
    worst = 0.0
    for x, y in zip(xs, ys, strict=True):
        if x.shape != y.shape:
            return float("inf")
        if x.numel():
            worst = max(worst, float((x.detach().double() - y.detach().double()).abs().max()))
    return worst


def compare(original: nn.Module, rebuilt: nn.Module, inputs: list[torch.Tensor]) -> float:
    """Both in eval mode on the same inputs; the largest output difference."""
    original.eval()
    rebuilt.eval()
    with torch.no_grad():
        return max_abs_diff(rebuilt(*inputs), original(*inputs))


def table(rows: list[ImportSummary]) -> str:
    cells = [HEADER, *(r.cells() for r in rows)]
    widths = [max(len(c[k]) for c in cells) for k in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths,
                                                                                            strict=True)))
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
