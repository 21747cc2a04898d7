"""Benchmark arms that take turns, one epoch each, so that they meet the same machine.

On this shared 2-core machine one ~2 s run of the careful loop varied ±15–20 %
from run to run: other processes' load (and their use of the caches) changes
within seconds, and a ratio of two runs made a second apart carried that noise
whole. Here each arm runs in its own thread, but only one thread runs at a
time: an arm trains one epoch, hands the baton to the next arm and waits for
it to come back. Every arm's CPU time is its own thread's, summed over its own
turns (the hand-over and the wait are outside them), so arms whose turns are a
few tens of milliseconds apart are measured under the same conditions. Setting
up (building the model, `session.prepare`) happens in the arm's first turn
before it starts its clock: never two at once, never counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class Turn:
    """One arm's place in the rotation: `start()` its clock once set up, `epoch_end()` after every epoch."""

    def __init__(self, turns: Turns, index: int) -> None:
        self._turns, self._index = turns, index
        self.cpu = self.wall = 0.0
        self._since: tuple[float, float] | None = None

    def start(self) -> None:
        self._since = (time.thread_time(), time.perf_counter())

    def stop(self) -> None:
        if self._since is not None:
            cpu, wall = self._since
            self.cpu += time.thread_time() - cpu
            self.wall += time.perf_counter() - wall
            self._since = None

    def epoch_end(self) -> None:
        self.stop()
        self._turns.pass_on(self._index)
        self._turns.wait(self._index)
        self.start()


class Turns:
    """Runs arms in threads that take turns; returns each arm's (thread CPU seconds, wall seconds)."""

    def __init__(self) -> None:
        self._go: list[threading.Event] = []
        self._done: list[bool] = []

    def wait(self, index: int) -> None:
        self._go[index].wait()
        self._go[index].clear()

    def pass_on(self, index: int) -> None:
        n = len(self._go)
        for k in range(1, n + 1):
            following = (index + k) % n
            if not self._done[following]:
                self._go[following].set()
                return

    def run(self, arms: list[Callable[[Turn], Any]]) -> list[tuple[float, float]]:
        self._go = [threading.Event() for _ in arms]
        self._done = [False] * len(arms)
        turns = [Turn(self, k) for k in range(len(arms))]
        errors: list[BaseException] = []

        def body(k: int) -> None:
            self.wait(k)
            try:
                arms[k](turns[k])
            except BaseException as exc:  # noqa: BLE001 - re-raised below, after every thread ended
                errors.append(exc)
            finally:
                turns[k].stop()
                self._done[k] = True
                self.pass_on(k)

        threads = [threading.Thread(target=body, args=(k,), name=f"arm-{k}") for k in range(len(arms))]
        for thread in threads:
            thread.start()
        self._go[0].set()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return [(turn.cpu, turn.wall) for turn in turns]


def rotation(names: list[str], shift: int) -> list[str]:
    """The order of one rotation: `names` shifted by `shift`, and walked backwards when `shift` is odd.

    Turns go round in a cycle, so in one direction each arm always follows the same arm and starts its
    epoch in the caches that arm left; walking every other rotation backwards makes each arm follow each
    of the others equally often over two rotations (shifting alone only changes who goes first).
    """
    start = shift % len(names)
    order = names[start:] + names[:start]
    return order if shift % 2 == 0 else order[::-1]
