"""The study's pictures, drawn with pyqtgraph from `runtime.study.results.StudyResults`.

Each view keeps its items and only changes their data (`setData`), like the
training dashboard; a redraw happens when new results arrive (about once a
second while trials run), not per event.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from runtime.study.results import StudyResults, TrialRow
from runtime.study.space import SearchParam

PALETTE = ["#4e9af1", "#f39c4e", "#5cc98b", "#e45d6a", "#b07be8", "#e0c04a", "#48c6c9", "#d77fb3"]


def short(path: str) -> str:
    """`recipe.optimizer.lr` → `optimizer.lr`, `block/fc1.out_features` stays."""
    return path.removeprefix("recipe.")


def _plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    widget = pg.PlotWidget()
    item = widget.getPlotItem()
    item.setTitle(title)
    item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    item.showGrid(x=True, y=True, alpha=0.25)
    widget.setMinimumHeight(160)
    return widget


class BestSoFarPlot:
    """Every complete trial's value (dots) and the best so far (a step line), against the trial number."""

    def __init__(self) -> None:
        self.widget = _plot("Best so far", "objective", "trial")
        self.dots = self.widget.plot([], [], pen=None, symbol="o", symbolSize=6, symbolBrush="#8aa4c8",
                                     name="trial")
        self.pruned = self.widget.plot([], [], pen=None, symbol="x", symbolSize=7, symbolBrush="#777",
                                       symbolPen="#999", name="pruned (last report)")
        self.best = self.widget.plot([], [], pen=pg.mkPen("#f39c4e", width=2), stepMode=None, name="best so far")
        self.points: list[tuple[int, float]] = []

    def show(self, results: StudyResults) -> None:
        done = [t for t in results.trials if t.state == "complete" and _finite(t.value)]
        self.dots.setData([t.number for t in done], [t.value for t in done])
        pruned = [t for t in results.trials if t.state == "pruned" and t.curve]
        self.pruned.setData([t.number for t in pruned], [t.curve[max(t.curve)] for t in pruned])
        self.points = results.best_so_far()
        if self.points:
            xs, ys = zip(*self.points, strict=True)
            # A staircase: the best holds until the next improvement.
            sx = np.repeat(np.array(xs, dtype=float), 2)[1:]
            sy = np.repeat(np.array(ys, dtype=float), 2)[:-1]
            last = max(t.number for t in results.trials) if results.trials else xs[-1]
            self.best.setData(np.append(sx, last), np.append(sy, ys[-1]))
        else:
            self.best.setData([], [])


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def axis_position(param: SearchParam, value: Any) -> float | None:
    """Where a value sits on its parallel axis, 0 (low) to 1 (high); choices in their listed order."""
    if param.kind == "choice":
        texts = [json.dumps(c, sort_keys=True) if not isinstance(c, str) else c for c in param.choices]
        text = value if isinstance(value, str) and value in texts else json.dumps(value, sort_keys=True)
        if text not in texts:
            return None
        return texts.index(text) / max(1, len(texts) - 1)
    if value is None:
        return None
    low, high, v = float(param.low), float(param.high), float(value)
    if param.log:
        low, high, v = math.log(low), math.log(high), math.log(max(v, 1e-300))
    return (v - low) / (high - low) if high > low else 0.5


BEST_COLOUR = "#ff5a5a"


def readable_colormap() -> pg.ColorMap:
    """Worst → best as slate blue → cyan → yellow: every step stays light enough to read on the dark plots.

    Viridis starts at near-black purple, which vanished on the plots' black
    background, so the worst trials could not be seen at all.
    """
    return pg.ColorMap([0.0, 0.5, 1.0], [(110, 130, 190), (70, 200, 200), (250, 225, 60)])


