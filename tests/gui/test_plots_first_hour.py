"""Issue 17, observation 9: plots a person can read (ticks, log decades, legends, markers, heatmap, node stats)."""

import math

from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication

from app.plots.node_stats import NodeStatsView
from runtime.events import BatchEnded, EvalEnded, FitStarted, HookDecision
from tests.gui.widget_support import shown


def feed(plots, steps=200, layers=("fc1", "fc2"), decisions=False):
    events = [FitStarted(1, steps, steps, 10, 10)]
    for k in range(1, steps + 1):
        norms = {name: 10.0 ** (-(j + 1) * k / steps * 3 + 1) for j, name in enumerate(layers)}
        events.append(BatchEnded(k, 0, 2.0 / k ** 0.5, 1e-3, 500.0, norms, {n: 1.0 for n in layers}))
        if decisions:
            events.append(HookDecision(k, "revert_noise", "reverted+noise" if k % 3 == 0 else "accepted"))
        if k % 50 == 0:
            events.append(EvalEnded(k, 0, {"val_loss": 1.0 / k ** 0.5, "val_accuracy": 1 - 1 / k}))
    plots.handle(events)
    plots.flush()
    for _ in range(3):  # pyqtgraph lays out and ranges on the event loop
        QApplication.processEvents()
    plots.flush()


def test_log_axes_label_decades_only(plots):
    feed(plots)
    axis = plots.grad_plot.getAxis("left")
    lo, hi = plots.grad_plot.getViewBox().viewRange()[1]
    levels = axis.tickValues(lo, hi, axis.height())
    labelled = [v for spacing, values in levels[:1] for v in values]
    assert labelled and all(abs(v - round(v)) < 1e-9 for v in labelled), "majors at whole decades"
    strings = axis.tickStrings(labelled, 1.0, 1.0)
    assert all(s.startswith("10") for s in strings), strings
    assert len(levels) < 2 or not axis.tickStrings(levels[1][1], 1.0, 1.0) or \
        all(s == "" for s in axis.tickStrings(levels[1][1], 1.0, 1.0)), "minor ticks carry no text"


def test_a_log_axis_spanning_less_than_a_decade_still_has_numbers(plots):
    """Gradient norms between 0.2 and 0.45 (the revert+noise template): the axis must not be blank."""
    events = [FitStarted(1, 100, 100, 10, 10)]
    for k in range(1, 101):
        norms = {"fc1": 0.2 + 0.001 * k, "fc2": 0.3 + 0.0015 * k}
        events.append(BatchEnded(k, 0, 1.0, 1e-3, 500.0, norms, {n: 1.0 for n in norms}))
    plots.handle(events)
    plots.flush()
    for _ in range(3):
        QApplication.processEvents()
    plots.flush()
    axis = plots.grad_plot.getAxis("left")
    lo, hi = plots.grad_plot.getViewBox().viewRange()[1]
    values = [v for _, vs in axis.tickValues(lo, hi, axis.height()) for v in vs]
    labels = [t for t in axis.tickStrings(values, 1.0, 1.0) if t]
    assert len(labels) >= 2, f"log axis over {10 ** lo:.3g}..{10 ** hi:.3g} shows {labels}"
    assert len(labels) <= max(2, axis.height() / 45)


def test_tick_labels_are_readable_and_never_crowded(plots, qtbot):
    feed(plots)
    for plot in (plots.loss_plot, plots.metric_plot, plots.rate_plot, plots.grad_plot):
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            assert axis.style["tickFont"] is not None and axis.style["tickFont"].pixelSize() >= 11, (plot, side)
            length = axis.width() if side == "bottom" else axis.height()
            lo, hi = plot.getViewBox().viewRange()[0 if side == "bottom" else 1]
            values = [v for _, vs in axis.tickValues(lo, hi, length)[:1] for v in vs]
            assert len(values) <= max(2, length / 45), f"{len(values)} labels on {length:.0f} px"


