"""A user's NumPy ``.npz`` archive: inputs under one key, targets under another.

Loaded with ``allow_pickle=False``: an archive from the internet must not be
able to run code. Also reads the Keras layout (``x_train``/``y_train`` plus
``x_test`` or ``x_val``), using its own split instead of making a new one.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from runtime.data.build import split_arrays, tensor_bundle
from runtime.data.bundle import DatasetBundle
from runtime.data.errors import DatasetError
from runtime.data.splits import Standardizer


def archive_keys(path: Path) -> list[str]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return list(archive.files)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path}: not a readable .npz archive ({exc})") from None


def _layout(keys: list[str], x_key: str, y_key: str | None) -> tuple[str, str | None, str, str | None] | None:
    """(x_train, y_train, x_val, y_val) keys when the archive carries its own split."""
    for val in ("val", "test"):
        if x_key not in keys and f"{x_key}_train" in keys and f"{x_key}_{val}" in keys:
            yt, yv = (f"{y_key}_train", f"{y_key}_{val}") if y_key else (None, None)
            return f"{x_key}_train", yt if yt in keys else None, f"{x_key}_{val}", yv if yv in keys else None
    return None


def array_dtypes(path: Path) -> dict[str, np.dtype]:
    """Each array's dtype, read from the .npy headers inside the archive without loading the data."""
    dtypes: dict[str, np.dtype] = {}
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith(".npy"):
                    with archive.open(name) as f:
                        reader = readers.get(np.lib.format.read_magic(f))
                        if reader is not None:
                            dtypes[name[:-4]] = reader(f)[2]
    except (OSError, ValueError, zipfile.BadZipFile):
        return {}  # archive_keys reports an unreadable archive
    return dtypes


def _pickled(path: Path, keys: list[str]) -> list[str]:
    dtypes = array_dtypes(path)
    return [f"{path}: array {k!r} holds Python objects (a pickle); only numeric arrays are read, because "
            "unpickling can run code" for k in keys if k in dtypes and dtypes[k].hasobject]


def npz_problems(p: dict[str, Any]) -> list[str]:
    try:
        keys = archive_keys(p["path"])
    except DatasetError as exc:
        return [q.message for q in exc.problems]
    pickled = _pickled(p["path"], keys)
    if pickled:
        return pickled
    if p["x_key"] in keys or _layout(keys, p["x_key"], p["y_key"]):
        if p["y_key"] and p["y_key"] not in keys and not _layout(keys, p["x_key"], p["y_key"]) \
                and p["task"] != "reconstruction":
            return [f"{p['path']}: no array {p['y_key']!r} for targets; it holds {', '.join(keys)}"]
        return []
    return [f"{p['path']}: no array {p['x_key']!r} for inputs; it holds {', '.join(keys)} "
            "(set x_key / y_key)"]


def _inputs(a: np.ndarray, flat: bool) -> np.ndarray:
    """uint8 → float in [0, 1] (images); other integers stay token ids; floats → float32."""
    if a.dtype == np.uint8:
        a = a.astype(np.float32) / 255.0
    elif a.dtype.kind == "f":
        a = a.astype(np.float32)
    elif a.dtype.kind not in "iub":
        raise DatasetError(f"inputs have dtype {a.dtype}; need numbers")
    return a.reshape(len(a), -1) if flat else a


def _task(y: np.ndarray | None, task: str) -> str:
    if task != "auto":
        return task
    if y is None:
        return "reconstruction"
    return "classification" if y.dtype.kind in "iub" and y.ndim == 1 else "regression"


def _targets(y: np.ndarray, task: str, path: Path) -> np.ndarray:
    if task == "classification":
        if y.dtype.kind not in "iub":
            if y.dtype.kind != "f" or np.any(y != np.round(y)):
                raise DatasetError(f"{path}: classification targets must be whole numbers, got dtype {y.dtype}")
        y = y.astype(np.int64)
        if y.min() < 0:
            raise DatasetError(f"{path}: class labels must be 0 or more, found {int(y.min())}")
        return y
    y = y.astype(np.float32)
    return y[:, None] if y.ndim == 1 else y


def load_npz(p: dict[str, Any]) -> DatasetBundle:
    path = p["path"]
    problems = npz_problems(p)
    if problems:
        raise DatasetError(problems)
    with np.load(path, allow_pickle=False) as archive:
        keys = list(archive.files)
        y_key = p["y_key"] if p["y_key"] in keys else None
        names = _layout(keys, p["x_key"], p["y_key"]) or (p["x_key"], y_key, None, None)
        try:
            x, y, xv, yv = (archive[k] if k else None for k in names)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise DatasetError(f"{path}: cannot read its arrays ({str(exc).splitlines()[0][:200]})") from None
    task = _task(y, p["task"])
    if y is None and task != "reconstruction":
        raise DatasetError(f"{path}: no target array {p['y_key']!r}; only task 'reconstruction' works without one")
    if y is not None and len(y) != len(x):
        raise DatasetError(f"{path}: {names[0]!r} has {len(x)} samples but {names[1]!r} has {len(y)}")
    if xv is not None and yv is None and task != "reconstruction":
        raise DatasetError(f"{path}: has {names[2]!r} but no matching target array")
    x = _inputs(x, p["flat"])
    xv = None if xv is None else _inputs(xv, p["flat"])
    if task == "reconstruction":  # labels only matter for previews; keep them if present
        y = np.zeros(len(x), np.int64) if y is None or y.dtype.kind not in "iub" else y.astype(np.int64)
        yv = None if xv is None else np.zeros(len(xv), np.int64) if yv is None or yv.dtype.kind not in "iub" \
            else yv.astype(np.int64)
    else:
        y = _targets(y, task, path)
        yv = None if xv is None else _targets(yv, task, path)
    class_names = None
    if task == "classification":
        k = int(max(y.max(), yv.max() if yv is not None and len(yv) else 0)) + 1
        class_names = [str(c) for c in range(k)]
    extra: dict[str, Any] = {"keys": [n for n in names if n]}
    if xv is None:
        return split_arrays(x, y, task=task, name=path.name, val_fraction=p["val_fraction"], seed=p["seed"],
                            standardize=p["standardize"], class_names=class_names, extra=extra)
    if p["standardize"]:
        scaler = Standardizer.fit(x)
        x, xv = scaler.apply(x), scaler.apply(xv)
        extra.update(scaler.to_dict())
    return tensor_bundle(x, y, xv, yv, task=task, name=path.name, class_names=class_names, extra=extra)
