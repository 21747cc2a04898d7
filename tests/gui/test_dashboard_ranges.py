"""Issue 16, the window's own CPU: plot ranges follow the data without re-ranging every frame.

pyqtgraph's auto-range set a new range on every frame (the step axis grows with each batch), so every
frame regenerated the axes and repainted every plot. These count range changes and frames, never time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from runtime.events import BatchEnded, EvalEnded, FitStarted

TOTAL = 690  # digits MLP, 30 epochs of 23 steps


def block(start: int, stop: int) -> list:
    """Batches of a loss that falls like a real run's, with noise; two layers' gradient norms."""
    rng = np.random.default_rng(start)
    events = []
    for k in range(start, stop):
        loss = 2.3 / math.sqrt(k) * (1 + 0.2 * rng.standard_normal())
        events.append(BatchEnded(k, k // 23, abs(loss), 1e-3, 1000.0, {"fc1": 0.5 / k, "fc2": 0.2 + 0.1 / k}, {}))
        if k % 23 == 0:
            events.append(EvalEnded(k, k // 23, {"val_loss": 1.5 / math.sqrt(k), "val_accuracy": 1 - 1 / k}))
    return events


def train(plots, frames: int = 69, per_frame: int = 10) -> None:
    plots.handle([FitStarted(30, 23, TOTAL, 10, 10, ("fc1", "fc2"))])
    step = 1
    for _ in range(frames):
        plots.handle(block(step, step + per_frame))
        step += per_frame
        plots._slow_drawn = 0.0  # every frame a complete one (what the pacer gives under load)
        plots.refresh()


def range_changes(box) -> list:
    changes: list = []
    box.sigRangeChanged.connect(lambda *_: changes.append(box.viewRange()))
    return changes


def test_the_step_axis_spans_the_run_and_ranges_change_a_handful_of_times(plots):
    plots.auto_frames = False
    changes = {name: range_changes(p.getViewBox()) for name, p in
               (("loss", plots.loss_plot), ("rate", plots.rate_plot), ("grad", plots.grad_plot))}
    train(plots)
    loss_box = plots.loss_plot.getViewBox()
    assert loss_box.viewRange()[0] == pytest.approx([0, TOTAL])  # the whole run, from its first batch on
    assert all(r[0] == pytest.approx([0, TOTAL]) for r in changes["loss"])
    # 69 frames of new points: pyqtgraph's auto-range changed every plot's range on each of them
    assert len(changes["loss"]) <= 8, len(changes["loss"])
    assert len(changes["rate"]) <= 2 and len(changes["grad"]) <= 8, (len(changes["rate"]), len(changes["grad"]))
    # every point is drawn and inside the view
    x, y = plots.series_data("loss")
    curve = plots.curves["loss"]
    np.testing.assert_array_equal(curve.xData, np.arange(1, TOTAL + 1))
    np.testing.assert_array_equal(curve.yData, y)
    lo, hi = loss_box.viewRange()[1]
    assert lo <= y.min() and y.max() <= hi and (hi - lo) <= 1.5 * (y.max() - y.min())
    val_lo, val_hi = plots.metric_plot.getViewBox().viewRange()[1]
    accuracy = plots.series_data("val_accuracy")[1]
    assert val_lo <= accuracy.min() and accuracy.max() <= val_hi
    g_lo, g_hi = plots.grad_plot.getViewBox().viewRange()[1]  # log axis: in decades
    norms = np.concatenate([plots.series_data(n)[1] for n in ("fc1", "fc2")])
    assert g_lo <= math.log10(norms.min()) and math.log10(norms.max()) <= g_hi
    r_lo, r_hi = plots.rate_plot.getViewBox().viewRange()[1]
    assert r_lo == 0 and 1e-3 < r_hi < 1.2e-3  # a constant rate on an axis from zero


def test_a_zoom_is_kept_until_the_auto_range_button_hands_the_plot_back(plots):
    plots.auto_frames = False
    train(plots, frames=10)
    box = plots.loss_plot.getViewBox()
    box.setRange(xRange=(20, 40), yRange=(0.2, 0.8), padding=0)
    box.sigRangeChangedManually.emit(box.state["mouseEnabled"])  # what a wheel or a drag sends
    plots.handle(block(101, 200))
    plots.refresh()
    assert box.viewRange() == [pytest.approx([20, 40]), pytest.approx([0.2, 0.8])]
    plots.loss_plot.autoBtnClicked()  # the "A" button
    plots.handle(block(200, 230))
    plots.refresh()
    x, y = plots.series_data("loss")
    (x_lo, x_hi), (y_lo, y_hi) = box.viewRange()
    assert (x_lo, x_hi) == pytest.approx((0, TOTAL)) and y_lo <= y.min() and y.max() <= y_hi
    assert not any(box.state["autoRange"])  # following the data again, without pyqtgraph's auto-range


def test_a_zoom_of_the_empty_plot_before_the_first_batch_does_not_keep_its_range(plots):
    """Seen in a real window: a wheel over the loss plot after F5, before the first batch, zoomed the empty 0-1
    range and kept it, so the run's curve stayed out of view until "A" was clicked."""
    plots.auto_frames = False
    box = plots.loss_plot.getViewBox()
    box.scaleBy(s=(0.5, 0.5))
    box.sigRangeChangedManually.emit(box.state["mouseEnabled"])  # what a wheel or a drag sends
    train(plots, frames=10)
    x, y = plots.series_data("loss")
    (x_lo, x_hi), (y_lo, y_hi) = box.viewRange()
    assert (x_lo, x_hi) == pytest.approx((0, TOTAL)) and y_lo <= y.min() and y.max() <= y_hi


