"""The frame pacer: the dashboard's frame rate follows what a frame costs the window, within a share of a core."""

from __future__ import annotations

import pytest

from app.plots.pacing import FramePacer
from runtime.events import BatchEnded, FitStarted


def test_the_pacer_keeps_30_fps_when_cheap_and_slows_down_when_frames_are_expensive(monkeypatch):
    clock = {"wall": 0.0, "cpu": 0.0}
    monkeypatch.setattr("app.plots.pacing.time.monotonic", lambda: clock["wall"])
    pacer = FramePacer(max_fps=30, budget=0.05, cpu_clock=lambda: clock["cpu"])

    def run(seconds: float, cpu_per_frame: float) -> int:
        frames = 0
        for _ in range(int(seconds * 30)):  # the dashboard's 30 Hz timer
            clock["wall"] += 1 / 30
            if pacer.due():
                pacer.drew()
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


def test_the_pacer_falls_to_a_frame_every_two_seconds_and_keeps_its_rate_between_runs(monkeypatch):
    """Frames of 60 ms: at the old floor (2 fps) the window took 12 % of a core from training."""
    from app.plots.pacing import BUDGET, MIN_FPS

    clock = {"wall": 0.0, "cpu": 0.0}
    monkeypatch.setattr("app.plots.pacing.time.monotonic", lambda: clock["wall"])
    pacer = FramePacer(cpu_clock=lambda: clock["cpu"])

    def run(seconds: float, cpu_per_frame: float) -> int:
        frames = 0
        for _ in range(int(seconds * 30)):
            clock["wall"] += 1 / 30
            if pacer.due():
                pacer.drew()
                frames += 1
                clock["cpu"] += cpu_per_frame
        return frames

    assert MIN_FPS <= 0.5 and BUDGET <= 0.03
    run(4, 0.06)  # from 30 fps to the floor within a few seconds
    assert pacer.fps == pytest.approx(MIN_FPS)
    frames = run(20, 0.06)
    assert frames * 0.06 / 20 <= 0.06 * MIN_FPS * 1.2  # one frame per two seconds
    clock["wall"] += 30  # between runs: nothing new, the dashboard does not ask
    if pacer.due():  # the next run's first frame
        pacer.drew()
        clock["cpu"] += 0.06
    assert pacer.fps == pytest.approx(MIN_FPS)  # the next run starts at the rate this one learned
    run(2, 0.06)
    assert pacer.fps == pytest.approx(MIN_FPS)


def test_a_fresh_pacer_draws_at_its_settled_rate_after_its_first_frames(monkeypatch):
    """A window's first run: the pacer started at 30 fps and stretched at most 4× a second, so frames of 12 ms
    (the MLP dashboard at 1400×900) took ~3 s to reach their rate; the runs the replay bench records last 4–5 s,
    and the first run of a window cost 8–10 % of a core instead of 3 %."""
    from app.plots.pacing import BUDGET

    clock = {"wall": 0.0, "cpu": 0.0}
    monkeypatch.setattr("app.plots.pacing.time.monotonic", lambda: clock["wall"])
    pacer = FramePacer(cpu_clock=lambda: clock["cpu"])
    frame, block = 0.012, 0.0003  # a frame's CPU; taking in one block of events (10 a second) between frames
    settled = frame / (BUDGET - 10 * block)  # the interval at which the window spends its budget
    drawn: list[float] = []
    clock["wall"] = 100.0  # the window was built long before its first run
    for _ in range(50):  # five seconds of blocks, each asking for a frame (the dashboard's one-shot timer)
        clock["wall"] += 0.1
        clock["cpu"] += block
        if pacer.due():
            pacer.drew()
            drawn.append(clock["wall"])
            clock["cpu"] += frame
    intervals = [b - a for a, b in zip(drawn, drawn[1:], strict=False)]
    assert all(0.7 * settled <= gap <= 1.6 * settled for gap in intervals[1:]), intervals  # after its first frame
    assert clock["cpu"] / 5.0 <= 1.4 * BUDGET  # the run as a whole stays near the budget


def test_the_pacer_counts_cpu_spent_on_other_threads_of_the_window():
    """Qt paints big fills on helper threads while the GUI thread waits: a thread clock missed that work."""
    import threading
    import time

    pacer = FramePacer()
    spent: list[float] = []

    def helper() -> None:
        start = time.thread_time()
        while time.thread_time() - start < 0.05:
            sum(range(1000))
        spent.append(time.thread_time() - start)

    before = pacer.cpu_clock()
    thread = threading.Thread(target=helper)
    thread.start()
    thread.join()
    assert pacer.cpu_clock() - before >= spent[0]


def test_a_frame_that_draws_nothing_does_not_teach_the_pacer_what_a_frame_costs(plots, monkeypatch):
    """A run's first block is often its FitStarted alone (the worker sends it before the first batch). Its frame
    drew nothing (~1 ms), a fresh pacer learned 30 frames/s from it, and the first second of the run drew a
    frame per block at ~40 ms each: the replay bench's first runs at ~4 frames/s and 5-6 % of a core."""
    from app.plots.pacing import BUDGET

    clock = {"wall": 100.0, "cpu": 0.0}
    monkeypatch.setattr("app.plots.pacing.time.monotonic", lambda: clock["wall"])
    plots.pacer = FramePacer(cpu_clock=lambda: clock["cpu"])  # a fresh window's, its clocks in the test's hands
    clock["wall"] += 5.0  # the window was built long before its first run
    draw = plots.refresh

    def refresh() -> bool:  # what a frame costs: 40 ms when it draws, 1 ms when there was nothing to draw
        drawn = plots.frames
        did = draw()
        clock["cpu"] += 0.04 if plots.frames != drawn else 0.001
        return did

    plots.refresh = refresh
    plots.clear()  # F5
    clock["wall"] += 0.3
    plots.handle([FitStarted(30, 23, 690, 10, 10, ("a", "b"))])
    plots._tick()  # the run's first block: nothing to draw
    drawn = []
    for k in range(10):  # a second of blocks, each asking for a frame (the dashboard's one-shot timer)
        clock["wall"] += 0.1
        plots.handle([BatchEnded(j, 0, 1.0 / j, 0.01, 1000.0, {"a": 1.0, "b": 2.0} if j % 3 else {})
                      for j in range(1 + 20 * k, 21 + 20 * k)])
        before = plots.frames
        plots._tick()
        drawn += [clock["wall"]] if plots.frames != before else []
    assert len(drawn) == 1, drawn  # the first batches' frame: it teaches the pacer an interval of ~1.3 s
    assert plots.pacer.interval >= 0.9 * 0.04 / BUDGET
