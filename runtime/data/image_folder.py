"""A folder of images with one sub-folder per class (the Keras/torchvision layout).

Read with Pillow, converted to RGB or grayscale and resized to one size, so
images of any shape and mode can be batched. Kept as uint8 in memory and
scaled to [0, 1] on access (see ImageArray).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from runtime.data.build import image_bundle
from runtime.data.bundle import DatasetBundle
from runtime.data.errors import DatasetError
from runtime.data.splits import split_indices

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


def class_folders(root: Path) -> list[Path]:
    """Visible sub-folders, sorted by name: their order defines the class indices."""
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    return sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")), key=lambda d: d.name)


def image_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES
                  and not f.name.startswith(".") and f.is_file())


def folder_problems(p: dict[str, Any]) -> list[str]:
    try:
        folders = class_folders(p["path"])
    except DatasetError as exc:
        return exc.problems
    if len(folders) < 2:
        return [f"{p['path']}: found {len(folders)} class sub-folder(s); put each class's images in its "
                "own sub-folder (at least 2)"]
    empty = [d.name for d in folders if not image_files(d)]
    if empty:
        return [f"{p['path']}: no images in class folder(s) {', '.join(map(repr, empty))} "
                f"(accepted: {', '.join(sorted(IMAGE_SUFFIXES))})"]
    return []


def read_image(path: Path, size: tuple[int, int], grayscale: bool) -> np.ndarray:
    """``(C, H, W)`` uint8 pixels; errors name the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert("L" if grayscale else "RGB")
            if img.size != (size[1], size[0]):
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            a = np.asarray(img, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read this image ({exc})") from None
    return a[None] if grayscale else a.transpose(2, 0, 1)


def load_image_folder(p: dict[str, Any]) -> DatasetBundle:
    problems = folder_problems(p)
    if problems:
        raise DatasetError(problems)
    root, size, grayscale = p["path"], p["size"], p["grayscale"]
    images, labels, names = [], [], []
    for k, folder in enumerate(class_folders(root)):
        files = image_files(folder)[:p["max_per_class"] or None]
        images += [read_image(f, size, grayscale) for f in files]
        labels += [k] * len(files)
        names.append(folder.name)
    x = torch.from_numpy(np.stack(images))
    y = torch.tensor(labels, dtype=torch.int64)
    train, val = split_indices(len(y), p["val_fraction"], p["seed"], np.asarray(labels), root.name)
    return image_bundle(x, y, x[val], y[val], p, names, root.name, train_index=train)

