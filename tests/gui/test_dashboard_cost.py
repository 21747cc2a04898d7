"""The dashboard's own CPU: draw only what changed, at a paced rate, nothing while hidden or minimised."""

from __future__ import annotations

import numpy as np
import pytest

from app.plots.buffers import LayerMatrix, Series
from app.plots.pacing import FramePacer
from runtime.events import BatchEnded, EvalEnded, HookDecision


def batches(start: int, stop: int) -> list:
    return [BatchEnded(k, 0, 1.0 / k, 0.01 * k, 1000.0, {"a": 1.0 / k, "b": 2.0} if k % 3 else {}, {"a": 1.0})
            for k in range(start, stop)]


@pytest.fixture
def plots(qtbot):
    from app.plots.dashboard import TrainingPlots

    w = TrainingPlots()
    qtbot.addWidget(w)
    w.timer.stop()  # the test ticks by hand
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


def test_the_pacer_keeps_30_fps_when_cheap_and_slows_down_when_frames_are_expensive(monkeypatch):
    clock = {"wall": 0.0, "cpu": 0.0}
    monkeypatch.setattr("app.plots.pacing.time.monotonic", lambda: clock["wall"])
    monkeypatch.setattr("app.plots.pacing.time.thread_time", lambda: clock["cpu"])
    pacer = FramePacer(max_fps=30, budget=0.05)

    def run(seconds: float, cpu_per_frame: float) -> int:
        frames = 0
        for _ in range(int(seconds * 30)):  # the dashboard's 30 Hz timer
            clock["wall"] += 1 / 30
            if pacer.due():
                frames += 1
                clock["cpu"] += cpu_per_frame
        return frames

    cheap = run(3, 0.0005)  # 1.5 % of a core at 30 fps: stays at 30 fps
    assert cheap == 90 and pacer.fps == pytest.approx(30)
    run(5, 0.02)  # 60 % of a core at 30 fps: the pacer stretches the interval
    expensive = run(3, 0.02)
    assert expensive * 0.02 / 3 <= 0.05 * 1.6  # near the budget
    assert pacer.fps < 5
    run(10, 0.0005)
    assert pacer.fps == pytest.approx(30)  # back to full rate once frames are cheap again


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


def test_the_status_text_follows_batches_a_few_times_a_second_and_other_events_at_once(make_window):
    """Each poll (30 a second) used to set the status label, relaying out and repainting the status bar."""
    from runtime.events import FitStarted

    window = make_window()
    now = [100.0]
    window.status_text.clock = lambda: now[0]
    texts: list[str] = []
    original = window.train_label.setText
    window.train_label.setText = lambda text: (texts.append(text), original(text))
    window._on_training_events([FitStarted(1, 100, 100, 10, 10)])
    for k in range(1, 31):  # a second of polls, a batch each
        now[0] += 1 / 30
        window._on_training_events(batches(k, k + 1))
    assert 3 <= len(texts) <= 6, texts
    now[0] += 0.01
    window._on_training_events([EvalEnded(30, 0, {"val_loss": 0.25})])  # an evaluation shows at once
    assert "val_loss" in window.train_label.text() and "step 30/100" in window.train_label.text()
