"""How often the dashboard may draw: at most 30 frames a second, fewer when frames are expensive.

Drawing competes with training for the CPU (the worker and the window share
the machine), so the window keeps its own CPU time near a small share of one
core: every second it compares the window process's CPU time with the wall
time that passed and stretches or shortens the frame interval. The process,
not the GUI thread: Qt's raster engine hands large fills (grid lines, curves)
to a pool of helper threads while the GUI thread waits, and a thread clock
saw none of that work. A
cheap dashboard draws at the full rate; an expensive one (a big window, many
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

    def due(self) -> bool:
        """Whether a frame may be drawn now (call when there is something to draw); adapts once a second.

        The interval stretches as far as the budget asks (up to 4× a second, so a run that starts with
        expensive frames reaches its rate within a few seconds) and shortens only after seconds in which
        frames were drawn cheaply: the idle time between runs says nothing about what a frame costs, so the
        next run starts at the rate this one learned.
        """
        now = time.monotonic()
        if now - self._wall >= WINDOW_SECONDS:
            cpu = self.cpu_clock()
            share = (cpu - self._cpu) / (now - self._wall)
            if share > self.budget:
                self.interval = min(self.slowest, self.interval * min(4.0, share / self.budget))
            elif share < 0.5 * self.budget and self._frames and now - self._wall < 3 * WINDOW_SECONDS:
                self.interval = max(self.fastest, self.interval / 1.5)
            self._wall, self._cpu, self._frames = now, cpu, 0
        if now - self._last_frame < 0.9 * self.interval:  # timer ticks jitter: do not skip one by a hair
            return False
        self._last_frame = now
        self._frames += 1
        return True

    def wait(self) -> float:
        """Seconds until `due` may let the next frame through (0: now)."""
        return max(0.0, 0.9 * self.interval - (time.monotonic() - self._last_frame))

    @property
    def fps(self) -> float:
        return 1.0 / self.interval
