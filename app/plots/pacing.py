"""How often the dashboard may draw: at most 30 frames a second, fewer when frames are expensive.

Drawing competes with training for the CPU (the worker and the window share
the machine), so the window keeps its own CPU time near a small share of one
core: it measures what the window process spends per frame (every second,
and in a fresh window after its first frames) and sets the frame interval at
which that fits the budget. The process, not the GUI thread: Qt's raster
engine hands large fills (grid lines, curves) to a pool of helper threads
while the GUI thread waits, and a thread clock saw none of that work. A cheap
dashboard draws at the full rate; an expensive one (a big window, many
layers, a slow machine) draws less often instead of slowing training down.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_FPS = 30
#: The floor: under load (expensive frames, a slow machine) a frame every two seconds at least.
MIN_FPS = 0.5
#: The share of one core the window's process may spend while training is shown (drawing and taking in
#: events together): the window and the worker share one scheduler group, so this is taken from training.
BUDGET = 0.03
WINDOW_SECONDS = 1.0
#: A fresh pacer sets its rate from its first frame (then once a second): each frame at 30 fps before that is
#: ~25 ms of CPU that a window's first run pays on top (the 1400×900 dashboard settles near one frame a second).
LEARN_FRAMES = 1


class FramePacer:
    def __init__(self, max_fps: float = MAX_FPS, min_fps: float = MIN_FPS, budget: float = BUDGET,
                 cpu_clock: Callable[[], float] = time.process_time) -> None:
        self.cpu_clock = cpu_clock
        self.fastest = 1.0 / max_fps
        self.slowest = 1.0 / min_fps
        self.budget = budget
        self.interval = self.fastest
        self._wall = time.monotonic()
        self._cpu = cpu_clock()
        self._last_frame = 0.0
        self._frames = 0  # frames let through since the interval was last adapted
        self._learning = True  # a fresh pacer: it knows nothing of what a frame costs yet

    def due(self) -> bool:
        """Whether a frame may be drawn now (call when there is something to draw; then `drew` if it drew);
        adapts once a second, and a fresh pacer after its first `LEARN_FRAMES` drawn frames (a window's first run lasts a few seconds: stretching
        step by step from 30 fps took most of it)."""
        now = time.monotonic()
        if now - self._wall >= WINDOW_SECONDS or (self._learning and self._frames >= LEARN_FRAMES):
            self._adapt(now)
        if now - self._last_frame < 0.9 * self.interval:  # timer ticks jitter: do not skip one by a hair
            return False
        self._last_frame = now
        return True

    def drew(self) -> None:
        """The frame `due` let through drew something. Only such frames count: a frame that drew nothing (a
        run's first block is often its FitStarted alone, sent before the first batch) cost ~1 ms, and a fresh
        pacer that learned from it drew the first second of the run at 30 frames/s (~5 % of a core)."""
        self._frames += 1

    def _adapt(self, now: float) -> None:
        """Sets the interval at which the window's CPU per frame fits the budget.

        The CPU per frame counts everything the window's process did since the last adaptation (taking in
        events, the status text, painting) over the frames it drew: at the new interval the same work fits the
        budget. Idle time says nothing about what a frame costs: a span longer than a few seconds (the time
        between runs, the end of a run that loads its weights) teaches nothing, so the next run starts at the
        rate this one learned. The interval stretches at once (training needs the CPU) and shortens by at most
        half per second (one cheap second is not yet a trend).
        """
        cpu = self.cpu_clock()
        if self._frames and now - self._wall < 3 * WINDOW_SECONDS:
            per_frame = (cpu - self._cpu) / self._frames
            target = min(self.slowest, max(self.fastest, per_frame / self.budget))
            self.interval = target if target >= self.interval else max(target, self.interval / 2)
            self._learning = False
        self._wall, self._cpu, self._frames = now, cpu, 0

    def wait(self) -> float:
        """Seconds until `due` may let the next frame through (0: now)."""
        return max(0.0, 0.9 * self.interval - (time.monotonic() - self._last_frame))

    @property
    def fps(self) -> float:
        return 1.0 / self.interval
