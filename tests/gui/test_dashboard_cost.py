"""The dashboard's own CPU: draw only what changed, at a paced rate, nothing while hidden or minimised."""

from __future__ import annotations

import numpy as np
import pytest

from app.plots.buffers import LayerMatrix, Series
from runtime.events import BatchEnded, EpochEnded, EvalEnded, FitStarted, HookDecision


def batches(start: int, stop: int) -> list:
    return [BatchEnded(k, 0, 1.0 / k, 0.01 * k, 1000.0, {"a": 1.0 / k, "b": 2.0} if k % 3 else {}, {"a": 1.0})
            for k in range(start, stop)]


@pytest.fixture
def plots(qtbot):
    from app.plots.dashboard import TrainingPlots

    w = TrainingPlots()
    qtbot.addWidget(w)
    w.auto_frames = False  # the test ticks by hand
    w.resize(900, 500)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_a_block_of_events_stores_what_one_at_a_time_stores(qtbot):
    from app.plots.dashboard import TrainingPlots

    one, block = TrainingPlots(), TrainingPlots()
    qtbot.addWidget(one)
    qtbot.addWidget(block)
    events = batches(1, 50) + [EvalEnded(49, 0, {"val_loss": 0.5}), HookDecision(49, "p", "accepted")] + \
        batches(50, 90)
    for e in events:
        one.handle([e])
    block.handle(events)
    for name in ("loss", "loss_smooth", "lr", "samples_per_s", "val_loss", "decisions_accepted", "a", "b"):
        for a, b in zip(one.series_data(name), block.series_data(name), strict=True):
            np.testing.assert_allclose(a, b)
    np.testing.assert_array_equal(one.heat.image(), block.heat.image())
    assert block.series_data("decisions_accepted")[1][0] == pytest.approx(1.0 / 49)


def test_only_changed_curves_are_redrawn(plots, monkeypatch):
    calls: list[str] = []
    for name, curve in plots.curves.items():
        original = curve.setData
        monkeypatch.setattr(curve, "setData", lambda *a, _n=name, _o=original, **k: (calls.append(_n), _o(*a, **k)))
    plots.handle(batches(1, 20))
    plots.refresh()
    assert sorted(calls) == ["loss", "loss_smooth", "lr"]
    frames = plots.frames
    calls.clear()
    plots.refresh()  # nothing new arrived: nothing is drawn
    assert calls == [] and plots.frames == frames


def test_nothing_is_drawn_while_minimised_or_behind_another_tab(plots, qtbot):
    plots.pacer.due = lambda: True  # pacing aside
    plots.handle(batches(1, 10))
    plots._tick()
    assert plots.frames == 1
    plots.handle(batches(10, 20))
    plots.window().showMinimized()
    qtbot.waitUntil(lambda: plots.window().isMinimized())
    plots._tick()
    assert plots.frames == 1 and plots.series_data("loss")[0][-1] == 19  # stored, not drawn
    plots.window().showNormal()
    qtbot.waitUntil(lambda: not plots.window().isMinimized())
    plots._tick()
    assert plots.frames == 2
    plots.hide()
    plots.handle(batches(20, 30))
    plots._tick()
    assert plots.frames == 2


def test_series_and_layer_matrix_grow_without_losing_points():
    s = Series(capacity=4)
    s.extend([1, 2, 3], [1.0, 2.0, 3.0])
    s.append(4, 4.0)
    s.extend(list(range(5, 105)), [float(k) for k in range(5, 105)])
    assert s.n == 104 and list(s.x[:5]) == [1, 2, 3, 4, 5] and s.y[-1] == 104.0
    m = LayerMatrix(keep=10)
    for k in range(1, 60):
        m.add(k, {"a": 10.0 ** -k} if k < 55 else {"a": 0.0, "b": 100.0})
    image = m.image()
    assert image.shape == (10, 2) and list(m.steps) == list(range(50, 60))
    assert image[0, 0] == pytest.approx(-50) and np.isnan(image[-1, 0]) and image[-1, 1] == pytest.approx(2)
    assert np.isnan(image[0, 1])  # layer b did not exist yet


