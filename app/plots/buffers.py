"""Growable NumPy buffers: appends are O(1) amortised, reads are views (no copies per frame)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Series:
    """x/y float arrays that double their capacity when full."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.n = 0
        self.version = 0  # bumps on every change, so a redraw happens only when needed

    def _reserve(self, size: int) -> None:
        if size > len(self._x):
            capacity = max(size, 2 * len(self._x))
            for name in ("_x", "_y"):
                grown = np.empty(capacity)
                grown[: self.n] = getattr(self, name)[: self.n]
                setattr(self, name, grown)

    def append(self, x: float, y: float) -> None:
        self._reserve(self.n + 1)
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1
        self.version += 1

    def extend(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        """Many points at once: one slice assignment per array instead of a Python call per point."""
        k = len(xs)
        if not k:
            return
        self._reserve(self.n + k)
        self._x[self.n:self.n + k] = xs
        self._y[self.n:self.n + k] = ys
        self.n += k
        self.version += 1

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def x_y(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x, self.y

    def clear(self) -> None:
        self.n = 0
        self.version += 1


class LayerMatrix:
    """Per-layer values by step for the heatmap: the last `keep` steps, log10 of the norms.

    Rows live in one array that grows by doubling; `image()` is a view of the
    last `keep` rows, so a frame costs no Python loop over the steps.
    """

    def __init__(self, keep: int = 2000) -> None:
        self.keep = keep
        self.layers: list[str] = []
        self._column: dict[str, int] = {}
        self._data = np.full((0, 0), np.nan)
        self._steps = np.empty(0)
        self.n = 0
        self.version = 0

    def add(self, step: int, values: dict[str, float]) -> None:
        self.add_many([(step, values)])

    def add_many(self, rows: list[tuple[int, dict[str, float]]]) -> None:
        for _, values in rows:
            for name in values:
                if name not in self._column:
                    self._column[name] = len(self.layers)
                    self.layers.append(name)
        width, k = len(self.layers), len(rows)
        if self.n + k > self._data.shape[0] or width > self._data.shape[1]:
            self._grow(max(self.n + k, 2 * self._data.shape[0], 64), width)
        block = np.full((k, width), np.nan)
        for r, (_, values) in enumerate(rows):
            for name, v in values.items():
                block[r, self._column[name]] = v
        with np.errstate(divide="ignore", invalid="ignore"):
            block = np.where(block > 0, np.log10(block), np.nan)
        self._data[self.n:self.n + k, :width] = block
        self._steps[self.n:self.n + k] = [step for step, _ in rows]
        self.n += k
        if self.n > 4 * self.keep:  # keep memory bounded: move the visible rows to the front
            start = self.n - self.keep
            self._data[: self.keep] = self._data[start:self.n]
            self._steps[: self.keep] = self._steps[start:self.n]
            self.n = self.keep
        self.version += 1

    def _grow(self, rows: int, width: int) -> None:
        data = np.full((rows, max(width, self._data.shape[1])), np.nan)
        data[: self.n, : self._data.shape[1]] = self._data[: self.n]
        steps = np.empty(rows)
        steps[: self.n] = self._steps[: self.n]
        self._data, self._steps = data, steps

    @property
    def steps(self) -> np.ndarray:
        return self._steps[max(0, self.n - self.keep):self.n]

    @property
    def columns(self) -> int:
        """How many steps are shown (at most `keep`)."""
        return min(self.n, self.keep)

    def image(self) -> np.ndarray:
        """(steps, layers) array, a view; missing values are NaN."""
        if not self.n:
            return np.zeros((0, 0))
        return self._data[max(0, self.n - self.keep):self.n, : len(self.layers)]

    def clear(self) -> None:
        self.layers, self._column = [], {}
        self._data, self._steps, self.n = np.full((0, 0), np.nan), np.empty(0), 0
        self.version += 1
