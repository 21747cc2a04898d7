"""One figure of a study's results for a file: `torchcanvas study ... --plot OUT.png`.

One numeric parameter searched: the objective (and the training loss, when
trials measured it) against that parameter's values, on a log axis when the
range is searched on one; anything else: every trial's value and the best so
far against the trial number. Read through `runtime.study.results`, the
same records the Experiments panel draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from runtime.study.plots import line_plot
from runtime.study.results import StudyResults


@dataclass
class Figure:
    x: list[float]
    series: dict[str, list[float]]
    title: str
    xlabel: str
    ylabel: str
    log_x: bool = False


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def figure_of(results: StudyResults) -> Figure:
    """What the plot shows; ValueError when no trial is complete."""
    done = [t for t in results.trials if t.state == "complete" and _number(t.value) is not None]
    if not done:
        raise ValueError(f"study {results.name!r} has no complete trial to plot")
    metric, params = results.setup.metric, results.setup.params
    points = [(_number(t.params.get(params[0].path)), t) for t in done] if len(params) == 1 else []
    if points and all(x is not None for x, _ in points):
        points.sort(key=lambda p: p[0])
        xs = [x for x, _ in points]
        series = {f"{metric} (validation)": [t.value for _, t in points]}
        if all(t.train_loss is not None for _, t in points):
            series["loss on the training set"] = [t.train_loss for _, t in points]
        p = params[0]
        log_x = p.log if p.kind != "choice" else min(xs) > 0 and max(xs) / min(xs) >= 20
        return Figure(xs, series, f"Study {results.name!r}: {metric} against {p.path}", p.path, metric, log_x)
    best = results.best_so_far()
    by_number = {t.number: t.value for t in done}
    return Figure([n for n, _ in best], {f"{metric} of the trial": [by_number[n] for n, _ in best],
                                         "best so far": [v for _, v in best]},
                  f"Study {results.name!r}: {metric} per complete trial", "trial", metric)


def study_plot(results: StudyResults, path: Path, marks: dict[str, float] | None = None) -> Path:
    """Draws the study into `path` (PNG, SVG or PDF by its suffix)."""
    f = figure_of(results)
    return line_plot(path, f.x, f.series, title=f.title, xlabel=f.xlabel, ylabel=f.ylabel, log_x=f.log_x,
                     marks=marks)