def _status_on_a_fake_clock(window) -> tuple[list[float], list[str]]:
    """The status text's clock, as a one-item list the test moves on, and every text the label is set to."""
    now = [100.0]
    window.status_text.clock = lambda: now[0]
    texts: list[str] = []
    original = window.train_label.setText
    window.train_label.setText = lambda text: (texts.append(text), original(text))
    return now, texts


def test_the_status_text_follows_batches_a_few_times_a_second_and_shows_the_last_one(make_window, qtbot):
    """Each poll (30 a second) used to set the status label, relaying out and repainting the status bar."""
    from app.window_training import LABEL_SECONDS

    window = make_window()
    now, texts = _status_on_a_fake_clock(window)
    window._on_training_events([FitStarted(1, 100, 100, 10, 10)])
    for k in range(1, 31):  # a second of polls, a batch each
        now[0] += 1 / 30
        window._on_training_events(batches(k, k + 1))
    assert 3 <= len(texts) <= 6, texts
    now[0] += 0.01
    window._on_training_events([EvalEnded(30, 0, {"val_loss": 0.25})])  # shown when the label's interval is up
    now[0] += LABEL_SECONDS
    qtbot.waitUntil(lambda: "val_loss" in window.train_label.text(), timeout=2000)
    assert "step 30/100" in window.train_label.text()


def test_blocks_that_each_hold_an_evaluation_set_the_status_text_a_few_times_a_second(make_window, qtbot):
    """The digits MLP evaluates every 23 batches: each block of ~0.1 s held an evaluation, and an evaluation set
    the label at once, so it was set with every block (10 a second; each repaint and flush of the status bar
    ~0.7 ms, 0.5 % of a core in the replay bench). The last block's text still shows once its time is up."""
    from app.window_training import LABEL_SECONDS

    window = make_window()
    now, texts = _status_on_a_fake_clock(window)
    window._on_training_events([FitStarted(1, 23, 460, 10, 10)])
    step = 1
    for _ in range(20):  # two seconds of blocks
        now[0] += 0.1
        window._on_training_events(batches(step, step + 23) + [EvalEnded(step + 22, 0, {"val_loss": 1.0 / step})])
        step += 23
    assert len(texts) <= 2 / LABEL_SECONDS + 2, texts
    now[0] += LABEL_SECONDS
    qtbot.waitUntil(lambda: f"step {step - 1:,}/460" in window.train_label.text(), timeout=2000)
    texts.clear()
    now[0] += 1.0
    window._on_training_events([EvalEnded(step - 1, 0, {"val_loss": 1.0 / (step - 23)})])  # the same text again
    qtbot.wait(int(1000 * LABEL_SECONDS) + 50)
    assert texts == []  # not set again


