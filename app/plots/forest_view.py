"""The forest while it trains: each member's contribution to the validation loss, and when members joined.

A member's contribution is the validation loss without it minus the loss
with every member (`runtime.forest_monitor`): above zero the member helps.
One curve per member over the run's steps, and the latest values as bars.
`GrowthMarkers` puts a dashed vertical line on a plot (the dashboard's loss
plot) at every step a member joined.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.plots.buffers import Series

COLORS = ["#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292"]


class GrowthMarkers:
    """Dashed vertical lines at the steps where a forest grew, labelled with its new size."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.lines: list[pg.InfiniteLine] = []

    def handle(self, events: list) -> None:
        for e in events:
            if getattr(e, "kind", "") == "hook_decision" and e.decision == "grow":
                members = int(e.detail.get("members", 0))
                line = pg.InfiniteLine(pos=e.step, angle=90, pen=pg.mkPen("#ba68c8", width=1.2, dash=[4, 4]),
                                       label=f"member {members}" if members else "grow",
                                       labelOpts={"position": 0.92, "color": "#ba68c8"})
                self.plot.addItem(line)
                self.lines.append(line)

    def steps(self) -> list[float]:
        return [line.value() for line in self.lines]

    def clear(self) -> None:
        for line in self.lines:
            self.plot.removeItem(line)
        self.lines = []


class ForestView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel("Train a project with a Forest node to see what each member contributes.")
        self.title.setWordWrap(True)
        self.view = pg.GraphicsLayoutWidget()
        self.curve_plot = self.view.addPlot(row=0, col=0, title="contribution to validation loss per member")
        self.curve_plot.setLabel("bottom", "step")
        self.curve_plot.setLabel("left", "loss without it − loss")
        self.curve_plot.showGrid(x=True, y=True, alpha=0.15)
        self.curve_plot.addLine(y=0, pen=pg.mkPen("#777", width=1))
        self.legend = self.curve_plot.addLegend(offset=(10, 10), labelTextSize="8pt")
        self.bar_plot = self.view.addPlot(row=0, col=1, title="latest")
        self.bar_plot.setLabel("bottom", "member")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#81c784")
        self.bar_plot.addItem(self.bars)
        self.markers = GrowthMarkers(self.curve_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view)
        self.series: dict[int, Series] = {}
        self.curves: dict[int, pg.PlotDataItem] = {}
        self.latest: tuple[float, ...] = ()

    def handle(self, events: list) -> None:
        changed = False
        for e in events:
            kind = getattr(e, "kind", "")
            if kind == "fit_started":
                self.clear()
            elif kind == "member_contributions":
                for k, value in enumerate(e.contributions):
                    self.series.setdefault(k, Series()).append(e.step, value)
                self.latest = tuple(e.contributions)
                self.title.setText(f"{e.forest}: validation loss {e.loss:.4g} with all {len(e.contributions)} "
                                   f"members (step {e.step}); above 0 a member helps")
                changed = True
        self.markers.handle(events)
        if changed:
            self.draw()

    def draw(self) -> None:
        for k, s in self.series.items():
            if k not in self.curves:
                color = COLORS[k % len(COLORS)]
                self.curves[k] = self.curve_plot.plot([], [], pen=pg.mkPen(color, width=1.6), symbol="o",
                                                      symbolSize=4, symbolBrush=color, name=f"member {k}")
            self.curves[k].setData(s.x, s.y)
        self.bars.setOpts(x=list(range(len(self.latest))), height=list(self.latest),
                          brushes=[COLORS[k % len(COLORS)] for k in range(len(self.latest))])

    def clear(self) -> None:
        for curve in self.curves.values():
            self.curve_plot.removeItem(curve)
            self.legend.removeItem(curve)
        self.curves, self.series, self.latest = {}, {}, ()
        self.markers.clear()
        self.bars.setOpts(x=[], height=[])
