"""Synthetic long-range memory tasks for recurrent networks.

Each needs information from far back in the sequence, which is exactly where
vanilla RNNs fail and LSTMs/GRUs (or good initialisation) succeed; a model
that ignores the distant past gets a known baseline score, so progress is
easy to read:

* adding (Hochreiter & Schmidhuber 1997): sum the two marked values; always
  predicting 1.0 gives MSE ≈ 0.167.
* copy (Arjovsky et al. 2016): reproduce the first symbols after a long
  blank delay; the memoryless baseline cross entropy is ≈ K·log 8 / (T + 2K).
* parity: is the number of ones odd? The answer depends on every bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runtime.data.build import split_arrays
from runtime.data.bundle import DatasetBundle
from runtime.data.splits import GENERATE, rng_for

COPY_SYMBOLS = 8  # symbol ids 1..8; 0 is blank, 9 the "go" delimiter
COPY_CLASSES = ["blank"] + [str(s) for s in range(1, COPY_SYMBOLS + 1)] + ["go"]


def adding_problem(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(n, length, 2)``: values in [0, 1) and a 0/1 marker channel with one mark in
    each half; targets ``(n, 1)``: the sum of the two marked values."""
    values = rng.uniform(0, 1, (n, length))
    half = length // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, length, n)
    marks = np.zeros((n, length))
    rows = np.arange(n)
    marks[rows, first] = 1
    marks[rows, second] = 1
    x = np.stack([values, marks], axis=2)
    y = (values[rows, first] + values[rows, second])[:, None]
    return x.astype(np.float32), y.astype(np.float32)


def copy_task(n: int, delay: int, symbols: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Token ids ``(n, L)`` with ``L = 2*symbols + delay``: symbols, ``delay - 1`` blanks, the go
    mark, ``symbols`` blanks. Target: blanks, then the symbols in the last ``symbols`` steps."""
    length = 2 * symbols + delay
    seq = rng.integers(1, COPY_SYMBOLS + 1, (n, symbols))
    x = np.zeros((n, length), np.int64)
    y = np.zeros((n, length), np.int64)
    x[:, :symbols] = seq
    x[:, symbols + delay - 1] = COPY_SYMBOLS + 1
    y[:, -symbols:] = seq
    return x, y


def parity_task(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bit sequences ``(n, length, 1)`` as floats; target 1 when the count of ones is odd."""
    bits = rng.integers(0, 2, (n, length))
    return bits[..., None].astype(np.float32), (bits.sum(1) % 2).astype(np.int64)


def load_adding(p: dict[str, Any]) -> DatasetBundle:
    x, y = adding_problem(p["n"], p["length"], rng_for(p["seed"], GENERATE))
    return split_arrays(x, y, task="regression", name=f"adding (T={p['length']})",
                        val_fraction=p["val_fraction"], seed=p["seed"], extra={"baseline_mse": 1 / 6})


def load_copy(p: dict[str, Any]) -> DatasetBundle:
    x, y = copy_task(p["n"], p["delay"], p["symbols"], rng_for(p["seed"], GENERATE))
    bundle = split_arrays(x, y, task="classification", name=f"copy (delay {p['delay']})",
                          val_fraction=p["val_fraction"], seed=p["seed"], class_names=COPY_CLASSES)
    bundle.extra["baseline_loss"] = p["symbols"] * np.log(COPY_SYMBOLS) / x.shape[1]
    return bundle


def load_parity(p: dict[str, Any]) -> DatasetBundle:
    x, y = parity_task(p["n"], p["length"], rng_for(p["seed"], GENERATE))
    return split_arrays(x, y, task="classification", name=f"parity (T={p['length']})",
                        val_fraction=p["val_fraction"], seed=p["seed"], class_names=["even", "odd"])
