"""What makes a plot readable at a glance: axis labels that never crowd, decades on log axes,
legends beside the data instead of on it, and row labels that never overlap.

pyqtgraph's defaults are tuned for scientific displays with large windows:
8 pt tick labels, as many ticks as fit, log axes labelled at 2, 3, ... 9 as
well (which collide), legends floating over the curves. These pieces change
only the presentation and are shared by the dashboard and the layer
statistics.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPicture
from PySide6.QtWidgets import QGraphicsItem

TICK_PX = 11
#: The smallest distance between two labelled ticks, in pixels (a label and some air).
MIN_LABEL_GAP = 48
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def tick_font(px: int = TICK_PX) -> QFont:
    font = QFont()
    font.setPixelSize(px)
    return font


def decade_text(exponent: int) -> str:
    return "10" + str(exponent).translate(SUPERSCRIPT)


def log_text(value: float) -> str:
    """The label of a log-axis tick at log10(x) = value: 10ⁿ at decades, else 2×10ⁿ, or plain 0.5 / 20."""
    exponent = math.floor(value + 1e-9)
    mantissa = round(10 ** (value - exponent), 6)
    if abs(mantissa - 1) < 1e-6:
        return decade_text(exponent)
    if -2 <= exponent <= 3:
        return f"{mantissa * 10.0 ** exponent:g}"
    return f"{mantissa:g}×{decade_text(exponent)}"


class ReadableAxis(pg.AxisItem):
    """Labels only the major ticks, at least `MIN_LABEL_GAP` px apart; a log axis is labelled at decades.

    The space for the labels only grows: pyqtgraph narrowed an axis whenever its widest label got 10 px
    shorter (a falling loss moves its labels between "0.25" and "0.5") and widened it again, and each change
    relaid out the whole dashboard and painted it twice in that frame.
    """

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.setStyle(tickFont=tick_font(), tickTextOffset=4, autoExpandTextSpace=True, autoReduceTextSpace=False)
        # Its grid lines span the plot, so each frame's new points repainted the axis over them (text and grid,
        # ~1 ms an axis): a pixmap kept until its ticks or range change is copied instead.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._major_spacing: float | None = None
        self._labelled: set[float] = set()  # log-axis values that carry text (the rest are unlabelled marks)
        if orientation == "bottom":
            self.enableAutoSIPrefix(False)  # steps are plain counts: no "(x0.001)"

    def reserve(self, sample: str) -> None:
        """Room for labels as wide as `sample` from the start (a value axis: its width). An axis that grows for
        its first labels lays the whole dashboard out again (~20 ms), in the first run of every window."""
        extent = QFontMetricsF(self.style["tickFont"]).horizontalAdvance(sample)
        if self.orientation in ("left", "right"):
            self.textWidth = max(self.textWidth, extent)
            self._updateWidth()

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803 - pyqtgraph's names
        lo, hi = sorted((minVal, maxVal))
        room = max(2, int(size / MIN_LABEL_GAP))
        if self.logMode:
            first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
            count = last - first + 1
            if count < 2:  # less than two decades in view: 1-2-5 steps (or every digit) label the range
                return self._within_decades(lo, hi, room)
            step = max(1, math.ceil(count / room))
            majors = [float(v) for v in range(first, last + 1) if v % step == 0]
            minors: list[float] = []
            if step == 1 and size / max(hi - lo, 1e-9) >= 4 * MIN_LABEL_GAP / 3:  # room for 2..9 marks
                minors = [d + math.log10(m) for d in range(first - 1, last + 1) for m in range(2, 10)
                          if lo < d + math.log10(m) < hi]
            self._major_spacing = float(step)
            self._labelled = set(majors)
            return [(float(step), majors), (None, minors)]
        levels = super().tickValues(minVal, maxVal, size)
        if not levels:
            return levels
        spacing, values = levels[0]
        if len(values) > room:  # fewer labels, at a coarser "nice" spacing (×2, ×5, ×10, ...)
            for k in (2, 5, 10, 20, 50, 100, 200, 500, 1000):
                kept = [v for v in values if abs(round(v / (spacing * k)) * spacing * k - v) < spacing * 1e-6]
                if len(kept) <= room and kept:
                    values, spacing = kept, spacing * k
                    break
        self._major_spacing = spacing
        return [(spacing, values)] + [(s, []) for s, _ in levels[1:2]]

    def _within_decades(self, lo: float, hi: float, room: int):
        """Log ticks for a range narrower than two decades: 1, 2, 5 × 10ⁿ, or every digit when few fit."""
        for mantissas in ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
            values = [d + math.log10(m) for d in range(math.floor(lo) - 1, math.ceil(hi) + 1) for m in mantissas
                      if lo - 1e-9 <= d + math.log10(m) <= hi + 1e-9]
            if len(values) >= 2 or mantissas[-1] == 9:
                break
        if len(values) < 2:  # a sliver of a decade: evenly spaced round numbers, as on a linear axis
            span = 10 ** hi - 10 ** lo
            raw = span / max(2, min(room, 5))
            power = 10 ** math.floor(math.log10(raw))
            spacing = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
            values = [math.log10(k * spacing) for k in range(math.ceil(10 ** lo / spacing),
                                                              math.floor(10 ** hi / spacing) + 1) if k > 0]
        if len(values) > room:
            values = values[:: math.ceil(len(values) / room)]
        self._labelled = set(values)
        return [(None, values)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        if self.logMode:
            return [log_text(v) if v in self._labelled else "" for v in values]
        return super().tickStrings(values, scale, self._major_spacing or spacing)


#: Layouts between an axis and the dashboard's view: the plot's, the plot grid's, the view's.
LAYOUT_DEPTH = 3


def draw_ahead(axis: pg.AxisItem) -> bool:
    """Draws the picture the next paint of `axis` would draw, now; True when its labels need more room than the
    axis has (its new size is set; the picture is left for the paint, at that size).

    pyqtgraph measures tick labels while it paints them: an axis whose labels outgrew it (a fresh window's
    30 px against a learning rate's "0.001") widened after the frame was painted, and the whole dashboard was
    laid out and painted twice more. Measured before the paint, the frame's one paint shows the new layout.
    """
    if axis.picture is not None or not axis.isVisible():
        return False
    room = (axis.textWidth, axis.textHeight)
    picture = QPicture()
    painter = QPainter(picture)
    try:
        if axis.style["tickFont"]:
            painter.setFont(axis.style["tickFont"])
        specs = axis.generateDrawSpecs(painter)
        if specs is not None:
            axis.drawPicture(painter, *specs)
    finally:
        painter.end()
    if (axis.textWidth, axis.textHeight) != room:
        return True
    axis.picture = picture  # what `AxisItem.paint` would have drawn: it plays this one
    return False


def settle_axes(scene: pg.GraphicsScene, axes: list[pg.AxisItem]) -> bool:
    """Measures every axis' labels before a paint (`draw_ahead`) and lays the plots out at once if one grew,
    so the paint that follows is the frame's only one. True when the layout changed.

    Call it after `scene.prepareForPaint()`: the new sizes' view transforms are prepared again here (left to
    the paint, the curves' bounds changed while painting and asked for a second paint)."""
    if not any([draw_ahead(axis) for axis in axes]):  # a list: every axis is measured
        return False
    for _ in range(LAYOUT_DEPTH):  # each level's layout asks its parent's: one round per level
        QCoreApplication.sendPostedEvents(None, QEvent.LayoutRequest)
    scene.prepareForPaint()
    return True


def readable_axes() -> dict[str, ReadableAxis]:
    return {"left": ReadableAxis("left"), "bottom": ReadableAxis("bottom")}


#: One legend row: an entry's sample is 20 px tall (rows after the first overlap by the legend's -4 px spacing).
LEGEND_ROW_PX = 20


class LegendRoom(pg.GraphicsWidget):
    """A legend's place in its plot's layout: whole rows, reserved before the entries come.

    The legend itself floats over this room (a child of the plot, not a layout item). When it sat in the
    layout, every entry that came or went (the first batch, the first evaluation, a layer's curve) resized
    it, relaid out the whole dashboard (~10 ms) and painted it two more times: ~0.15 s at the start of every
    run. The room only changes height when the rows it reserves change (`reserve`) or the entries outgrow it.
    """

    def __init__(self, plot: pg.PlotItem, legend: pg.LegendItem, rows: int = 1) -> None:
        super().__init__(plot)
        self.legend = legend
        self.rows = 0
        self.reserve(rows)
        self.geometryChanged.connect(self._place)
        fit = legend.updateSize

        def update_size() -> None:  # after an entry came or went: the room grows only if the rows did
            fit()  # sizes the legend at (0, 0) of the plot: back into its room
            self._place()
            needed = legend.layout.rowCount()
            if needed > self.rows:
                self.reserve(needed)

        legend.updateSize = update_size

    def reserve(self, rows: int) -> None:
        """Room for `rows` rows of entries (one relayout when it changes; none when it stays)."""
        rows = max(1, rows)
        if rows != self.rows:
            self.rows = rows
            self.setFixedHeight(rows * LEGEND_ROW_PX)

    def _place(self) -> None:
        self.legend.setPos(self.pos())


def legend_below(plot: pg.PlotItem, columns: int = 3, rows: int = 1) -> pg.LegendItem:
    """A legend in its own row under the x axis: it never covers a curve, and curves named later join it
    without moving anything (`LegendRoom`); `legend.room.reserve(n)` makes room for n rows ahead."""
    legend = pg.LegendItem(colCount=columns, labelTextSize=f"{TICK_PX}px", verSpacing=-4, horSpacing=14)
    legend.setParentItem(plot)
    legend.room = LegendRoom(plot, legend, rows)
    plot.layout.addItem(legend.room, 4, 1)
    plot.layout.setRowSpacing(3, 0)
    plot.legend = legend
    return legend


def name_when_drawn(legend: pg.LegendItem, curve: pg.PlotDataItem, name: str) -> None:
    """The legend lists `curve` only while it holds points: before a run, "train" named nothing on the plot."""
    def follow(*_args) -> None:
        drawn = curve.xData is not None and len(curve.xData) > 0
        listed = any(sample.item is curve for sample, _ in legend.items)
        if drawn and not listed:
            legend.addItem(curve, name)
        elif listed and not drawn:
            legend.removeItem(curve)

    curve.sigPlotChanged.connect(follow)


class LayerAxis(pg.AxisItem):
    """Row labels for a layer × step heatmap: as many as fit a line apart, long names elided (…)."""

    def __init__(self, width_px: int = 150) -> None:
        super().__init__("left")
        self.setStyle(tickFont=tick_font(), tickTextOffset=4, autoExpandTextSpace=False)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # the map beside it redraws 5 times a second
        self.setWidth(width_px)
        self.names: list[str] = []
        self._metrics = QFontMetricsF(tick_font())

    def set_layers(self, names: list[str]) -> None:
        self.names = list(names)
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803
        if not self.names:
            return []
        lo, hi = sorted((minVal, maxVal))
        per_row = size / max(hi - lo, 1e-9)
        step = max(1, math.ceil(self._metrics.height() / max(per_row, 1e-9)))
        rows = [k for k in range(0, len(self.names), step) if lo - 0.5 <= k <= hi + 0.5]
        return [(float(step), [float(k) for k in rows])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        room = self.width() - 10
        return [self._metrics.elidedText(self.names[int(round(v))], Qt.ElideMiddle, room)
                if 0 <= int(round(v)) < len(self.names) else "" for v in values]

    def labels(self, size: float | None = None) -> list[tuple[float, str]]:
        """(row, text) of the labels drawn at the axis' current size (what a person sees)."""
        lo, hi = self.linkedView().viewRange()[1] if self.linkedView() is not None else (0, len(self.names))
        values = [v for _, vs in self.tickValues(lo, hi, size or self.height()) for v in vs]
        return list(zip(values, self.tickStrings(values, 1.0, 1.0), strict=True))
