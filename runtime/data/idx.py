"""The IDX format of MNIST (and Fashion-MNIST, KMNIST, EMNIST), read from local files.

IDX is a tiny header (magic with type code and rank, then big-endian sizes)
followed by raw big-endian values; files are often gzipped. Reading it
ourselves avoids torchvision. ``download_mnist`` fetches the four official
files when a person asks for it; nothing here downloads on its own.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import torch

from runtime.data.build import image_bundle
from runtime.data.bundle import DatasetBundle
from runtime.data.errors import DatasetError
from runtime.data.splits import split_indices

IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
             0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
# torchvision's mirror (the original site now needs a login) and the files' published MD5 sums.
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def _raw_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (plain or gzipped) as a native-endian numpy array."""
    path = Path(path)
    data = _raw_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise DatasetError(f"{path}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    dtype, ndim = IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DatasetError(f"{path}: IDX header says shape {shape} ({expected} bytes) but the file has "
                           f"{len(data)} bytes (truncated or corrupt)")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: Path, array: np.ndarray) -> None:
    """Writes an IDX file (gzipped when the name ends in .gz); the inverse of read_idx."""
    array = np.asarray(array)
    code = next((c for c, t in IDX_TYPES.items() if t.kind == array.dtype.kind
                 and t.itemsize == array.dtype.itemsize), None)
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    payload = (bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
               + array.astype(IDX_TYPES[code]).tobytes())
    path = Path(path)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


def find_mnist_files(root: Path) -> dict[str, Path]:
    """The IDX files under ``root``, ``root/raw`` or ``root/MNIST/raw`` (torchvision's layout)."""
    found: dict[str, Path] = {}
    for folder in (root, root / "raw", root / "MNIST" / "raw"):
        for key, stems in MNIST_FILES.items():
            for stem in stems:
                for name in (stem, stem + ".gz"):
                    if key not in found and (folder / name).is_file():
                        found[key] = folder / name
    return found


def mnist_problems(p: dict[str, Any]) -> list[str]:
    root = p["path"]
    if not root.is_dir():
        return [f"{root}: not a folder (point 'path' at the folder holding the MNIST .idx files)"]
    found = find_mnist_files(root)
    missing = [MNIST_FILES[k][0] for k in ("train_images", "train_labels") if k not in found]
    if missing:
        return [f"{root}: missing {' and '.join(m + '[.gz]' for m in missing)} (also looked in raw/ and "
                "MNIST/raw/); download_mnist() can fetch them"]
    return []


def _pair(images: Path, labels: Path) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 3 or y.ndim != 1 or x.dtype != np.uint8:
        raise DatasetError(f"{images}: expected uint8 images shaped (N, H, W) and labels (N,), got "
                           f"{x.dtype} {x.shape} and {y.shape}")
    if len(x) != len(y):
        raise DatasetError(f"{images}: {len(x)} images but {labels.name} has {len(y)} labels")
    return torch.from_numpy(x.copy()).unsqueeze(1), torch.from_numpy(y.astype(np.int64))


def class_names_for(p: dict[str, Any], k: int, default: list[str]) -> list[str]:
    names = p.get("class_names") or (default if len(default) >= k else [str(c) for c in range(k)])
    if len(names) < k:
        raise DatasetError(f"class_names lists {len(names)} names but the labels go up to {k - 1}")
    return list(names)


def labelled_images(x: torch.Tensor, y: torch.Tensor, test: tuple[torch.Tensor, torch.Tensor] | None,
                    p: dict[str, Any], default_names: list[str], name: str) -> DatasetBundle:
    """Official test set as validation when present and wanted, else a stratified split of train."""
    if p["max_samples"]:
        x, y = x[:p["max_samples"]], y[:p["max_samples"]]
    k = int(max(int(y.max()), int(test[1].max()) if test is not None and len(test[1]) else 0)) + 1
    names = class_names_for(p, k, default_names)
    if test is not None and p["use_test_as_val"]:
        return image_bundle(x, y, test[0], test[1], p, names, name)
    train, val = split_indices(len(y), p["val_fraction"], p["seed"], y.numpy(), name)
    return image_bundle(x, y, x[val], y[val], p, names, name, train_index=train)


def load_mnist(p: dict[str, Any]) -> DatasetBundle:
    problems = mnist_problems(p)
    if problems:
        raise DatasetError(problems)
    files = find_mnist_files(p["path"])
    x, y = _pair(files["train_images"], files["train_labels"])
    test = None
    if "test_images" in files and "test_labels" in files:
        test = _pair(files["test_images"], files["test_labels"])
    return labelled_images(x, y, test, p, [str(d) for d in range(10)], "mnist")


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def download_mnist(dest: Path, base_url: str = MNIST_URL, md5: dict[str, str] | None = None,
                   timeout: float = 60.0) -> Path:
    """Downloads the four MNIST files into ``dest`` (skipping valid ones); returns ``dest``.

    Only ever called on a person's request (a button or a script), never by a
    loader: datasets must load offline. Each file is checked against its MD5
    and written atomically, so a failed download leaves no half file behind.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, digest in (md5 or MNIST_MD5).items():
        target = dest / name
        if target.is_file() and _md5(target) == digest:
            continue
        tmp = target.with_name(target.name + ".part")
        with urllib.request.urlopen(base_url + name, timeout=timeout) as response:
            tmp.write_bytes(response.read())
        if _md5(tmp) != digest:
            tmp.unlink()
            raise DatasetError(f"{base_url + name}: checksum mismatch (download corrupted or file changed)")
        tmp.replace(target)
    return dest
