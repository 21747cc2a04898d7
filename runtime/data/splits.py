"""Deterministic train/validation splits and train-only standardisation.

The same spec must give the same split on every machine and every run, or
validation numbers are not comparable between experiments; and statistics
used to scale data come from the training part only, or validation scores
leak information they should not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from runtime.data.errors import DatasetError

# Independent random streams derived from the one user seed (numpy SeedSequence
# entropy lists), so generating data and splitting it never share draws.
GENERATE, SPLIT = 0, 1


def rng_for(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), stream])


def split_indices(n: int, val_fraction: float, seed: int,
                  labels: np.ndarray | None = None, name: str = "dataset") -> tuple[np.ndarray, np.ndarray]:
    """Shuffled, disjoint train/val index arrays; stratified per class when ``labels`` is given.

    Stratifying keeps every class in both parts in its original proportion, so
    a small set (iris) does not end up with a validation split missing a class.
    """
    rng = rng_for(seed, SPLIT)
    if labels is None:
        perm = rng.permutation(n)
        n_val = int(round(n * val_fraction))
        if val_fraction > 0 and n_val == 0 and n > 1:
            n_val = 1
        val, train = perm[:n_val], perm[n_val:]
    else:
        labels = np.asarray(labels)
        train_parts, val_parts = [], []
        for cls in np.unique(labels):
            idx = np.flatnonzero(labels == cls)
            rng.shuffle(idx)
            k = int(round(len(idx) * val_fraction))
            val_parts.append(idx[:k])
            train_parts.append(idx[k:])
        train = rng.permutation(np.concatenate(train_parts)) if train_parts else np.zeros(0, np.int64)
        val = rng.permutation(np.concatenate(val_parts)) if val_parts else np.zeros(0, np.int64)
    if len(train) == 0:
        raise DatasetError(f"{name}: {n} samples leave none for training with val_fraction {val_fraction}")
    return train.astype(np.int64), val.astype(np.int64)


@dataclass
class Standardizer:
    """Per-feature z-scoring fitted on training data; constant features keep scale 1."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, axis: int | tuple[int, ...] = 0) -> Standardizer:
        x = np.asarray(x, dtype=np.float64)
        mean = x.mean(axis=axis)
        std = x.std(axis=axis)
        std = np.where(std < 1e-12, 1.0, std)
        return cls(mean, std)

    def apply(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def invert(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) * self.std + self.mean

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, so a run can record how to undo the scaling of predictions."""
        return {"mean": np.asarray(self.mean).tolist(), "std": np.asarray(self.std).tolist()}
