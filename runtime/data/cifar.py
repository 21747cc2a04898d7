"""The CIFAR-10 binary format, read from local files (the "binary version" archive).

Each record is 1 label byte and 3072 pixel bytes (1024 red, then green, then
blue, rows top to bottom), so a batch file is a plain ``(N, 3073)`` byte
matrix and images are already channel-first ``(3, 32, 32)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from runtime.data.bundle import DatasetBundle
from runtime.data.errors import DatasetError
from runtime.data.idx import labelled_images

RECORD = 1 + 3 * 32 * 32
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def read_cifar10_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images ``(N, 3, 32, 32)`` and int64 labels ``(N,)`` from one ``.bin`` file."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if data.size == 0 or data.size % RECORD:
        raise DatasetError(f"{path}: {data.size} bytes is not a whole number of {RECORD}-byte CIFAR-10 records "
                           "(is this the binary version, not the Python pickle one?)")
    records = data.reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise DatasetError(f"{path}: label {int(labels.max())} found; CIFAR-10 labels are 0-9 "
                           "(CIFAR-100's format has two label bytes and is not supported)")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def cifar_folder(root: Path) -> Path:
    """The folder holding data_batch_*.bin: ``root`` itself or its ``cifar-10-batches-bin``."""
    for folder in (root, root / "cifar-10-batches-bin"):
        if sorted(folder.glob("data_batch_*.bin")):
            return folder
    return root


def cifar_problems(p: dict[str, Any]) -> list[str]:
    root = p["path"]
    if not root.is_dir():
        return [f"{root}: not a folder (point 'path' at the extracted cifar-10-batches-bin folder)"]
    if not sorted(cifar_folder(root).glob("data_batch_*.bin")):
        return [f"{root}: no data_batch_*.bin files (also looked in cifar-10-batches-bin/); "
                "use the CIFAR-10 binary version"]
    return []


def _stack(paths: list[Path]) -> tuple[torch.Tensor, torch.Tensor]:
    parts = [read_cifar10_batch(f) for f in paths]
    return (torch.from_numpy(np.concatenate([a for a, _ in parts])),
            torch.from_numpy(np.concatenate([b for _, b in parts])))


def load_cifar10(p: dict[str, Any]) -> DatasetBundle:
    problems = cifar_problems(p)
    if problems:
        raise DatasetError(problems)
    folder = cifar_folder(p["path"])
    x, y = _stack(sorted(folder.glob("data_batch_*.bin")))
    test_file = folder / "test_batch.bin"
    test = _stack([test_file]) if test_file.is_file() else None
    names = CIFAR10_CLASSES
    meta = folder / "batches.meta.txt"
    if meta.is_file():
        listed = [line.strip() for line in meta.read_text(encoding="utf-8", errors="replace").splitlines()]
        names = [n for n in listed if n] or names
    return labelled_images(x, y, test, p, names, "cifar10")
