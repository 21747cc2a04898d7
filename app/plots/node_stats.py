"""Statistics of the selected layer: its norms over recent steps and its latest output distribution.

Real outputs get one histogram. Complex outputs get what a complex number
has: a histogram of the magnitude |z|, one of the phase ∠z over (−π, π], and
the real part against the imaginary part as a scatter of sampled points.
Gradient and weight norms are drawn only for layers that own parameters.
"""

from __future__ import annotations

import math
import time

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.plots.buffers import Series
from app.plots.empty_state import EmptyPlotText
from app.plots.legible import legend_below, readable_axes

#: Node statistics plots are never shorter than this (the dock scrolls instead).
MIN_PLOT_PX = 150

SELECT_TEXT = "Select a layer on the canvas to see its statistics during training."


def _histogram_plot(title: str, x_label: str, color: str) -> tuple[pg.PlotWidget, pg.BarGraphItem]:
    plot = pg.PlotWidget(title=title, axisItems=readable_axes())
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", "count")
    bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush=color)
    plot.addItem(bars)
    return plot, bars


def _set_bars(bars: pg.BarGraphItem, counts: tuple[float, ...], edges: tuple[float, ...]) -> None:
    width = (edges[1] - edges[0]) if len(edges) > 1 else 1.0
    bars.setOpts(x=[(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)], height=list(counts),
                 width=width)


class NodeStatsView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel(SELECT_TEXT)
        self.title.setWordWrap(True)
        self.plot = pg.PlotWidget(title="norms over steps", axisItems=readable_axes())
        self.plot.setLogMode(y=True)
        self.plot.setLabel("bottom", "step")
        self.legend = legend_below(self.plot.getPlotItem(), columns=2)
        self.grad_curve = self.plot.plot([], [], pen=pg.mkPen("#4fc3f7", width=1.5), name="gradient norm")
        self.weight_curve = self.plot.plot([], [], pen=pg.mkPen("#ffb74d", width=1.5), name="weight norm")
        self.norms_empty = EmptyPlotText(self.plot.getPlotItem(), "the layer's norms appear as it trains")
        for curve in (self.grad_curve, self.weight_curve):
            self.norms_empty.watch(curve)
        self.hist_plot, self.bars = _histogram_plot("output distribution (latest)", "value", "#81c784")
        self.phase_plot, self.phase_bars = _histogram_plot("phase ∠z (latest)", "∠z (radians)", "#ba68c8")
        self.phase_plot.setXRange(-math.pi, math.pi)
        self.scatter_plot = pg.PlotWidget(title="real vs imaginary (sample)", axisItems=readable_axes())
        self.scatter_plot.setLabel("bottom", "Re z")
        self.scatter_plot.setLabel("left", "Im z")
        self.scatter_plot.setAspectLocked(True)
        self.scatter = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush("#4fc3f7aa"))
        self.scatter_plot.addItem(self.scatter)
        for plot in (self.plot, self.hist_plot, self.phase_plot, self.scatter_plot):  # never squeezed unreadable
            plot.setMinimumHeight(MIN_PLOT_PX)
            plot.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        complex_row = QHBoxLayout()
        complex_row.addWidget(self.phase_plot)
        complex_row.addWidget(self.scatter_plot)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.hist_plot, 1)
        layout.addLayout(complex_row, 1)
        self.activations: dict[str, object] = {}
        self.layer: str | None = None
        self.grads: dict[str, Series] = {}
        self.weights: dict[str, Series] = {}
        #: Layers that own parameters (from the run's start), so norms are shown only for them.
        self.param_layers: set[str] | None = None
        self._drawn_at = 0.0
        self._show_complex(False)

    def handle(self, events: list) -> None:
        """Stores the numbers; draws the selected layer at most 5 times a second, and only when on screen."""
        for e in events:
            kind = getattr(e, "kind", "")
            if kind == "fit_started":
                self.grads, self.weights = {}, {}
                self.param_layers = set(e.layers)
            elif kind == "activation_stats":
                self.activations[e.node] = e
        batches = [e for e in events if getattr(e, "kind", "") == "batch_ended" and e.weight_norms]
        for target, field in ((self.grads, "grad_norms"), (self.weights, "weight_norms")):
            per_layer: dict[str, tuple[list[int], list[float]]] = {}
            for e in batches:
                for name, v in getattr(e, field).items():
                    xs, ys = per_layer.setdefault(name, ([], []))
                    xs.append(e.step)
                    ys.append(max(v, 1e-12))
            for name, (xs, ys) in per_layer.items():
                target.setdefault(name, Series()).extend(xs, ys)
        now = time.monotonic()
        if self.layer and now - self._drawn_at >= 0.2 and self.isVisible() and not self.window().isMinimized():
            self._drawn_at = now
            self._draw()

    def flush(self) -> None:
        """Draws the latest numbers now (the run ended)."""
        if self.layer:
            self._draw()

    def clear(self) -> None:
        """Forgets the layer and its numbers (another project, or a new run of another model)."""
        self.layer = None
        self.grads, self.weights, self.activations = {}, {}, {}
        self.grad_curve.setData([], [])
        self.weight_curve.setData([], [])
        self.bars.setOpts(x=[], height=[], width=1.0)
        self.title.setText(SELECT_TEXT)

    def show_layer(self, name: str) -> None:
        self.layer = name
        self._draw()

    def has_parameters(self, name: str) -> bool:
        if self.param_layers is not None:
            return name in self.param_layers
        return name in self.weights

    def _show_complex(self, shown: bool) -> None:
        self.phase_plot.setVisible(shown)
        self.scatter_plot.setVisible(shown)

    def _draw(self) -> None:
        layer = self.layer or ""
        g, w = self.grads.get(layer), self.weights.get(layer)
        stats = self.activations.get(layer)
        if g is None and w is None and stats is None:
            self.title.setText(f"{self.layer}: no statistics yet (train to see them)")
            return
        with_norms = self.has_parameters(layer)
        self.plot.setVisible(with_norms)
        if with_norms:
            last_g = f"{g.y[-1]:.3g}" if g is not None and g.n else "–"
            last_w = f"{w.y[-1]:.3g}" if w is not None and w.n else "–"
            text = f"<b>{self.layer}</b>: gradient norm {last_g} · weight norm {last_w}"
        else:
            text = f"<b>{self.layer}</b> (no weights of its own)"
        if stats is not None:
            _set_bars(self.bars, stats.histogram, stats.edges)
            is_complex = bool(getattr(stats, "is_complex", False))
            self._show_complex(is_complex)
            if is_complex:
                self.hist_plot.setTitle("magnitude |z| (latest)")
                self.hist_plot.setLabel("bottom", "|z|")
                _set_bars(self.phase_bars, stats.phase_histogram, stats.phase_edges)
                self.scatter.setData(list(stats.sample_real), list(stats.sample_imag))
                text += f" · |z| mean {stats.mean:.3g}, std {stats.std:.3g} (complex, step {stats.step})"
            else:
                self.hist_plot.setTitle("output distribution (latest)")
                self.hist_plot.setLabel("bottom", "value")
                text += f" · output mean {stats.mean:.3g}, std {stats.std:.3g} (step {stats.step})"
        self.title.setText(text)
        if with_norms and g is not None:
            self.grad_curve.setData(g.x[-500:], g.y[-500:])
        if with_norms and w is not None:
            self.weight_curve.setData(w.x[-500:], w.y[-500:])