class ParallelCoordinates:
    """One line per finished trial through one axis per parameter and the objective; colour = objective."""

    def __init__(self) -> None:
        self.widget = _plot("Parallel coordinates", "position in range (low → high)", "")
        self.widget.getPlotItem().hideAxis("left")
        self.widget.setMouseEnabled(x=False, y=False)
        self.lines: list[pg.PlotDataItem] = []
        self.labels: list[pg.TextItem] = []
        self.colormap = readable_colormap()
        #: Per trial line (trial number → pen), for tests and tooltips; axes are not in it.
        self.pens: dict[int, Any] = {}

    def show(self, results: StudyResults) -> None:
        params = results.setup.params
        trials = [t for t in results.trials if t.state == "complete" and _finite(t.value)]
        axes = [short(p.path) for p in params] + [results.setup.metric]
        plot = self.widget.getPlotItem()
        plot.getAxis("bottom").setTicks([list(enumerate(axes))])
        for item in self.lines:
            plot.removeItem(item)
        self.lines = []
        for text in self.labels:
            plot.removeItem(text)
        self.labels = []
        for k in range(len(axes)):
            self.lines.append(plot.plot([k, k], [0, 1], pen=pg.mkPen("#666", width=1)))
        if not trials:
            return
        values = [t.value for t in trials]
        lo, hi = min(values), max(values)
        span = hi - lo or 1.0
        best = results.best
        self.pens = {}
        ranked = sorted(trials, key=lambda t: t.value, reverse=not results.maximize)  # worst first, best on top
        top = max(1, len(ranked) // 5)  # the best fifth is drawn wider
        for rank, t in enumerate(ranked):
            ys = [axis_position(p, t.params.get(p.path)) for p in params] + [(t.value - lo) / span]
            xs = [k for k, y in enumerate(ys) if y is not None]
            ys = [y for y in ys if y is not None]
            goodness = (t.value - lo) / span if results.maximize else (hi - t.value) / span
            is_best = best is not None and t.number == best.number
            if is_best:
                pen = pg.mkPen(BEST_COLOUR, width=3.5)
            else:
                pen = pg.mkPen(self.colormap.map(goodness, mode="qcolor"),
                               width=2.2 if rank >= len(ranked) - top else 1.3)
            self.pens[t.number] = pen
            line = plot.plot(xs, ys, pen=pen)
            line.setZValue(2 if is_best else 1)
            self.lines.append(line)
        for k, p in enumerate(params):
            ends = ("first", "last") if p.kind == "choice" else (f"{p.low:g}", f"{p.high:g}")
            for y, text in ((0.0, ends[0]), (1.0, ends[1])):
                label = pg.TextItem(text, color="#aaa", anchor=(0.5, 1.2 if y else -0.2))
                label.setPos(k, y)
                plot.addItem(label)
                self.labels.append(label)
        for y, v in ((0.0, lo), (1.0, hi)):
            label = pg.TextItem(f"{v:.4g}", color="#aaa", anchor=(0.5, 1.2 if y else -0.2))
            label.setPos(len(params), y)
            plot.addItem(label)
            self.labels.append(label)
        plot.setXRange(-0.3, len(axes) - 0.7, padding=0)
        plot.setYRange(-0.1, 1.1, padding=0)


class ImportanceBars:
    """Optuna's fANOVA importances as horizontal bars (share of the objective's variance)."""

    def __init__(self) -> None:
        self.widget = _plot("Parameter importances (fANOVA)", "", "share of the objective's variance")
        self.bars: pg.BarGraphItem | None = None
        self.values: dict[str, float] = {}
        self.note = pg.TextItem("", color="#aaa")
        self.widget.addItem(self.note)

    def show(self, results: StudyResults) -> None:
        plot = self.widget.getPlotItem()
        if self.bars is not None:
            plot.removeItem(self.bars)
            self.bars = None
        self.values = dict(results.importances)
        if not self.values:
            self.note.setText("importances appear after two complete trials")
            self.note.setPos(0, 0)
            return
        self.note.setText("")
        names = list(self.values)[::-1]  # the largest on top
        ys = list(range(len(names)))
        self.bars = pg.BarGraphItem(x0=0, y=ys, height=0.6, width=[self.values[n] for n in names],
                                    brush="#4e9af1")
        plot.addItem(self.bars)
        plot.getAxis("left").setTicks([[(y, short(n)) for y, n in zip(ys, names, strict=True)]])
        plot.setXRange(0, 1, padding=0.02)
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)


class TrialCurves:
    """The objective after each epoch of the selected trials, overlaid (what the pruner compared)."""

    def __init__(self) -> None:
        self.widget = _plot("Selected trials", "objective", "epoch")
        self.legend = self.widget.getPlotItem().addLegend(offset=(-10, 10))
        self.curves: dict[int, pg.PlotDataItem] = {}

    def show(self, trials: list[TrialRow]) -> None:
        plot = self.widget.getPlotItem()
        keep = {t.number for t in trials}
        for number in [n for n in self.curves if n not in keep]:
            plot.removeItem(self.curves.pop(number))
        for k, t in enumerate(sorted(trials, key=lambda t: t.number)):
            epochs = sorted(t.curve)
            xs = [e + 1 for e in epochs]
            ys = [t.curve[e] for e in epochs]
            if t.number not in self.curves:
                colour = QColor(PALETTE[k % len(PALETTE)])
                self.curves[t.number] = plot.plot(xs, ys, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=4,
                                                  symbolBrush=colour, name=f"trial {t.number} ({t.state})")
            else:
                self.curves[t.number].setData(xs, ys)