def test_overlays_widen_the_loss_range_and_their_removal_narrows_it(plots):
    plots.auto_frames = False
    train(plots, frames=20)
    box = plots.loss_plot.getViewBox()
    records = [{"kind": "batch_ended", "step": k, "loss": 9.0 - k / 100} for k in range(1, 900)]
    plots.add_overlay("old run", records)
    lo, hi = box.viewRange()[1]
    assert hi >= 9.0 and box.viewRange()[0][1] >= 899
    plots.clear_overlays()
    y = plots.series_data("loss")[1]
    lo, hi = box.viewRange()[1]
    assert lo <= y.min() and y.max() <= hi < 1.5 * y.max() and box.viewRange()[0] == pytest.approx([0, TOTAL])


def test_a_new_run_starts_from_fresh_ranges(plots):
    plots.auto_frames = False
    train(plots, frames=20)
    plots.clear()
    plots.handle([FitStarted(2, 50, 100, 10, 10)])
    plots.handle([BatchEnded(k, 0, 0.01 + 0.001 * k, 0.1, 1.0) for k in range(1, 20)])
    plots.refresh()
    (x_lo, x_hi), (y_lo, y_hi) = plots.loss_plot.getViewBox().viewRange()
    assert (x_lo, x_hi) == pytest.approx((0, 100)) and y_hi < 0.05  # not the last run's 2.3


def test_frames_are_asked_for_only_when_new_data_came_in(plots):
    asked: list[bool] = []
    due = plots.pacer.due
    plots.pacer.due = lambda: asked.append(True) or due()
    plots.auto_frames = False
    for _ in range(10):
        plots._tick()
    assert asked == [] and plots.frames == 0  # idle: the pacer is not even asked
    plots.handle(block(1, 5))
    plots._tick()
    assert len(asked) == 1 and plots.frames == 1
    plots._tick()  # drawn: nothing pending
    assert len(asked) == 1


def test_a_hidden_main_window_draws_nothing_and_draws_once_shown(make_window, qtbot):
    from app.perspectives import TRAIN

    window = make_window()
    window.switch_perspective(TRAIN)
    plots = window.plots
    plots.auto_frames = False
    plots.pacer.due = lambda: True  # pacing aside
    window._on_training_events([FitStarted(1, 10, 10, 1, 1)] + block(1, 5))
    plots._tick()
    frames = plots.frames
    assert frames >= 1
    window.hide()
    qtbot.waitUntil(lambda: not plots.isVisible())
    window._on_training_events(block(5, 10))
    for _ in range(5):
        plots._tick()
    assert plots.frames == frames  # stored, not drawn
    assert plots.series_data("loss")[0][-1] == 9
    window.show()
    qtbot.waitUntil(plots.isVisible)
    plots._tick()
    assert plots.frames == frames + 1


def test_one_rule_says_which_plot_a_validation_series_is_drawn_on(plots):
    """Drawing, range-keeping on arrival and refitting after overlays ask the same function."""
    from app.plots.dashboard import validation_plot

    assert [validation_plot(n) for n in ("val_loss", "val_accuracy", "val_mse")] == ["loss", "metric", "metric"]
    train(plots, frames=5)
    assert plots.val_curves["val_loss"] in plots.loss_plot.listDataItems()
    assert plots.val_curves["val_accuracy"] in plots.metric_plot.listDataItems()
    ys = {name: plots.series_data(name)[1] for name in ("val_loss", "val_accuracy")}
    plots.clear_overlays()  # refits from what is left: each validation series within its own plot's data range
    for name, plot in (("val_loss", "loss"), ("val_accuracy", "metric")):
        low, high = plots.ranges[plot].y
        assert low <= ys[name].min() and ys[name].max() <= high


def test_a_block_widens_the_gradient_range_once_whatever_the_number_of_layers(plots, monkeypatch):
    """The range took each layer's points separately: two NumPy reductions per layer and block."""
    calls: list[int] = []
    include = plots.ranges["grad"].include
    monkeypatch.setattr(plots.ranges["grad"], "include", lambda xs, ys: (calls.append(len(xs)), include(xs, ys)))
    layers = [f"layer{j}" for j in range(12)]
    events = [BatchEnded(k, 0, 1.0, 1e-3, 1000.0, {name: (j + 1) / k for j, name in enumerate(layers)}, {})
              for k in range(1, 21)]
    plots.handle(events)
    plots.take_in()  # what the next frame does first
    assert calls == [12 * 20]
    assert plots.ranges["grad"].y == pytest.approx((math.log10(1 / 20), math.log10(12)))