class EventCounter:
    """Counts Qt events of some types delivered to some objects (an application-wide event filter)."""

    def __init__(self, types, targets) -> None:
        from PySide6.QtCore import QObject
        from PySide6.QtWidgets import QApplication

        counter = self
        self.counts = {t: 0 for t in types}
        self.targets = list(targets)

        class Filter(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
                if event.type() in counter.counts and any(obj is t for t in counter.targets):
                    counter.counts[event.type()] += 1
                return False

        self.filter = Filter()
        self.app = QApplication.instance()

    def __enter__(self) -> EventCounter:
        self.app.installEventFilter(self.filter)
        return self

    def __exit__(self, *exc) -> None:
        self.app.removeEventFilter(self.filter)


def settle(qtbot, rounds: int = 5) -> None:
    from PySide6.QtWidgets import QApplication

    for _ in range(rounds):
        QApplication.processEvents()
        qtbot.wait(5)


def steady_batches(start: int, stop: int) -> list:
    """Batches whose values keep every axis's tick labels as wide as they were (a width change relays out)."""
    return [BatchEnded(k, 0, 1.0 + 0.5 * (k % 2), 0.01, 1000.0, {"a": 1.0 + k % 2, "b": 2.0} if k % 3 else {},
                       {"a": 1.0}) for k in range(start, stop)]


def test_a_frame_paints_the_dashboard_once(plots, qtbot):
    """Auto-ranging in pyqtgraph's paint-time hook asked for a second full paint of every frame."""
    from PySide6.QtCore import QEvent

    viewport = plots.view.viewport()
    step = 100
    for _ in range(3):  # warm: legends, layer curves and axis widths settle in the first frames
        plots.handle(steady_batches(step, step + 20))
        step += 20
        plots._slow_drawn = 0.0
        plots.refresh()
        settle(qtbot)
    with EventCounter([QEvent.Paint], [viewport]) as paints:
        for _ in range(4):
            plots.handle(steady_batches(step, step + 20))  # new data: the step axis grows
            step += 20
            plots._slow_drawn = 0.0  # the layer curves and the heatmap redraw too
            frames = plots.frames
            plots.refresh()
            assert plots.frames == frames + 1
            settle(qtbot)
    assert paints.counts[QEvent.Paint] == 4


def test_the_status_text_does_not_lay_out_the_window_or_repaint_the_dashboard(make_window, qtbot):
    """A longer or shorter status text relaid the whole window out, and Qt repainted every dock with it."""
    from PySide6.QtCore import QEvent

    from app.perspectives import TRAIN

    window = make_window()
    window.switch_perspective(TRAIN)
    window.plots.auto_frames = False
    settle(qtbot, 10)
    texts = ["▶ epoch 12/30 · step 300/690 · 23,456 samples/s · 0:01 left",
             "▶ epoch 12/30 · step 301/690 · 23,456 samples/s · 0:01 left · val_accuracy 0.9513 (best 0.9600 at "
             "step 280)", "▶ epoch 2/30 · step 40/690 · 9,000 samples/s", "▶ epoch 9/30 · step 208/690 · 987 samples/s"]
    for text in texts:  # the label takes the width of the longest
        window.train_label.setText(text)
    settle(qtbot)
    resizes = window.train_label.resizes
    with EventCounter([QEvent.LayoutRequest], [window]) as layouts, \
            EventCounter([QEvent.Paint], [window.plots.view.viewport()]) as paints:
        for text in texts * 3:
            window.train_label.setText(text)
            settle(qtbot)
    assert layouts.counts[QEvent.LayoutRequest] == 0 and paints.counts[QEvent.Paint] == 0
    assert window.train_label.text() == texts[-1] and window.train_label.resizes == resizes
    assert window.train_label.width() >= window.train_label.fontMetrics().horizontalAdvance(texts[1])  # all shown
    window.train_label.setText("")
    assert window.train_label.resizes == resizes + 1 and window.train_label.maximumWidth() == 0  # next run: narrow


def test_a_falling_loss_paints_the_dashboard_once_a_frame_and_keeps_its_layout(plots, qtbot):
    """Real curves: as the loss falls its tick labels change width ("2.5" → "0.25", and back); pyqtgraph
    narrowed the value axis whenever its labels got 10 px shorter and widened it again, and each change relaid
    out the whole plot grid (~10 ms) and painted the dashboard a second time in that frame."""
    from PySide6.QtCore import QEvent

    from tests.gui.test_dashboard_ranges import TOTAL, block

    plots.handle([FitStarted(30, 23, TOTAL, 10, 10, ("fc1", "fc2"))])
    step = 1
    for _ in range(3):  # warm: legends, layer curves and the first axis widths settle in the first frames
        plots.handle(block(step, step + 10))
        step += 10
        plots._slow_drawn = 0.0
        plots.refresh()
        settle(qtbot)
    layout = plots.view.ci
    with EventCounter([QEvent.Paint], [plots.view.viewport()]) as paints, \
            EventCounter([QEvent.LayoutRequest], [layout]) as relayouts:
        for _ in range(60):
            plots.handle(block(step, step + 10))
            step += 10
            plots._slow_drawn = 0.0
            plots.refresh()
            settle(qtbot, 2)
    assert paints.counts[QEvent.Paint] == 60  # was 63
    assert relayouts.counts[QEvent.LayoutRequest] == 0  # was 2: the value axes only widen within a run


def test_a_run_after_the_first_lays_out_the_dashboard_no_more_and_paints_once_a_frame(plots, qtbot):
    """Legend entries come and go with each run (train curves at the first batch, validation curves at the
    first evaluation, a curve per layer); each resized its legend, relaid out the whole dashboard (~10 ms) and
    painted it twice more: ~0.15 s at the start of every run."""
    from PySide6.QtCore import QEvent

    from tests.gui.test_dashboard_ranges import TOTAL, block

    def run(frames: int) -> None:
        plots.handle([FitStarted(30, 23, TOTAL, 10, 10, ("fc1", "fc2"))])
        for k in range(frames):
            plots.handle(block(1 + 10 * k, 11 + 10 * k))
            plots._slow_drawn = 0.0
            plots.refresh()
            settle(qtbot, 2)

    run(10)
    plots.clear()
    settle(qtbot)
    with EventCounter([QEvent.Paint], [plots.view.viewport()]) as paints, \
            EventCounter([QEvent.LayoutRequest], [plots.view.ci]) as relayouts:
        run(10)  # the second run: same model, its legends fill again from empty
    assert {"train (raw)", "train (smoothed)", "validation loss", "fc1", "fc2"} <= set(plots.legend_names())
    assert relayouts.counts[QEvent.LayoutRequest] == 0
    assert paints.counts[QEvent.Paint] == 10


def first_run(plots, qtbot, events) -> tuple[int, list[int]]:
    """A fresh dashboard's first run, a frame per block: (layout requests of the plot grid, paints per frame)."""
    from PySide6.QtCore import QEvent

    settle(qtbot)
    paints_per_frame = []
    with EventCounter([QEvent.Paint], [plots.view.viewport()]) as paints, \
            EventCounter([QEvent.LayoutRequest], [plots.view.ci]) as relayouts:
        plots.handle([FitStarted(30, 23, TOTAL_STEPS, 10, 10, ("fc1", "fc2"))])
        for k in range(10):
            before = paints.counts[QEvent.Paint]
            plots.handle(events(1 + 10 * k, 11 + 10 * k))
            plots._slow_drawn = 0.0
            plots.refresh()
            settle(qtbot, 2)
            paints_per_frame.append(paints.counts[QEvent.Paint] - before)
    return relayouts.counts[QEvent.LayoutRequest], paints_per_frame


TOTAL_STEPS = 690


@pytest.mark.parametrize("lr", [1e-3, 3e-4])
def test_the_first_run_of_a_window_lays_out_the_dashboard_no_more_and_paints_once_a_frame(plots, qtbot, lr):
    """A fresh window's value axes had room for labels 30 px wide; a learning rate of 1e-3 is labelled "0.001"
    (31 px): the first frame widened the rate axis, relaid out the whole dashboard (~20 ms) and painted it twice
    more, which only the first run of a window paid. The rate axis has room for "0.0005" from the start."""
    from tests.gui.test_dashboard_ranges import block

    def events(start: int, stop: int) -> list:
        return [e._replace(lr=lr) if isinstance(e, BatchEnded) else e for e in block(start, stop)]

    relayouts, paints = first_run(plots, qtbot, events)
    assert relayouts == 0 and paints == [1] * 10  # as in a later run


def test_labels_that_outgrow_their_axis_are_laid_out_before_the_frame_is_painted(plots, qtbot):
    """pyqtgraph measures tick labels while it paints them: an axis whose labels outgrew it (a loss of 20,000
    is labelled "20000", 31 px) widened after the frame was painted, and the dashboard was laid out and painted
    twice more. Measured before the paint, the frame's one paint shows the new layout."""
    from tests.gui.test_dashboard_ranges import block

    def events(start: int, stop: int) -> list:
        return [e._replace(loss=20_000 * e.loss) if isinstance(e, BatchEnded) else e for e in block(start, stop)]

    relayouts, paints = first_run(plots, qtbot, events)
    assert plots.loss_plot.getAxis("left").textWidth > 30  # "20000" is shown in full
    assert paints == [1] * 10


def test_the_first_evaluation_of_a_window_makes_no_curve(plots, qtbot):
    """A validation curve (a line and its symbols) took ~8 ms to make, at the first evaluation of a window's first
    run; later runs keep theirs. The window makes one per plot when it opens; the evaluation names and colours it."""
    plots.handle([FitStarted(30, 23, TOTAL_STEPS, 10, 10, ("fc1",))] + batches(1, 10))
    plots.refresh()
    items = {p: list(p.listDataItems()) for p in (plots.loss_plot, plots.metric_plot)}
    plots.handle([EvalEnded(9, 0, {"val_loss": 0.5, "val_accuracy": 0.9})] + batches(10, 12))
    plots.refresh()
    assert {p: list(p.listDataItems()) for p in items} == items
    assert {"validation loss", "validation accuracy"} <= set(plots.legend_names())
    assert plots.val_curves["val_loss"].opts["pen"].color().name() == "#ff8a65"
    assert plots.val_curves["val_accuracy"].opts["pen"].color().name() == "#e57373"  # as before: the 2nd curve
    assert plots.val_curves["val_accuracy"].name() == "validation accuracy"
    plots.handle([EvalEnded(11, 0, {"val_loss": 0.4, "val_accuracy": 0.9, "val_top5": 0.99})])
    plots.refresh()  # a third metric: made when it comes
    assert plots.val_curves["val_top5"] in plots.metric_plot.listDataItems()
    assert "validation top5" in plots.legend_names()


def test_a_runs_first_frame_draws_every_plot_however_soon_after_the_run_started(plots):
    """`clear()` (F5) drew the emptied plots and counted as the layer curves' and heatmap's turn, so a first batch
    within 0.2 s (a warm worker) was drawn without them: they came a frame later, and a fresh pacer learned
    its frame rate from that partial first frame (an interval ~40 % too short, more frames in the first run)."""
    plots.clear()
    plots.handle([FitStarted(30, 23, TOTAL_STEPS, 10, 10, ("a", "b"))] + batches(1, 10))
    plots.refresh()  # at once: well within 0.2 s of the clear
    assert set(plots.layer_curves) == {"a", "b"} and plots.layer_curves["a"].xData is not None
    assert plots.heat_image.image is not None
    assert not plots._pending  # the frame was whole: nothing waits for the next one


def test_no_timer_wakes_the_dashboard_while_nothing_arrives(plots, qtbot):
    """A 30 Hz timer woke the window all the time, with or without a run (~0.6 % of a core for nothing)."""
    from PySide6.QtCore import QEvent

    plots.auto_frames = True  # frames by the dashboard's own timer (the fixture draws by hand)
    plots.pacer.due = lambda: True  # pacing aside
    with EventCounter([QEvent.Timer], [plots.timer]) as idle:
        qtbot.wait(300)
    assert idle.counts[QEvent.Timer] == 0 and not plots.timer.isActive()
    plots.handle(batches(1, 10))  # data arms the frame
    assert plots.timer.isActive()
    qtbot.waitUntil(lambda: plots.frames == 1)
    qtbot.waitUntil(lambda: not plots._pending)
    with EventCounter([QEvent.Timer], [plots.timer]) as drawn:
        qtbot.wait(300)
    assert drawn.counts[QEvent.Timer] == 0 and not plots.timer.isActive()  # all drawn: asleep again


def test_a_dashboard_minimised_with_data_waiting_draws_it_when_restored(plots, qtbot):
    plots.auto_frames = True
    plots.pacer.due = lambda: True
    plots.handle(batches(1, 10))
    qtbot.waitUntil(lambda: plots.frames == 1)
    plots.window().showMinimized()
    qtbot.waitUntil(lambda: plots.window().isMinimized())
    plots.handle(batches(10, 20))  # the run's last events come while minimised
    qtbot.wait(300)
    assert plots.frames == 1
    plots.window().showNormal()
    qtbot.waitUntil(lambda: plots.frames == 2)
    assert plots.curves["loss"].xData[-1] == 19


def test_blocks_that_come_between_two_frames_are_taken_in_together(plots, monkeypatch):
    """Each block (10 a second) cost one extend and one range update per series, and one more of each after
    every evaluation in it (~1 ms a block on the digits MLP, which evaluates every 23 batches); the frame
    that shows them comes every two seconds at most, and takes them all in at once."""
    plots.auto_frames = False  # the test draws by hand
    extends: list[int] = []
    loss = plots.series["loss"]
    real = loss.extend
    monkeypatch.setattr(loss, "extend", lambda xs, ys: (extends.append(len(xs)), real(xs, ys)))
    step = 1
    for _ in range(20):
        plots.handle(batches(step, step + 10) + [EvalEnded(step + 9, 0, {"val_loss": 1.0 / step}),
                                                 EpochEnded(0, step + 9, {"loss": 1.0})] + batches(step + 10, step + 20))
        step += 20
    plots.refresh()
    assert extends == [400]
    np.testing.assert_array_equal(plots.curves["loss"].xData, np.arange(1, 401))
    assert len(plots.series_data("val_loss")[0]) == 20


def test_a_frame_of_new_points_repaints_the_curves_not_the_axes(qtbot, monkeypatch):
    """Grid lines span each plot, so every curve that changed repainted the axes over it too: eight axes' text
    and grid lines played back on every frame (~8 ms of a ~24 ms paint on the digits MLP)."""
    import pyqtgraph as pg

    from app.plots.dashboard import TrainingPlots
    from tests.gui.test_dashboard_ranges import TOTAL, block
    from tests.gui.widget_support import shown

    axes: list = []
    curves: list = []
    axis_paint, curve_paint = pg.AxisItem.paint, pg.PlotCurveItem.paint
    monkeypatch.setattr(pg.AxisItem, "paint", lambda self, *a: (axes.append(self), axis_paint(self, *a))[1])
    monkeypatch.setattr(pg.PlotCurveItem, "paint", lambda self, *a: (curves.append(self), curve_paint(self, *a))[1])
    plots = shown(qtbot, TrainingPlots(), 1300, 620)  # made after the patches: PySide binds paint overrides then
    plots.auto_frames = False
    plots.handle([FitStarted(30, 23, TOTAL, 10, 10, ("fc1", "fc2"))])
    step = 1
    for _ in range(3):  # warm: the first frames set the ranges
        plots.handle(block(step, step + 10))
        step += 10
        plots._slow_drawn = 0.0
        plots.refresh()
        settle(qtbot)
    assert axes and curves  # both drawn so far
    axes.clear()
    curves.clear()
    changes = sum(k.changes for k in plots.ranges.values())
    inside = [BatchEnded(k, 1, 1.0, 1e-3, 1000.0, {"fc1": 0.05, "fc2": 0.25}, {}) for k in range(step, step + 10)]
    plots.handle(inside)  # new points inside the ranges shown
    plots._slow_drawn = 0.0
    plots.refresh()
    settle(qtbot)
    assert sum(k.changes for k in plots.ranges.values()) == changes  # no range moved...
    assert plots.curves["loss"].curve in curves and plots.layer_curves["fc1"].curve in curves  # ...curves drawn
    assert axes == []


def test_per_batch_curves_are_drawn_with_one_pixel_pens(plots):
    """An antialiased pen wider than 1 px goes through Qt's path stroker: a layer's gradient-norm curve at 1.3 px
    took 3.9 ms a frame, at 1 px 0.3 ms; LeNet draws five of them."""
    from app.plots.dashboard import LAYER_PEN_PX

    plots.handle([FitStarted(1, 10, 10, 1, 1, ("a", "b"))] + batches(1, 5))
    plots.refresh()
    assert LAYER_PEN_PX == 1.0
    assert plots.layer_curves["a"].opts["pen"].widthF() <= 1.0 and plots.curves["loss"].opts["pen"].widthF() <= 1.0


def test_wide_per_batch_curves_are_drawn_as_segments(plots):
    """The smoothed loss at 2 px, stroked as one antialiased polyline, took 5.5 ms of a 9.5 ms frame at the end of
    the digits MLP run (Qt's path stroker); drawn as line segments it takes ~2 ms and looks the same."""
    plots.handle([FitStarted(1, 10, 10, 1, 1, ("a", "b"))] + batches(1, 5))
    plots.refresh()
    wide = [c for c in (*plots.curves.values(), *plots.layer_curves.values()) if c.opts["pen"].widthF() > 1.0]
    assert plots.curves["loss_smooth"] in wide
    assert all(c.curve.opts["segmentedLineMode"] == "on" for c in wide)
