"""An empty plot says when its data will come, and shows no numbers on its axes until then.

Before the first evaluation the validation plot showed ticks 0…1 on both axes,
which read as data. `EmptyPlotText` watches the plot's data items: while none
holds a point it shows one line in the middle of the plot and gives both axes an
empty tick list; the first point brings the ticks back and hides the line.
"""

from __future__ import annotations

import html

import pyqtgraph as pg

AXES = ("bottom", "left")


class EmptyPlotText:
    def __init__(self, plot: pg.PlotItem, text: str, color: str = "#8a93a6", has_data=None) -> None:
        self.plot = plot
        #: () → bool for a plot whose data is not a curve (an image); by default its curves hold a point.
        self.has_data = has_data or self._curves_have_points
        self.color = color
        self.label = pg.TextItem(anchor=(0.5, 0.5))
        self.label.setParentItem(plot.getViewBox())  # in the box's pixels: stays centred whatever the range
        plot.getViewBox().sigResized.connect(self._centre)
        self._text = ""
        self._empty: bool | None = None
        self.set_text(text)
        self.update()

    def text(self) -> str:
        return self._text

    def isVisible(self) -> bool:  # noqa: N802 - reads like the Qt item it stands for
        return self.label.isVisible()

    def set_text(self, text: str) -> None:
        self._text = text
        self.label.setHtml(f"<div style='text-align:center; color:{self.color}'>{html.escape(text)}</div>")
        self._centre()

    def watch(self, item: pg.PlotDataItem) -> None:
        """Data set on `item` (or cleared) updates the empty state."""
        item.sigPlotChanged.connect(self.update)
        self.update()

    def _curves_have_points(self) -> bool:
        return any(item.xData is not None and len(item.xData) for item in self.plot.listDataItems())

    def update(self, *_args) -> None:
        empty = not self.has_data()
        if empty == self._empty:
            return
        self._empty = empty
        self.label.setVisible(empty)
        for side in AXES:
            self.plot.getAxis(side).setTicks([[], []] if empty else None)
        if empty:
            self._centre()

    def _centre(self, *_args) -> None:
        rect = self.plot.getViewBox().boundingRect()
        self.label.setTextWidth(max(60.0, rect.width() - 16))  # wraps in a narrow plot instead of being cut
        self.label.setPos(rect.center())


def validation_text(every: int, steps_per_epoch: int | None = None) -> str:
    """When the validation set is scored (`Recipe.eval_every`: batches, 0 = once per epoch)."""
    if every > 0:
        return f"validation runs every {every} steps"
    if steps_per_epoch:
        return f"validation runs at the end of each epoch (every {steps_per_epoch} steps)"
    return "validation runs at the end of each epoch"
