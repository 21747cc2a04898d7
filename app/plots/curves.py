"""A per-batch curve that stays cheap to draw however long the run: one place for what makes it so.

Peak downsampling and clip-to-view keep the points drawn near twice the plot's
width in pixels. A pen wider than 1 px, antialiased and drawn as one polyline,
goes through Qt's path stroker: the smoothed loss at 2 px took 5.5 ms of a
9.5 ms dashboard paint at the end of the digits MLP run. Drawn as line segments
it takes ~2 ms and looks the same (opaque pens only: where segments meet, a
translucent pen would show the overlap).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg


def per_batch_curve(plot: pg.PlotItem, color: str, width: float = 1.5, name: str | None = None, **kw: Any):
    """An empty curve on `plot`, for data that grows by a block of batches each frame."""
    pen = pg.mkPen(color, width=width, **kw)
    item = plot.plot([], [], pen=pen, name=name, skipFiniteCheck=True)
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    if width > 1.0 and pen.color().alphaF() == 1.0:
        item.curve.setSegmentedLineMode("on")
    return item