def test_legends_sit_outside_the_data_area(plots):
    feed(plots, decisions=True)
    for plot, legend in plots.legends().items():
        assert legend.items, plot
        data = plot.getViewBox().sceneBoundingRect()
        assert not legend.sceneBoundingRect().intersects(data), f"legend covers {plot}"


def test_decisions_stay_readable_at_ten_thousand_steps(plots):
    feed(plots, steps=10_000, decisions=True)
    band = plots.decision_band
    assert band.isVisible()
    bars = band.bar_count()
    width_px = plots.loss_plot.getViewBox().width()
    assert 10 <= bars <= width_px / 3, f"{bars} bars on {width_px:.0f} px: not a solid band"
    assert "reverted 3,333" in band.title() and "accepted 6,667" in band.title()


def test_heatmap_row_labels_never_overlap_and_are_elided(plots):
    names = [f"encoder.blocks.{k}.attention.output_projection" for k in range(40)]
    feed(plots, steps=60, layers=names)
    axis = plots.heat_plot.getAxis("left")
    ticks = axis.labels()
    assert 1 < len(ticks) < 40, f"not every one of 40 rows is labelled in {axis.height():.0f} px"
    font = QFontMetricsF(axis.style["tickFont"])
    rows_px = plots.heat_plot.getViewBox().height() / 40
    positions = sorted(v for v, _ in ticks)
    gaps = [(b - a) * rows_px for a, b in zip(positions, positions[1:], strict=False)]
    assert min(gaps) >= font.height(), "labels are at least a line apart"
    assert all(font.horizontalAdvance(t) <= axis.width() for _, t in ticks), "labels fit the axis (elided)"
    assert any("…" in t for _, t in ticks)


def test_node_statistics_plots_are_tall_enough_and_have_legends(qtbot):
    view = shown(qtbot, NodeStatsView(), 360, 520)
    view.show_layer("fc1")
    view.handle([BatchEnded(k, 0, 1.0, 0.1, 1.0, {"fc1": 0.1 * k}, {"fc1": 1.0 + k}) for k in range(1, 50)])
    view.flush()
    for plot in (view.plot, view.hist_plot):
        assert plot.height() >= 120
    names = [label.text for _, label in view.legend.items]
    assert names == ["gradient norm", "weight norm"]
    assert not view.legend.sceneBoundingRect().intersects(view.plot.getPlotItem().getViewBox().sceneBoundingRect())


def test_paused_badge_shows_while_paused(plots):
    feed(plots)
    plots.set_paused(True)
    assert plots.paused_badge.isVisible() and "Paused" in plots.paused_badge.text()
    plots.set_paused(False)
    assert not plots.paused_badge.isVisible()
    assert math.isfinite(plots.series_data("loss")[1][-1])


def test_legends_sit_in_their_row_under_the_x_axis_after_entries_come(plots):
    """A legend that floats over its reserved row (so entries coming relay nothing out) stays in that row;
    each entry that came moved it to the top of its plot, over the title."""
    feed(plots, steps=60)
    plots.clear()  # the next run: axes as wide as they were, the legends' entries come again
    QApplication.processEvents()
    feed(plots, steps=60)
    QApplication.processEvents()
    for plot, legend in plots.legends().items():
        room, axis = legend.room.sceneBoundingRect(), plot.getAxis("bottom").sceneBoundingRect()
        assert abs(legend.sceneBoundingRect().top() - room.top()) < 1, plot
        assert room.top() >= axis.bottom() - 1, plot


def test_the_top_row_of_plots_shares_one_step_axis_line(plots):
    """The learning-rate plot has no legend: without a row of its own its step axis sat a legend row lower
    than the loss and validation plots' beside it."""
    feed(plots, steps=60)
    bottoms = {round(p.getViewBox().sceneBoundingRect().bottom()) for p in (plots.loss_plot, plots.metric_plot,
                                                                            plots.rate_plot)}
    assert len(bottoms) == 1, bottoms
