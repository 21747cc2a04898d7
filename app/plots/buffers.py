"""Growable NumPy buffers: appends are O(1) amortised, reads are views (no copies per frame)."""

from __future__ import annotations

import numpy as np


class Series:
    """x/y float arrays that double their capacity when full."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.n = 0
        self.version = 0  # bumps on every change, so a redraw happens only when needed

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1
        self.version += 1

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def clear(self) -> None:
        self.n = 0
        self.version += 1


class LayerMatrix:
    """Per-layer values by step for the heatmap: the last `keep` steps, log10 of the norms."""

    def __init__(self, keep: int = 2000) -> None:
        self.keep = keep
        self.layers: list[str] = []
        self.columns: list[np.ndarray] = []
        self.steps: list[int] = []
        self.version = 0

    def add(self, step: int, values: dict[str, float]) -> None:
        for name in values:
            if name not in self.layers:
                self.layers.append(name)
        column = np.full(len(self.layers), np.nan)
        for k, name in enumerate(self.layers):
            v = values.get(name)
            if v is not None and v > 0:
                column[k] = np.log10(v)
        self.columns.append(column)
        self.steps.append(step)
        if len(self.columns) > self.keep:
            del self.columns[: len(self.columns) - self.keep]
            del self.steps[: len(self.steps) - self.keep]
        self.version += 1

    def image(self) -> np.ndarray:
        """(steps, layers) array; missing values are NaN."""
        if not self.columns:
            return np.zeros((0, 0))
        out = np.full((len(self.columns), len(self.layers)), np.nan)
        for k, c in enumerate(self.columns):
            out[k, : len(c)] = c
        return out

    def clear(self) -> None:
        self.layers, self.columns, self.steps = [], [], []
        self.version += 1
