"""A hook's step decisions (accepted, reverted + noise) as a counted band under the loss plot.

One marker per step on the loss curve merges into a solid band after a few
hundred steps; at 10,000 steps nothing can be read from it. Here the steps are
binned to a few pixels each and every bin shows the share of reverted (red)
and accepted (green) steps, under the loss plot and on its step axis, with the
totals in the band's title, so the pattern stays readable at any length.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.plots.buffers import Series
from app.plots.legible import TICK_PX

#: Pixels of plot width per bin (the band has at most width / BIN_PX bars).
BIN_PX = 5
COLORS = {"reverted": "#ef5350", "accepted": "#66bb6a", "other": "#9e9e9e"}


def kind_of_decision(decision: str) -> str:
    if decision.startswith("reverted"):
        return "reverted"
    return "accepted" if decision == "accepted" else "other"


class DecisionBand(pg.PlotItem):
    """Share of each decision per bin of steps; x-linked to the plot it sits under."""

    def __init__(self, under: pg.PlotItem) -> None:
        super().__init__()
        self.setXLink(under)
        self.setMaximumHeight(58)
        self.setMinimumHeight(58)
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setMouseEnabled(x=False, y=False)
        self.setYRange(0, 1, padding=0)
        self.hideButtons()
        self.steps = {kind: Series() for kind in COLORS}
        self.counts = dict.fromkeys(COLORS, 0)
        self.bars = {kind: pg.BarGraphItem(x=[], height=[], width=1.0, brush=color, pen=pg.mkPen(None))
                     for kind, color in COLORS.items()}
        for bar in self.bars.values():
            self.addItem(bar)
        self.version = 0
        self._drawn = (-1, -1.0)
        self._bars = 0
        self.setVisible(False)
        self.getViewBox().sigXRangeChanged.connect(lambda *_: self.redraw())

    def add(self, step: int, decision: str) -> None:
        kind = kind_of_decision(decision)
        self.steps[kind].append(step, 1.0)
        self.counts[kind] += 1
        self.version += 1

    def clear_data(self) -> None:
        for s in self.steps.values():
            s.clear()
        self.counts = dict.fromkeys(COLORS, 0)
        self.version += 1
        self.redraw()

    def title(self) -> str:
        parts = [f"{kind} {n:,}" for kind, n in self.counts.items() if n]
        return "decisions per step: " + " · ".join(parts) if parts else ""

    def bar_count(self) -> int:
        return self._bars

    def redraw(self) -> None:
        """Rebins (only when the data or the visible step range changed)."""
        total = sum(self.counts.values())
        self.setVisible(total > 0)
        if not total:
            return
        first = min(float(s.x.min()) for s in self.steps.values() if s.n)
        last = max(float(s.x.max()) for s in self.steps.values() if s.n)
        lo, hi = self.getViewBox().viewRange()[0]
        lo, hi = max(lo, first), min(hi, last)
        if hi < lo:  # the view is elsewhere (or not laid out yet): bin all the data
            lo, hi = first, last
        width_px = max(self.getViewBox().width(), 50.0)
        key = (self.version, round(lo, 3), round(hi, 3), round(width_px))
        if key == self._drawn:
            return
        self._drawn = key
        size = max(1, int(np.ceil((hi - lo + 1) / np.clip(width_px / BIN_PX, 10, 400))))  # whole steps per bin
        start = np.floor(lo / size) * size
        edges = np.arange(start - 0.5, hi + size + 0.5, size)
        bins = len(edges) - 1
        counts = {kind: np.histogram(s.x, edges)[0].astype(float) for kind, s in self.steps.items()}
        per_bin = sum(counts.values())
        has = per_bin > 0
        centres, width = (edges[:-1] + edges[1:]) / 2, (edges[1] - edges[0]) * 0.92
        base = np.zeros(bins)
        for kind, bar in self.bars.items():
            share = np.divide(counts[kind], per_bin, out=np.zeros(bins), where=has)
            bar.setOpts(x=centres[has], height=share[has], y0=base[has], width=width)
            base = base + share
        self._bars = int(has.sum())
        self.setTitle(f"<span style='font-size:{TICK_PX}px; color:#c8ccd4'>{self.title()}</span>")
