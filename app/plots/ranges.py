"""A plot's view range set from the running min/max of its data, changed only when the data leaves it.

pyqtgraph's auto-range recomputes every curve's bounds on every frame and,
since the step axis grows with each batch, set a new range every frame: the
axes regenerated their ticks and the whole plot repainted, the largest part of
the window's CPU while training. Here each plot keeps the bounds of what it
shows (a new block of points costs one min/max over the block), the step axis
spans the whole run from its first batch (the run's length is known; the
curve grows across a fixed axis, as in MATLAB's training progress plot), and
the value axis changes only when a point falls outside it, with a margin in
the direction of the change, so a falling loss moves the axis a handful of
times per run instead of on every frame.

A person who zooms or pans a plot owns its range until they press the plot's
auto-range button ("A"), which hands it back; a zoom of a plot that shows no
data yet keeps nothing.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

#: Padding around the data, as a share of its span (what pyqtgraph's auto-range adds, roughly).
PAD = 0.05
#: When the data leaves the range, the new range reaches this share of the span further in that direction.
AHEAD = 0.15
#: A range more than this many times the data's span is recomputed (the data shrank: a new run, overlays cleared).
LOOSE = 3.0


def finite_bounds(values: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of the finite values, None when there is none."""
    values = np.asarray(values, dtype=float)
    if not values.size:
        return None
    lo, hi = float(np.min(values)), float(np.max(values))
    if math.isfinite(lo) and math.isfinite(hi):
        return lo, hi
    finite = values[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else None


def _merge(a: tuple[float, float] | None, b: tuple[float, float] | None) -> tuple[float, float] | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), max(a[1], b[1])


def _padded(lo: float, hi: float) -> tuple[float, float]:
    span = hi - lo
    if span <= 0:
        half = abs(lo) * 0.1 or 0.5
        return lo - half, hi + half
    return lo - PAD * span, hi + PAD * span


def follow(shown: tuple[float, float] | None, data: tuple[float, float]) -> tuple[float, float]:
    """The range to show `data` in: `shown` while it holds the data and is not far too loose, else a new one
    with room ahead in the direction the data moved."""
    lo, hi = _padded(*data)
    if shown is not None:
        s_lo, s_hi = shown
        inside = s_lo <= data[0] and data[1] <= s_hi
        if inside and (s_hi - s_lo) <= LOOSE * (hi - lo):
            return shown
        span = hi - lo
        if data[0] < s_lo:
            lo -= AHEAD * span
        if data[1] > s_hi:
            hi += AHEAD * span
    return lo, hi


class RangeKeeper:
    """Owns one plot's view range while it follows the data (see the module's docstring)."""

    def __init__(self, plot: pg.PlotItem, x: bool = True, y: bool = True, log_y: bool = False,
                 x_from_zero: bool = True, y_from_zero: bool = False) -> None:
        self.plot = plot
        self.box = plot.getViewBox()
        self.keep_x, self.keep_y, self.log_y = x, y, log_y
        #: The step axis starts at 0 (a resumed run shows where in the run it is); the value axis at 0 (a rate).
        self.x_from_zero, self.y_from_zero = x_from_zero, y_from_zero
        self.box.enableAutoRange(x=False if x else None, y=False if y else None)  # an axis not kept is left alone
        self.following = True
        self._taking_back = False
        #: Ranges set so far (a benchmark and the tests read it: it should grow a handful of times per run).
        self.changes = 0
        self.reset()
        self.box.sigRangeChangedManually.connect(self._person_moved)
        self.box.sigStateChanged.connect(self._auto_button)

    def reset(self) -> None:
        """Forgets the data (a new run); the next `apply` fits what is shown from then on."""
        self.x: tuple[float, float] | None = None
        self.y: tuple[float, float] | None = None
        self.x_end: float | None = None
        self.shown: tuple[tuple[float, float] | None, tuple[float, float] | None] = (None, None)

    def expect_steps(self, last: float) -> None:
        """The step axis reaches `last` from the start (the run's total steps)."""
        self.x_end = float(last)

    def include(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """A block of new points (x in steps; y as stored, linear even on a log axis)."""
        if self.keep_x:
            self.x = _merge(self.x, finite_bounds(xs))
        if self.keep_y:
            ys = np.asarray(ys, dtype=float)
            if self.log_y:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ys = np.log10(ys[ys > 0])
            self.y = _merge(self.y, finite_bounds(ys))

    def set_x(self, lo: float, hi: float) -> None:
        """The steps shown, replacing what was included (a heatmap that keeps only its last steps)."""
        self.x = (float(lo), float(hi))

    def target(self) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
        x_range = None
        if self.keep_x and self.x is not None:
            lo, hi = self.x
            lo = min(lo, 0.0) if self.x_from_zero else lo
            if self.x_end is not None and self.x_end >= hi:
                x_range = (lo, self.x_end)
            else:
                x_range = follow(self.shown[0], (lo, hi))
        y_range = None
        if self.keep_y and self.y is not None:
            data = (min(self.y[0], 0.0), self.y[1]) if self.y_from_zero else self.y
            y_range = follow(self.shown[1], data)
            if self.y_from_zero and data[0] >= 0:
                y_range = (0.0, y_range[1])
        return x_range, y_range

    def apply(self) -> bool:
        """Sets the range if the data left it; True when it changed."""
        if not self.following:
            return False
        target = self.target()
        if target == self.shown:
            return False
        self.shown = target
        x_range, y_range = target
        self.box.setRange(xRange=x_range, yRange=y_range, padding=0)
        self.changes += 1
        return True

    def _person_moved(self, *_args) -> None:
        """A zoom or a pan: the range is theirs until they press "A". Not a zoom of a plot that shows nothing
        yet (a wheel after F5, before the first batch): that range holds no data to look at, and keeping it
        would keep the run's curve out of view."""
        if self.shown != (None, None):
            self.following = False

    def _auto_button(self, *_args) -> None:
        auto = self.box.state["autoRange"]
        if self._taking_back or not ((self.keep_x and auto[0]) or (self.keep_y and auto[1])):
            return
        self._taking_back = True  # turning auto-range off emits the signal that called this again
        try:
            self.box.enableAutoRange(x=False if self.keep_x else None, y=False if self.keep_y else None)
        finally:
            self._taking_back = False
        self.following = True
        self.shown = (None, None)
        self.apply()
