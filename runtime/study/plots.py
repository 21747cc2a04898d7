"""Figures of a study's results for files (matplotlib, Agg backend: no window, no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def line_plot(path: Path, x: Sequence[float], series: dict[str, Sequence[float]], *, title: str, xlabel: str,
              ylabel: str, log_x: bool = False, marks: dict[str, float] | None = None) -> Path:
    """Lines with markers against x, real axes and a legend; `marks` draws labelled vertical lines."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.6), dpi=110)
    axes = figure.add_subplot()
    for name, ys in series.items():
        axes.plot(x, ys, marker="o", markersize=4, linewidth=1.6, label=name)
    for label, where in (marks or {}).items():
        axes.axvline(where, color="0.4", linestyle="--", linewidth=1)
        axes.annotate(label, (where, 1), xycoords=("data", "axes fraction"), xytext=(4, -14),
                      textcoords="offset points", fontsize=8, color="0.3")
    if log_x:
        axes.set_xscale("log")
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path
