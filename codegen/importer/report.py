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


def max_abs_diff(a: object, b: object) -> float:
    """The largest difference between two outputs (tensors, or tuples/dicts of them)."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape:
            return float("inf")
        if not a.numel():
            return 0.0
        return float((a.detach().double() - b.detach().double()).abs().max())
    if isinstance(a, dict):
        a = [v for v in a.values() if v is not None]
    if isinstance(b, dict):
        b = [v for v in b.values() if v is not None]
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if len(a) == 1 and not isinstance(b, (tuple, list)):
            return max_abs_diff(a[0], b)
        pairs = list(zip(a, b, strict=False))
        return max((max_abs_diff(x, y) for x, y in pairs), default=0.0)
    if isinstance(a, (tuple, list)) and len(a) >= 1:
        return max_abs_diff(a[0], b)
    return float("inf")


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
