"""The training dashboard: loss, validation metrics, learning rate, per-layer norms and a heatmap.

`handle(events)` only queues what came; the next frame takes the queue in at
once (one NumPy slice and one range update per series, however many blocks
came since), so the 10 blocks a second cost next to nothing between frames.
Only new data asks for a frame: a one-shot timer, armed for when the
`FramePacer` allows one (the window's process stays within a small share of a
core: fewer frames when frames are expensive, down to one every two seconds),
so nothing wakes the window while no data arrives. Nothing is drawn while the
dashboard is hidden, behind another tab or minimised; what waits is drawn
when it is shown. `refresh()` calls `setData` once per curve whose data
changed; layer curves and the heatmap redraw at most 5 times a second. Each
plot's range follows the running min/max of its data (`app.plots.ranges`), so
a frame that only adds points does not regenerate the axes. Curves use peak
downsampling and clip-to-view, so long runs stay smooth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.plots.buffers import LayerMatrix, Series
from app.plots.csv_export import write_csv
from app.plots.curves import per_batch_curve
from app.plots.decisions import DecisionBand
from app.plots.empty_state import EmptyPlotText, validation_text
from app.plots.legible import (
    LayerAxis,
    ReadableAxis,
    legend_below,
    name_when_drawn,
    readable_axes,
    settle_axes,
)
from app.plots.pacing import FramePacer
from app.plots.ranges import RangeKeeper
from app.plots.validation_curves import ValidationCurves

PALETTE = ["#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292", "#a1887f",
           "#90a4ae", "#aed581", "#7986cb"]
FPS = 30
GRAD_COLUMNS = 3
#: A layer's gradient-norm curve: antialiased pens wider than 1 px go through Qt's slow path stroker (~10×).
LAYER_PEN_PX = 1.0
TAKE_IN_AT = 20_000  # queued events taken in without a frame (a hidden dashboard keeps its memory bounded)


def validation_plot(name: str) -> str:
    """The plot a validation series is drawn on (and whose range it widens): the loss beside the training
    loss, every other metric on the metrics plot."""
    return "loss" if name == "val_loss" else "metric"


class TrainingPlots(QWidget):
    def __init__(self, smoothing: float = 0.95) -> None:
        super().__init__()
        pg.setConfigOptions(antialias=True, background="#1b1d23", foreground="#c8ccd4")
        self.smoothing = smoothing
        self.view = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.paused_badge = QLabel("‖  Paused", self)  # U+2016: in every font; ⏸ is often a box
        self.paused_badge.setStyleSheet("background: #ffb74d; color: #1b1d23; font-weight: bold; font-size: 11pt;"
                                        " padding: 4px 12px; border-radius: 4px;")
        self.paused_badge.hide()
        plot = self.view.addPlot
        self.loss_plot = plot(row=0, col=0, title="loss", axisItems=readable_axes())
        self.metric_plot = plot(row=0, col=1, title="validation metrics", axisItems=readable_axes())
        self.rate_plot = plot(row=0, col=2, title="learning rate", axisItems=readable_axes())
        self.decision_band = DecisionBand(self.loss_plot)
        self.view.addItem(self.decision_band, row=1, col=0)
        self.grad_plot = plot(row=2, col=0, title="gradient norm per layer (click a legend entry to hide it)",
                              axisItems=readable_axes())
        self.heat_axis = LayerAxis()
        self.heat_plot = plot(row=2, col=1, colspan=2, title="log₁₀ gradient norm: layer × step",
                              axisItems={"left": self.heat_axis, "bottom": ReadableAxis("bottom")})
        self.view.ci.layout.setRowStretchFactor(0, 3)
        self.view.ci.layout.setRowStretchFactor(2, 3)
        for p in (self.loss_plot, self.metric_plot, self.rate_plot, self.grad_plot):
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setLabel("bottom", "step")
        self.grad_plot.setLogMode(y=True)
        #: Each plot's range follows its data without pyqtgraph's per-frame auto-range (`app.plots.ranges`).
        self.ranges = {"loss": RangeKeeper(self.loss_plot), "metric": RangeKeeper(self.metric_plot),
                       "rate": RangeKeeper(self.rate_plot, y_from_zero=True),
                       "grad": RangeKeeper(self.grad_plot, log_y=True),
                       "heat": RangeKeeper(self.heat_plot, y=False, x_from_zero=False)}
        self.rate_plot.getAxis("left").enableAutoSIPrefix(True)
        self.rate_plot.getAxis("left").reserve("0.0005")  # learning rates from 0.1 to 1e-4, ticks included
        self.loss_legend = legend_below(self.loss_plot, columns=3)
        self.metric_legend = legend_below(self.metric_plot, columns=2)
        self.grad_legend = legend_below(self.grad_plot, columns=GRAD_COLUMNS)
        legend_below(self.rate_plot)  # no entries: its row keeps the step axis in line with the two beside it
        self.metric_empty = EmptyPlotText(self.metric_plot, "validation metrics appear after the first evaluation")
        # The other plots too: before a run their axes showed 0…1 (and the log axes a stray 10¹), read as data.
        self.empties = [self.metric_empty,
                        EmptyPlotText(self.loss_plot, "the training loss appears with the first batch"),
                        EmptyPlotText(self.rate_plot, "the learning rate appears with the first batch"),
                        EmptyPlotText(self.grad_plot, "each layer's gradient norm appears with the first batch")]
        self._eval_every = 0
        self.series: dict[str, Series] = {name: Series() for name in (
            "loss", "loss_smooth", "lr", "samples_per_s", "decisions_reverted", "decisions_accepted")}
        self.curves: dict[str, Any] = {
            "loss": per_batch_curve(self.loss_plot, "#4fc3f766", 1.0),
            "loss_smooth": per_batch_curve(self.loss_plot, "#4fc3f7", 2.0),
            "lr": per_batch_curve(self.rate_plot, "#ffb74d", 1.5),
        }
        name_when_drawn(self.loss_legend, self.curves["loss"], "train (raw)")
        name_when_drawn(self.loss_legend, self.curves["loss_smooth"], "train (smoothed)")
        for name, empty in (("loss", self.empties[1]), ("loss_smooth", self.empties[1]), ("lr", self.empties[2])):
            empty.watch(self.curves[name])
        #: Made when the window opens (`app.plots.validation_curves`): the first run does not pay for them.
        self.val_curves = ValidationCurves({"loss": self.loss_plot, "metric": self.metric_plot}, validation_plot,
                                           lambda plot, n: "#ff8a65" if plot == "loss" else PALETTE[(n + 2) % len(PALETTE)])
        self.layer_series: dict[str, Series] = {}
        self.layer_curves: dict[str, Any] = {}
        self.heat = LayerMatrix()
        self.heat_image = pg.ImageItem()
        self.heat_image.setColorMap(pg.colormap.get("viridis"))
        self.heat_plot.addItem(self.heat_image)
        self.empties.append(EmptyPlotText(self.heat_plot, "layers × steps appear with the first batch",
                                          has_data=lambda: self.heat_image.image is not None))
        self.heat_plot.setLabel("bottom", "step")
        self.heat_plot.invertY(True)
        self._axes = [p.getAxis(side) for p in (self.loss_plot, self.metric_plot, self.rate_plot, self.grad_plot,
                                                self.heat_plot) for side in ("left", "bottom")]
        self.overlays: list[Any] = []
        self._overlay_groups: dict[str, int] = {}
        self._named: set[str] = set()
        self.counts_: dict[str, int] = {}
        self._drawn: dict[str, int] = {}
        self._changes = 0  # what `_changed` let through, so a refresh knows whether it set anything
        self._pending = False  # events came in since the last complete frame
        self._queue: list = []  # handed in, not yet taken in (`take_in`)
        self._ema: float | None = None
        self._slow_drawn = 0.0
        self._last_loss = 0.0
        self._loss_at: dict[int, float] = {}
        self._heat_layers: list[str] = []
        #: Frames that drew something (the benchmark reports frames per second).
        self.frames = 0
        self.pacer = FramePacer(max_fps=FPS)
        #: One shot, armed by new data for when the pacer allows the next frame: asleep while nothing arrives.
        self.timer = QTimer(self, singleShot=True)
        self.timer.timeout.connect(self._tick)
        #: False: frames only when `refresh` is called (tests that draw by hand).
        self.auto_frames = True
        self._watched_window: QObject | None = None

    def expect_validation(self, every: int) -> None:
        """How often the run about to start scores the validation set (`Recipe.eval_every`), for the empty plot."""
        self._eval_every = every
        self.metric_empty.set_text(validation_text(every))

    def set_paused(self, paused: bool) -> None:
        """A badge over the plots while training is paused (the curves stop for a reason)."""
        self.paused_badge.setVisible(paused)
        self._place_badge()

    def _place_badge(self) -> None:
        self.paused_badge.adjustSize()
        self.paused_badge.move((self.width() - self.paused_badge.width()) // 2, 6)
        self.paused_badge.raise_()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_badge()

    # -- data in ------------------------------------------------------------------------
    def handle(self, events: list) -> None:
        """Queues a block of events for the next frame (see the module's docstring)."""
        if not events:
            return
        self._queue += events
        self._pending = True
        if len(self._queue) >= TAKE_IN_AT or any(getattr(e, "kind", "") == "fit_started" for e in events):
            self.take_in()  # a run's start sets up axes, legend rows and the empty plot's words at once
        self._arm()

    def take_in(self) -> None:
        """Stores what was queued: one run of batches between the events that must see them in order."""
        events, self._queue = self._queue, []
        batches: list = []
        evals: dict[str, tuple[list, list]] = {}
        for e in events:
            kind = getattr(e, "kind", "")
            if kind == "batch_ended":
                batches.append(e)
                continue
            if kind == "eval_ended":
                for name, value in e.metrics.items():
                    self.series.setdefault(name, Series()).append(e.step, value)
                    if name.startswith("val_"):
                        xs, ys = evals.setdefault(validation_plot(name), ([], []))
                        xs.append(e.step)
                        ys.append(value)
                if not any(n.startswith("val_") and validation_plot(n) == "metric" for n in e.metrics):
                    self._metric_text("no validation metric besides the loss (on the loss plot)")
                continue
            if kind not in ("hook_decision", "fit_started"):
                continue  # the end of an epoch, a checkpoint, activation statistics: not drawn here
            if batches:  # in order: a decision refers to the loss of its own step, a new run starts afresh
                self._batches(batches)
                batches = []
            if kind == "hook_decision":
                self.counts_[e.decision] = self.counts_.get(e.decision, 0) + 1
                self.decision_band.add(e.step, e.decision)
                y = self._loss_at.get(e.step, self._last_loss)
                if e.decision.startswith("reverted"):
                    self.series["decisions_reverted"].append(e.step, y)
                elif e.decision == "accepted":
                    self.series["decisions_accepted"].append(e.step, y)
            elif kind == "fit_started":
                self._ema = None
                for keeper in self.ranges.values():
                    keeper.expect_steps(e.total_steps)
                self.grad_legend.room.reserve(-(-len(e.layers) // GRAD_COLUMNS))  # a row per 3 layers, ahead
                self._metric_text(validation_text(self._eval_every, e.steps_per_epoch))
        if batches:
            self._batches(batches)
        for plot, (xs, ys) in evals.items():
            self.ranges[plot].include(xs, ys)

    def _metric_text(self, text: str) -> None:
        if self.metric_empty.text() != text:
            self.metric_empty.set_text(text)

    def _batches(self, batch: list) -> None:
        """A run of batch events: one extend per series."""
        steps = [e.step for e in batch]
        losses = [e.loss for e in batch]
        self.series["loss"].extend(steps, losses)
        ema, a, smooth = self._ema, self.smoothing, []
        for v in losses:
            ema = v if ema is None else a * ema + (1 - a) * v
            smooth.append(ema)
        self._ema = ema
        self.series["loss_smooth"].extend(steps, smooth)
        rates = [e.lr for e in batch]
        self.series["lr"].extend(steps, rates)
        self.ranges["loss"].include(steps, losses)  # the smoothed curve lies within the raw one's bounds
        self.ranges["rate"].include(steps, rates)
        self.series["samples_per_s"].extend(steps, [e.samples_per_s for e in batch])
        self._last_loss = losses[-1]
        self._loss_at.update(zip(steps, losses, strict=True))
        if len(self._loss_at) > 4096:
            self._loss_at = dict(list(self._loss_at.items())[-2048:])
        with_norms = [e for e in batch if e.grad_norms]
        if with_norms:
            per_layer: dict[str, tuple[list[int], list[float]]] = {}
            for e in with_norms:
                for name, value in e.grad_norms.items():
                    xs, ys = per_layer.setdefault(name, ([], []))
                    xs.append(e.step)
                    ys.append(max(value, 1e-12))
            for name, (xs, ys) in per_layer.items():
                self.layer_series.setdefault(name, Series()).extend(xs, ys)
            self.ranges["grad"].include([x for xs, _ in per_layer.values() for x in xs],  # once, all layers
                                        [y for _, ys in per_layer.values() for y in ys])
            self.heat.add_many([(e.step, e.grad_norms) for e in with_norms])

    # -- drawing ------------------------------------------------------------------------
    def _changed(self, key: str, version: int) -> bool:
        if self._drawn.get(key) == version:
            return False
        self._drawn[key] = version
        self._changes += 1
        return True

    def showing(self) -> bool:
        """On screen: visible (a dock tab behind another is hidden) and the window not minimised."""
        return self.isVisible() and not self.window().isMinimized()

    def _arm(self) -> None:
        """A frame for the data that came, when the pacer allows it; nothing while hidden (shown: `showEvent`,
        restored: `eventFilter`)."""
        if self.auto_frames and self._pending and not self.timer.isActive() and self.showing():
            self.timer.start(int(1000 * self.pacer.wait()))

    def _tick(self) -> None:
        if self._pending and self.showing() and self.pacer.due():  # a frame only for new data, and on screen
            if self.refresh():  # a frame that drew nothing does not teach the pacer what a frame costs
                self.pacer.drew()
        self._arm()  # still pending: not due yet, or the layer curves' turn is next

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        window = self.window()
        if window is not self._watched_window:  # a floated dock has its own window
            if self._watched_window is not None:
                self._watched_window.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched_window = window
        self._arm()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.WindowStateChange and watched is self._watched_window:
            self._arm()  # restored from minimised: what waits is drawn
        return False

    def refresh(self) -> bool:
        """Draws what changed; True when it drew a curve or the heatmap."""
        if not self.isVisible():
            return False  # hidden (another tab raised): store only, draw when shown
        self.take_in()
        now = time.monotonic()
        slow_due = now - self._slow_drawn >= 0.2  # layer curves and heatmap: 5 fps is plenty
        if slow_due:
            self._slow_drawn = now
            self._pending = False  # everything that came in is drawn by the end of this frame
        drawn, changes = self.frames, self._changes
        for name, curve in self.curves.items():
            s = self.series[name]
            if self._changed(name, s.version):
                curve.setData(s.x, s.y)
                self.frames = drawn + 1
        for name, s in self.series.items():
            if not name.startswith("val_") or not self._changed(name, s.version):
                continue
            curve = self.val_curves.get(name) or self._val_curve(name)
            curve.setData(s.x, s.y)
        if self._changed("decisions", self.decision_band.version):
            self.decision_band.redraw()
        if self.counts_ and self._changed("counts", sum(self.counts_.values())):
            text = " · ".join(f"{k} {v}" for k, v in sorted(self.counts_.items()))
            self.loss_plot.setTitle(f"loss  <span style='color:#9aa0aa'>({text})</span>")
        for name, s in self.layer_series.items() if slow_due else ():
            if name not in self.layer_curves:
                color = PALETTE[len(self.layer_curves) % len(PALETTE)]
                self.layer_curves[name] = per_batch_curve(self.grad_plot, color, LAYER_PEN_PX, name)
                self.empties[3].watch(self.layer_curves[name])
            if self._changed("layer:" + name, s.version):
                self.layer_curves[name].setData(s.x, s.y)
                self.frames = drawn + 1
        if slow_due and self.heat.columns and self._changed("heat", self.heat.version):
            self._draw_heat()
            self.frames = drawn + 1
        for name, keeper in self.ranges.items():
            if (slow_due or name not in ("grad", "heat")) and keeper.apply():
                self._changes += 1
        if self._changes != changes:
            # pyqtgraph auto-ranges in its paint-time hook, and the new ranges asked for a second full
            # paint of every frame; settled here, they join the paint the new data already asked for
            self.view.scene().prepareForPaint()
            settle_axes(self.view.scene(), self._axes)  # labels that outgrew their axis: laid out before the paint, not after
        return self.frames != drawn

    def _draw_heat(self) -> None:
        image = self.heat.image()
        finite = image[np.isfinite(image)]
        if not finite.size:
            return
        lo, hi = float(finite.min()), float(finite.max())
        self.heat_image.setImage(np.nan_to_num(image, nan=lo), levels=(lo, hi if hi > lo else lo + 1))
        self.empties[4].update()
        steps = self.heat.steps
        first, last = float(steps[0]), float(steps[-1])
        self.heat_image.setRect(first, -0.5, max(1.0, last - first), len(self.heat.layers))
        self.ranges["heat"].set_x(first, first + max(1.0, last - first))
        if self.heat.layers != self._heat_layers:  # axis labels only when the layers change
            self._heat_layers = list(self.heat.layers)
            self.heat_axis.set_layers(self._heat_layers)
            self.heat_plot.invertY(False)
            self.heat_plot.setYRange(-0.5, len(self._heat_layers) - 0.5, padding=0)

    def _val_curve(self, name: str):
        curve = self.val_curves.curve(name)
        if validation_plot(name) == "metric":
            self.metric_empty.watch(curve)
        return curve

    # -- queries and exports -------------------------------------------------------------------
    def series_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        self.take_in()
        s = self.series.get(name) or self.layer_series.get(name)
        return (s.x.copy(), s.y.copy()) if s else (np.empty(0), np.empty(0))

    def counts(self) -> dict[str, int]:
        self.take_in()
        return dict(self.counts_)

    def layer_visible(self, name: str) -> bool:
        curve = self.layer_curves.get(name)
        return bool(curve and curve.isVisible())

    def clear(self) -> None:
        self.set_paused(False)
        self._queue = []
        for s in (*self.series.values(), *self.layer_series.values()):
            s.clear()  # the validation series too: they are in `series`
        for curve in self.layer_curves.values():
            self.grad_plot.removeItem(curve)
            self.grad_legend.removeItem(curve)
        self.layer_curves, self.layer_series = {}, {}
        self.heat.clear()
        self.heat_image.clear()
        self.heat_axis.set_layers([])
        self.decision_band.clear_data()
        self.counts_ = {}
        self.loss_plot.setTitle("loss")
        self._ema = None
        self._drawn = {}
        for keeper in self.ranges.values():
            keeper.reset()
        self._heat_layers = []
        self.refresh()
        self._slow_drawn = 0.0  # the run's first frame draws every plot: a fresh pacer learns from a whole frame
        self._update_empties()

    def add_overlay(self, run_name: str | None, records: list[dict[str, Any]], group: str = "") -> None:
        """A finished run's loss and validation curves, dashed; runs of one `group` (variant) share a colour."""
        if group:
            groups = self._overlay_groups
            color = PALETTE[(groups.setdefault(group, len(groups)) + 5) % len(PALETTE)]
            run_name = group if group not in self._named else None  # one legend entry per variant
            self._named.add(group)
        else:
            color = PALETTE[(len(self.overlays) + 5) % len(PALETTE)]
        steps = [r["step"] for r in records if r.get("kind") == "batch_ended"]
        losses = [r["loss"] for r in records if r.get("kind") == "batch_ended"]
        if steps:
            curve = self.loss_plot.plot(steps, losses, pen=pg.mkPen(color, width=1.2, style=pg.QtCore.Qt.DashLine),
                                        name=run_name)
            self.overlays.append((self.loss_plot, curve))
            self.ranges["loss"].include(steps, losses)
        evals = [r for r in records if r.get("kind") == "eval_ended"]
        for metric in ("val_accuracy", "val_mse"):
            xs = [r["step"] for r in evals if metric in r["metrics"]]
            if xs:
                ys = [r["metrics"][metric] for r in evals if metric in r["metrics"]]
                curve = self.metric_plot.plot(xs, ys, pen=pg.mkPen(color, width=1.2, style=pg.QtCore.Qt.DashLine),
                                              name=f"{run_name} {metric}" if run_name else None)
                self.overlays.append((self.metric_plot, curve))
                self.ranges["metric"].include(xs, ys)
        self.ranges["loss"].apply()
        self.ranges["metric"].apply()
        self._update_empties()

    def clear_overlays(self) -> None:
        for plot, curve in self.overlays:
            plot.removeItem(curve)
            if plot.legend is not None:
                plot.legend.removeItem(curve)
        self.overlays = []
        self._overlay_groups, self._named = {}, set()
        self._refit()
        self._update_empties()

    def _refit(self) -> None:
        """Ranges from what is left (overlays gone): the keepers only ever widen while data comes in."""
        self.take_in()
        for name in ("loss", "metric"):
            end = self.ranges[name].x_end
            self.ranges[name].reset()
            if end is not None:
                self.ranges[name].expect_steps(end)
        self.ranges["loss"].include(*self.series["loss"].x_y())
        for name, s in self.series.items():
            if name.startswith("val_") and s.n:
                self.ranges[validation_plot(name)].include(*s.x_y())
        self.ranges["loss"].apply()
        self.ranges["metric"].apply()

    def _update_empties(self) -> None:
        for empty in self.empties:
            empty.update()

    def legends(self) -> dict[Any, Any]:
        """Each plot's legend (all sit under their plot's x axis, never on the data)."""
        return {p: p.legend for p in (self.loss_plot, self.metric_plot, self.grad_plot) if p.legend is not None}

    def legend_names(self) -> list[str]:
        """Every legend entry's text, all plots (what a person can read next to the curves)."""
        names = []
        for plot in (self.loss_plot, self.metric_plot, self.rate_plot, self.grad_plot):
            if plot.legend is not None:
                names += [label.text for _, label in plot.legend.items]
        return names

    def flush(self) -> None:
        """Draws everything now (before a screenshot or an export)."""
        self._slow_drawn = 0.0
        self.refresh()  # draws nothing while hidden

    def export_png(self, path: str | Path) -> bool:
        self.flush()
        return self.grab().save(str(path))

    def export_csv(self, folder: str | Path) -> list[Path]:
        """batches.csv, evaluations.csv and gradient_norms.csv: every number the plots hold."""
        self.take_in()
        return write_csv(self.series, self.layer_series, Path(folder))
