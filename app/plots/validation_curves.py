"""The validation curves, one per metric, each made before it is needed: a window's first run does not pay for them.

A curve with symbols is a `PlotDataItem` and a `ScatterPlotItem` (~8 ms to
make, most of the difference between a window's first run and a later one,
whose curves are kept). The window makes one unnamed curve per plot when it
opens; the first evaluation of a run names it (its legend entry) and colours
it. Curves beyond those are made when they come, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyqtgraph as pg

SYMBOL = {"symbol": "o", "symbolSize": 5}


def _curve(plot: pg.PlotItem, color: str, name: str | None = None) -> pg.PlotDataItem:
    return plot.plot([], [], pen=pg.mkPen(color, width=2), symbolBrush=color, name=name, **SYMBOL)


class ValidationCurves(dict):
    """name (`val_loss`, `val_accuracy`, ...) → its curve, on the plot `plot_of(name)` names."""

    def __init__(self, plots: dict[str, pg.PlotItem], plot_of: Callable[[str], str],
                 color_of: Callable[[str, int], str]) -> None:
        super().__init__()
        self.plots, self.plot_of, self.color_of = plots, plot_of, color_of
        self.spare = {key: _curve(plot, color_of(key, 0)) for key, plot in plots.items()}

    def curve(self, name: str) -> Any:
        """The curve of `name`, made (or taken from the spares) on first use."""
        if name in self:
            return self[name]
        key = self.plot_of(name)
        plot, color, label = self.plots[key], self.color_of(key, len(self)), name.replace("val_", "validation ")
        curve = self.spare.pop(key, None)
        if curve is None:
            curve = _curve(plot, color, label)
        else:
            curve.setPen(pg.mkPen(color, width=2))
            curve.setSymbolBrush(color)
            curve.opts["name"] = label
            plot.legend.addItem(curve, label)
        self[name] = curve
        return curve
