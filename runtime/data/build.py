"""From in-memory arrays to a DatasetBundle: the shared tail of most loaders.

Splitting, optional standardisation and tensor conversion happen here once,
so every tabular, synthetic or image source behaves the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from runtime.data.bundle import DatasetBundle, Task
from runtime.data.splits import Standardizer, split_indices
from runtime.data.tensors import ImageArray


def dtype_name(t: torch.Tensor | np.ndarray) -> str:
    return str(t.dtype).removeprefix("torch.")


def to_tensor(a: np.ndarray) -> torch.Tensor:
    """float arrays → float32, integer/bool → int64 (class indices, token ids)."""
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64))
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def tensor_bundle(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *,
                  task: Task, name: str, class_names: list[str] | None = None,
                  description: str = "", extra: dict[str, Any] | None = None) -> DatasetBundle:
    """Wraps ready-split arrays as TensorDatasets and fills in shapes and dtypes."""
    xt, yt, xv, yv = map(to_tensor, (x_train, y_train, x_val, y_val))
    classes = task in ("classification", "language_model")
    summary = (f"{name}: {len(xt)} train / {len(xv)} val, input {tuple(xt.shape[1:])}"
               + (f", {len(class_names)} classes" if classes and class_names else ""))
    # Reconstruction keeps the labels as the second element (for previews and
    # class balance) but the trainer's target is the input itself.
    target = xt if task == "reconstruction" else yt
    return DatasetBundle(
        train=TensorDataset(xt, yt), val=TensorDataset(xv, yv), task=task,
        input_shape=tuple(xt.shape[1:]), input_dtype=dtype_name(xt),
        target_shape=tuple(target.shape[1:]), target_dtype=dtype_name(target),
        num_classes=len(class_names) if classes and class_names else None,
        class_names=class_names, description=description or summary, extra=extra or {})


def split_arrays(x: np.ndarray, y: np.ndarray, *, task: Task, name: str,
                 val_fraction: float, seed: int, standardize: bool = False,
                 standardize_target: bool = False, class_names: list[str] | None = None, description: str = "",
                 extra: dict[str, Any] | None = None) -> DatasetBundle:
    """Seeded split (stratified for classification), then train-only standardisation.

    Standardisation is per feature over the sample axis, for flat feature
    vectors (images and sequences are already on a fixed scale); regression
    targets can be standardised the same way, statistics kept in ``extra``.
    """
    labels = y if task == "classification" and y.ndim == 1 else None
    train, val = split_indices(len(x), val_fraction, seed, labels, name)
    extra = dict(extra or {})
    x = np.asarray(x)
    x_train, x_val = x[train], x[val]
    if standardize:
        scaler = Standardizer.fit(x_train, axis=0)
        x_train, x_val = scaler.apply(x_train), scaler.apply(x_val)
        extra.update(scaler.to_dict())
    y_train, y_val = y[train], y[val]
    if standardize_target:
        target_scaler = Standardizer.fit(y_train, axis=0)
        y_train, y_val = target_scaler.apply(y_train), target_scaler.apply(y_val)
        extra.update({f"target_{k}": v for k, v in target_scaler.to_dict().items()})
    extra["train_indices"], extra["val_indices"] = train, val
    return tensor_bundle(x_train, y_train, x_val, y_val, task=task, name=name,
                         class_names=class_names, description=description, extra=extra)


def image_bundle(x: torch.Tensor, y: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor, p: dict[str, Any],
                 class_names: list[str], name: str, train_index: np.ndarray | None = None) -> DatasetBundle:
    """ImageArray train/val datasets from uint8 ``(N, C, H, W)`` tensors (train rows picked by index)."""
    if train_index is not None:
        x, y = x[train_index], y[train_index]
    flat = p["flat"]
    train, val = ImageArray(x, y, flat), ImageArray(xv, yv, flat)
    task = p.get("task", "classification")
    c, h, w = x.shape[1:]
    shape = train.sample_shape
    return DatasetBundle(
        train=train, val=val, task=task, input_shape=shape, input_dtype="float32",
        target_shape=shape if task == "reconstruction" else (),
        target_dtype="float32" if task == "reconstruction" else "int64",
        num_classes=len(class_names) if task == "classification" else None, class_names=class_names,
        description=f"{name}: {len(train)} train / {len(val)} val images {c}x{h}x{w}, {len(class_names)} classes")
