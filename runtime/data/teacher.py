"""Noisy regression from a fixed random "teacher": the set double descent is shown on.

x ~ N(0, I_d); the clean target is tanh(2 x·w) + x₁x₂/2 for a random unit
direction w, so neither a linear model nor a few features fit it; then
Gaussian label noise with `noise` × the clean targets' standard deviation is
added (0.4 puts 14 % of the target variance in the noise). Generated with
numpy from the seed: the same spec gives the same points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runtime.data.build import split_arrays
from runtime.data.bundle import DatasetBundle
from runtime.data.splits import GENERATE, rng_for


def teacher(n: int, d: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    w = rng.normal(size=d)
    w /= np.linalg.norm(w)
    x = rng.normal(size=(n, d))
    clean = np.tanh(2 * x @ w) + 0.5 * x[:, 0] * x[:, 1]
    y = clean + noise * clean.std() * rng.normal(size=n)
    return x.astype(np.float32), y[:, None].astype(np.float32)


def load_teacher(p: dict[str, Any]) -> DatasetBundle:
    x, y = teacher(p["n"], p["dim"], p["noise"], rng_for(p["seed"], GENERATE))
    bundle = split_arrays(x, y, task="regression", name=f"teacher (d={p['dim']}, noise {p['noise']:g})",
                          val_fraction=p["val_fraction"], seed=p["seed"])
    bundle.extra["noise_variance_share"] = p["noise"] ** 2 / (1 + p["noise"] ** 2)
    return bundle
