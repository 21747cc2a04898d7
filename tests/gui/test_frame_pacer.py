"""The frame pacer: the dashboard's frame rate follows what a frame costs the window, within a share of a core."""

from __future__ import annotations

import pytest

from app.plots.pacing import FramePacer


def test_the_pacer_keeps_30_fps_when_cheap_and_slows_down_when_frames_are_expensive(monkeypatch):
    clock = {"wall": 0.0, "cpu": 0.0}
    monkeypatch.setattr("app.plots.pacing.time.monotonic", lambda: clock["wall"])
    pacer = FramePacer(max_fps=30, budget=0.05, cpu_clock=lambda: clock["cpu"])

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
