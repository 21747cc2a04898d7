"""Latest statistics of the selected layer: gradient and weight norm over recent steps."""

from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.plots.buffers import Series


class NodeStatsView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel("Select a layer on the canvas to see its statistics during training.")
        self.title.setWordWrap(True)
        self.plot = pg.PlotWidget(title="norms over steps")
        self.plot.setLogMode(y=True)
        self.plot.addLegend()
        self.grad_curve = self.plot.plot([], [], pen=pg.mkPen("#4fc3f7", width=1.5), name="gradient norm")
        self.weight_curve = self.plot.plot([], [], pen=pg.mkPen("#ffb74d", width=1.5), name="weight norm")
        self.hist_plot = pg.PlotWidget(title="output distribution (latest)")
        self.bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush="#81c784")
        self.hist_plot.addItem(self.bars)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.plot)
        layout.addWidget(self.hist_plot)
        self.activations: dict[str, object] = {}
        self.layer: str | None = None
        self.grads: dict[str, Series] = {}
        self.weights: dict[str, Series] = {}
        self._drawn_at = 0.0

    def handle(self, events: list) -> None:
        """Stores the numbers; draws the selected layer at most 5 times a second, and only when on screen."""
        for e in events:
            kind = getattr(e, "kind", "")
            if kind == "fit_started":
                self.grads, self.weights = {}, {}
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

    def show_layer(self, name: str) -> None:
        self.layer = name
        self._draw()

    def _draw(self) -> None:
        g, w = self.grads.get(self.layer or ""), self.weights.get(self.layer or "")
        if g is None and w is None and (self.layer or "") not in self.activations:
            self.title.setText(f"{self.layer}: no statistics yet (train to see them)")
            return
        last_g = f"{g.y[-1]:.3g}" if g is not None and g.n else "–"
        last_w = f"{w.y[-1]:.3g}" if w is not None and w.n else "–"
        text = f"<b>{self.layer}</b>: gradient norm {last_g} · weight norm {last_w}"
        stats = self.activations.get(self.layer or "")
        if stats is not None:
            edges = stats.edges
            width = (edges[1] - edges[0]) if len(edges) > 1 else 1.0
            self.bars.setOpts(x=[(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)],
                              height=list(stats.histogram), width=width)
            text += f" · output mean {stats.mean:.3g}, std {stats.std:.3g} (step {stats.step})"
        self.title.setText(text)
        if g is not None:
            self.grad_curve.setData(g.x[-500:], g.y[-500:])
        if w is not None:
            self.weight_curve.setData(w.x[-500:], w.y[-500:])
