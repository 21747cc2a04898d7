"""Two-dimensional toy classification sets in the style of TensorFlow Playground.

Points live roughly in [-1, 1]^2 so a first network needs no scaling, and the
decision boundary can be drawn on a plane to watch what each layer learns.
Generated with numpy from the spec's seed: the same spec gives the same points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runtime.data.build import split_arrays
from runtime.data.bundle import DatasetBundle
from runtime.data.splits import GENERATE, rng_for


def _split_counts(n: int, k: int) -> list[int]:
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def spirals(n: int, noise: float, rng: np.random.Generator, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class, each turning 1.75 times around the origin."""
    xs, ys = [], []
    for c, m in enumerate(_split_counts(n, classes)):
        r = np.arange(m) / max(m, 1)
        t = 1.75 * r * 2 * np.pi + 2 * np.pi * c / classes
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(m, c))
    x = np.concatenate(xs)
    return x + rng.normal(0, noise, x.shape), np.concatenate(ys)


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the scikit-learn construction), centred on the origin."""
    n0, n1 = _split_counts(n, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    outer = np.stack([np.cos(t0), np.sin(t0)], 1)
    inner = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)
    x = np.concatenate([outer, inner]) - [0.5, 0.25]
    return x + rng.normal(0, noise, x.shape), np.repeat([0, 1], [n0, n1])


def circles(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A disc (class 1) inside a ring (class 0): not separable by any straight line."""
    n0, n1 = _split_counts(n, 2)
    r = np.concatenate([rng.uniform(0.7, 1.0, n0), rng.uniform(0.0, 0.5, n1)])
    t = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.sin(t), r * np.cos(t)], 1)
    return x + rng.normal(0, noise, x.shape), np.repeat([0, 1], [n0, n1])


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants, class 1 where x*y > 0; a small gap keeps points off the axes."""
    x = rng.uniform(-1, 1, (n, 2))
    x += np.where(x > 0, 0.05, -0.05)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x + rng.normal(0, noise, x.shape), y


def blobs(n: int, noise: float, rng: np.random.Generator, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters with centres evenly spaced on the unit circle; ``noise`` is their std."""
    counts = _split_counts(n, classes)
    angles = 2 * np.pi * np.arange(classes) / classes + np.pi / 2
    centres = np.stack([np.cos(angles), np.sin(angles)], 1)
    y = np.repeat(np.arange(classes), counts)
    return centres[y] + rng.normal(0, noise, (n, 2)), y


GENERATORS = {"spirals": spirals, "moons": moons, "circles": circles, "xor": xor, "blobs": blobs}


def load_toy(name: str, p: dict[str, Any]) -> DatasetBundle:
    rng = rng_for(p["seed"], GENERATE)
    kwargs = {"classes": p["classes"]} if "classes" in p else {}
    x, y = GENERATORS[name](p["n"], p["noise"], rng, **kwargs)
    k = int(y.max()) + 1
    return split_arrays(x.astype(np.float32), y.astype(np.int64), task="classification", name=name,
                        val_fraction=p["val_fraction"], seed=p["seed"],
                        class_names=[str(c) for c in range(k)])
