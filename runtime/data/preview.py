"""A quick look at a loaded dataset for the GUI: first samples, shapes, balance, range.

Everything returned is plain JSON (lists, numbers, strings), so the preview
can cross the worker-process pipe or be saved with a run. Statistics are
computed on at most ``MAX_SCAN`` samples so previews stay instant on big sets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset

from runtime.data.bundle import DatasetBundle
from runtime.data.tensors import CharWindows, ImageArray

MAX_SCAN = 2048


def _inputs_sample(ds: Dataset, limit: int) -> torch.Tensor | None:
    """Up to ``limit`` inputs stacked, without a Python loop for the common dataset types."""
    n = min(limit, len(ds))  # type: ignore[arg-type]
    if n == 0:
        return None
    if isinstance(ds, TensorDataset):
        return ds.tensors[0][:n]
    if isinstance(ds, ImageArray):
        return ds.images[:n].float() / 255.0
    if isinstance(ds, CharWindows):
        return ds.ids[:n * ds.stride + ds.block_size]
    return torch.stack([torch.as_tensor(ds[i][0]) for i in range(n)])


def targets_of(ds: Dataset) -> torch.Tensor | None:
    """All targets when the dataset holds them as one tensor (for class counts)."""
    if isinstance(ds, TensorDataset) and len(ds.tensors) > 1:
        return ds.tensors[1]
    if isinstance(ds, ImageArray):
        return ds.targets
    return None


def class_counts(ds: Dataset, names: list[str]) -> dict[str, int]:
    """Samples per class (per time step for sequence targets), in class order."""
    targets = targets_of(ds)
    if targets is None:
        n = min(MAX_SCAN, len(ds))  # type: ignore[arg-type]
        targets = torch.stack([torch.as_tensor(ds[i][1]) for i in range(n)]) if n else torch.zeros(0)
    counts = np.bincount(targets.reshape(-1).long().numpy(), minlength=len(names)) if targets.numel() else \
        np.zeros(len(names), np.int64)
    return {name: int(c) for name, c in zip(names, counts, strict=False)}


def sample_kind(bundle: DatasetBundle) -> str:
    """How the GUI should draw a sample: image, text, sequence or vector."""
    shape = bundle.input_shape
    if len(shape) == 3 and shape[0] in (1, 3, 4) and bundle.input_dtype.startswith("float"):
        return "image"
    if bundle.input_dtype.startswith("int") and "itos" in bundle.extra:
        return "text"
    if len(shape) >= 2 or bundle.task == "forecast":
        return "sequence"
    return "vector"


def preview(bundle: DatasetBundle, n: int = 8, split: str = "train") -> dict[str, Any]:
    """First ``n`` samples of ``split`` ("train" or "val") with shapes, dtypes, balance and range."""
    ds = bundle.train if split == "train" else bundle.val
    k = min(n, len(ds))  # type: ignore[arg-type]
    pairs = [ds[i] for i in range(k)]
    kind = sample_kind(bundle)
    out: dict[str, Any] = {
        "description": bundle.description, "task": bundle.task, "split": split, "kind": kind,
        "sizes": {"train": len(bundle.train), "val": len(bundle.val)},  # type: ignore[arg-type]
        "input_shape": list(bundle.input_shape), "input_dtype": bundle.input_dtype,
        "target_shape": list(bundle.target_shape), "target_dtype": bundle.target_dtype,
        "num_classes": bundle.num_classes, "class_names": bundle.class_names,
        "inputs": [torch.as_tensor(x).tolist() for x, _ in pairs],
        "targets": [torch.as_tensor(y).tolist() for _, y in pairs],
    }
    scan = _inputs_sample(ds, MAX_SCAN)
    if scan is not None and scan.numel():
        scan = scan.double()
        out["value_range"] = [float(scan.min()), float(scan.max())]
        out["mean"], out["std"] = float(scan.mean()), float(scan.std()) if scan.numel() > 1 else 0.0
    if bundle.task == "classification" and bundle.class_names:
        out["class_counts"] = {"train": class_counts(bundle.train, bundle.class_names),
                               "val": class_counts(bundle.val, bundle.class_names)}
    itos = bundle.extra.get("itos")
    if kind == "text" and itos:
        def decode(ids: list[int]) -> str:
            return "".join(itos[i] for i in ids if i != bundle.extra.get("pad_index", -1))

        out["texts"] = [decode(x) for x in out["inputs"]]
        if bundle.task == "language_model":
            out["target_texts"] = [decode(y) for y in out["targets"]]
    if bundle.class_names and bundle.task == "classification" and not bundle.target_shape:
        out["labels"] = [bundle.class_names[int(y)] for y in out["targets"]]
    return out
