"""The small classic datasets that ship inside scikit-learn: digits, iris, wine, breast cancer.

They are read straight from the CSV files in scikit-learn's package folder:
importing ``sklearn.datasets`` costs ~0.7 s, reading the file ~10 ms, and the
dataset picker should feel instant. If a future scikit-learn moves the files,
the public ``sklearn.datasets.load_*`` functions are the fallback.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from runtime.data.build import split_arrays
from runtime.data.bundle import DatasetBundle

_FILES = {"digits": "digits.csv.gz", "iris": "iris.csv", "wine": "wine_data.csv",
          "breast_cancer": "breast_cancer.csv"}
DIGIT_NAMES = [str(d) for d in range(10)]


def _sklearn_data_dir() -> Path | None:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def read_sklearn_table(name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features (float64), integer labels and class names of a bundled scikit-learn set."""
    folder = _sklearn_data_dir()
    path = folder / _FILES[name] if folder else None
    if path is not None and path.is_file():
        if name == "digits":
            with gzip.open(path, "rt") as f:
                table = np.loadtxt(f, delimiter=",")
            return table[:, :-1], table[:, -1].astype(np.int64), DIGIT_NAMES
        with path.open() as f:
            header = f.readline().strip().split(",")
            table = np.loadtxt(f, delimiter=",")
        return table[:, :-1], table[:, -1].astype(np.int64), header[2:]
    from sklearn import datasets  # the documented API, if the data files moved

    data = getattr(datasets, f"load_{name}")()
    names = DIGIT_NAMES if name == "digits" else [str(n) for n in data.target_names]
    return np.asarray(data.data, np.float64), np.asarray(data.target, np.int64), names


def load_digits(p: dict[str, Any]) -> DatasetBundle:
    """8x8 grayscale digits scaled to [0, 1]: ``(1, 8, 8)`` images, or 64 features with ``flat``."""
    x, y, names = read_sklearn_table("digits")
    x = (x / 16.0).astype(np.float32)
    x = x if p["flat"] else x.reshape(-1, 1, 8, 8)
    return split_arrays(x, y, task=p["task"], name="digits", val_fraction=p["val_fraction"],
                        seed=p["seed"], class_names=names)


def load_table(name: str, p: dict[str, Any]) -> DatasetBundle:
    """Iris, wine or breast cancer: feature vectors, standardised with train statistics."""
    x, y, names = read_sklearn_table(name)
    return split_arrays(x.astype(np.float32), y, task="classification", name=name,
                        val_fraction=p["val_fraction"], seed=p["seed"],
                        standardize=p["standardize"], class_names=names)
