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
MIN_FPS = 2
#: The share of one core the window's process may spend while training is shown.
BUDGET = 0.06
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

    def due(self) -> bool:
        """Whether a frame may be drawn now (call on every timer tick); adapts the interval once a second."""
        now = time.monotonic()
        if now - self._wall >= WINDOW_SECONDS:
            cpu = self.cpu_clock()
            share = (cpu - self._cpu) / (now - self._wall)
            if share > self.budget:
                self.interval = min(self.slowest, self.interval * min(2.0, share / self.budget))
            elif share < 0.5 * self.budget:
                self.interval = max(self.fastest, self.interval / 1.5)
            self._wall, self._cpu = now, cpu
        if now - self._last_frame < 0.9 * self.interval:  # timer ticks jitter: do not skip one by a hair
            return False
        self._last_frame = now
        return True

    @property
    def fps(self) -> float:
        return 1.0 / self.interval
