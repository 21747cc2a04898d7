"""Datasets from the user's own files: CSV, NumPy archives, IDX (MNIST), CIFAR-10 batches, image folders."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from runtime.data import (
    DatasetError,
    load_dataset,
    read_cifar10_batch,
    read_idx,
    validate_dataset_spec,
    write_idx,
)
from tests.runtime.test_data import arrays, check_bundle  # noqa: F401 - shared helpers


def write_csv(path: Path, rows: list[list], delimiter: str = ",") -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def test_csv_classification_with_text_labels_and_train_only_scaling(tmp_path):
    rows = [["a", "b", "skip", "label"]]
    rng = np.random.default_rng(0)
    for k in range(60):
        rows.append([f"{rng.normal(10, 3):.4f}", str(k), "x", ["cat", "dog", "emu"][k % 3]])
    write_csv(tmp_path / "data.csv", rows)
    spec = {"name": "csv", "path": "data.csv", "target": "label", "features": ["a", "b"], "seed": 1}
    assert validate_dataset_spec(spec, tmp_path) == []
    bundle = load_dataset(spec, base_dir=tmp_path)
    check_bundle(bundle, "classification", (2,), 3)
    assert bundle.class_names == ["cat", "dog", "emu"]
    x, _ = arrays(bundle.train)
    np.testing.assert_allclose(x.mean(0).numpy(), 0, atol=1e-5)
    b = np.array([float(r[1]) for r in rows[1:]])
    assert bundle.extra["mean"][1] == pytest.approx(b[bundle.extra["train_indices"]].mean())


def test_csv_infers_regression_and_classification_from_numbers(tmp_path):
    rows = [["x", "y"]] + [[str(k), str(k * 0.5 + 0.25)] for k in range(40)]
    bundle = load_dataset({"name": "csv", "path": str(write_csv(tmp_path / "r.csv", rows))})
    check_bundle(bundle, "regression", (1,), None, (1,))
    rows = [["x", "y"]] + [[str(k), str(k % 4)] for k in range(40)]
    bundle = load_dataset({"name": "csv", "path": str(write_csv(tmp_path / "c.csv", rows))})
    check_bundle(bundle, "classification", (1,), 4)
    bundle = load_dataset({"name": "csv", "path": str(tmp_path / "c.csv"), "task": "regression",
                           "standardize_target": True})
    assert bundle.task == "regression" and "target_mean" in bundle.extra


def test_csv_semicolon_delimiter_is_detected(tmp_path):
    rows = [["p", "q", "t"]] + [[str(k), str(k * 2), "ab"[k % 2]] for k in range(20)]
    bundle = load_dataset({"name": "csv", "path": str(write_csv(tmp_path / "s.csv", rows, ";"))})
    assert bundle.input_shape == (2,) and bundle.class_names == ["a", "b"]


def test_csv_bad_value_names_file_line_and_column(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("age,height,label\n31,1.8,a\n45,1.7,b\n52,tall,a\n")
    with pytest.raises(DatasetError) as err:
        load_dataset({"name": "csv", "path": str(path)})
    message = str(err.value)
    assert "data.csv" in message and "line 4" in message and "'height'" in message and "'tall'" in message
    path.write_text("age,height,label\n31,1.8,a\n45,,b\n")
    with pytest.raises(DatasetError, match=r"line 3, column 'height': empty"):
        load_dataset({"name": "csv", "path": str(path)})
    path.write_text("age,height,label\n31,1.8,a\n45,nan,b\n")
    with pytest.raises(DatasetError, match=r"line 3, column 'height': 'nan' is not a finite number"):
        load_dataset({"name": "csv", "path": str(path)})
    path.write_text("age,height,label\n31,1.8,a\n45,1.7\n")
    with pytest.raises(DatasetError, match=r"data\.csv, line 3: 2 fields, but the header has 3"):
        load_dataset({"name": "csv", "path": str(path)})
    path.write_text("age,height,label\n31,1.8,a\n45,1.7,b\n")
    with pytest.raises(DatasetError, match=r"line 2, column 'label': 'a' is not a number"):
        load_dataset({"name": "csv", "path": str(path), "task": "regression"})


def test_csv_validation_names_missing_columns(tmp_path):
    write_csv(tmp_path / "d.csv", [["a", "b", "y"], ["1", "2", "0"]])
    problems = validate_dataset_spec({"name": "csv", "path": "d.csv", "target": "label"}, tmp_path)
    assert len(problems) == 1 and "no target column 'label'" in problems[0] and "'a', 'b', 'y'" in problems[0]
    problems = validate_dataset_spec({"name": "csv", "path": "d.csv", "features": ["a", "zz"]}, tmp_path)
    assert "no feature column 'zz'" in problems[0]
    problems = validate_dataset_spec({"name": "csv", "path": "d.csv", "target": "a", "features": ["a"]},
                                     tmp_path)
    assert "both the target and a feature" in problems[0]


# -- NumPy archives ------------------------------------------------------------------------------

def test_npz_keys_keras_layout_and_reconstruction(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)).astype(np.float32), rng.integers(0, 3, 40)
    np.savez(tmp_path / "a.npz", x=x, y=y)
    bundle = load_dataset({"name": "npz", "path": "a.npz"}, tmp_path)
    check_bundle(bundle, "classification", (5,), 3)
    np.savez(tmp_path / "b.npz", inputs=x, out=x[:, :2])
    bundle = load_dataset({"name": "npz", "path": "b.npz", "x_key": "inputs", "y_key": "out"}, tmp_path)
    check_bundle(bundle, "regression", (5,), None, (2,))
    images = rng.integers(0, 256, (30, 4, 4), dtype=np.uint8)
    np.savez(tmp_path / "k.npz", x_train=images[:20], y_train=np.arange(20) % 2, x_test=images[20:],
             y_test=np.arange(10) % 2)
    bundle = load_dataset({"name": "npz", "path": "k.npz"}, tmp_path)
    assert len(bundle.train) == 20 and len(bundle.val) == 10  # the archive's own split
    torch.testing.assert_close(bundle.val[0][0], torch.from_numpy(images[20] / 255.0).float())
    bundle = load_dataset({"name": "npz", "path": "a.npz", "y_key": None}, tmp_path)
    assert bundle.task == "reconstruction" and bundle.target_shape == (5,)
    problems = validate_dataset_spec({"name": "npz", "path": "a.npz", "x_key": "X"}, tmp_path)
    assert "no array 'X'" in problems[0] and "x, y" in problems[0]


# -- IDX (MNIST) and CIFAR-10 -----------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, suffix, dtype):
    array = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_idx_header_by_hand_and_corrupt_files(tmp_path):
    raw = bytes([0, 0, 0x08, 1]) + (3).to_bytes(4, "big") + bytes([7, 8, 9])
    (tmp_path / "hand-idx1-ubyte").write_bytes(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "hand-idx1-ubyte"), [7, 8, 9])
    (tmp_path / "short").write_bytes(raw[:-1])
    with pytest.raises(DatasetError, match="short.*truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "junk").write_bytes(b"PK\x03\x04junk")
    with pytest.raises(DatasetError, match="not an IDX file"):
        read_idx(tmp_path / "junk")


def fake_mnist(folder: Path, n_train: int = 30, n_test: int = 10, gz: bool = True) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(1)
    xs = rng.integers(0, 256, (n_train + n_test, 28, 28), dtype=np.uint8)
    ys = (np.arange(n_train + n_test) % 10).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    write_idx(folder / f"train-images-idx3-ubyte{ext}", xs[:n_train])
    write_idx(folder / f"train-labels-idx1-ubyte{ext}", ys[:n_train])
    write_idx(folder / f"t10k-images-idx3-ubyte{ext}", xs[n_train:])
    write_idx(folder / f"t10k-labels-idx1-ubyte{ext}", ys[n_train:])
    return xs, ys


def test_mnist_loader_reads_idx_folders(tmp_path):
    xs, ys = fake_mnist(tmp_path / "mnist")
    bundle = load_dataset({"name": "mnist", "path": "mnist"}, tmp_path)
    check_bundle(bundle, "classification", (1, 28, 28), 10)
    assert len(bundle.train) == 30 and len(bundle.val) == 10
    x, y = bundle.train[3]
    torch.testing.assert_close(x[0], torch.from_numpy(xs[3]).float() / 255)
    assert int(y) == 3
    x, y = bundle.val[0]
    torch.testing.assert_close(x[0], torch.from_numpy(xs[30]).float() / 255)
    split = load_dataset({"name": "mnist", "path": "mnist", "use_test_as_val": False, "val_fraction": 0.5,
                          "flat": True, "max_samples": 20}, tmp_path)
    assert len(split.train) == 10 and len(split.val) == 10 and split.input_shape == (784,)
    fake_mnist(tmp_path / "tv" / "MNIST" / "raw", gz=False)  # torchvision's folder layout
    assert len(load_dataset({"name": "mnist", "path": str(tmp_path / "tv")}).train) == 30
    problems = validate_dataset_spec({"name": "mnist", "path": str(tmp_path)})
    assert "missing train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]" in problems[0]


def write_cifar(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    records = np.concatenate([labels[:, None].astype(np.uint8), images.reshape(len(images), -1)], axis=1)
    path.write_bytes(records.tobytes())


def test_cifar10_binary_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (12, 3, 32, 32), dtype=np.uint8)
    labels = np.arange(12) % 10
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    write_cifar(folder / "data_batch_1.bin", images[:5], labels[:5])
    write_cifar(folder / "data_batch_2.bin", images[5:9], labels[5:9])
    write_cifar(folder / "test_batch.bin", images[9:], labels[9:])
    x, y = read_cifar10_batch(folder / "data_batch_1.bin")
    np.testing.assert_array_equal(x, images[:5])
    np.testing.assert_array_equal(y, labels[:5])
    bundle = load_dataset({"name": "cifar10", "path": str(tmp_path)})
    check_bundle(bundle, "classification", (3, 32, 32), 10)
    assert bundle.class_names[3] == "cat" and len(bundle.train) == 9 and len(bundle.val) == 3
    img, label = bundle.train[6]
    torch.testing.assert_close(img, torch.from_numpy(images[6]).float() / 255)
    assert int(label) == 6
    (folder / "data_batch_3.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(DatasetError, match=r"data_batch_3\.bin: 100 bytes"):
        load_dataset({"name": "cifar10", "path": str(folder)})


# -- image folders ---------------------------------------------------------------------------------

def test_image_folder_two_classes(tmp_path):
    from PIL import Image

    for cls, colour in (("cats", (255, 0, 0)), ("dogs", (0, 0, 255))):
        (tmp_path / "pics" / cls).mkdir(parents=True)
        for k in range(4):
            Image.new("RGB", (10 + k, 7), colour).save(tmp_path / "pics" / cls / f"{k}.png")
    (tmp_path / "pics" / "cats" / "notes.txt").write_text("not an image")
    bundle = load_dataset({"name": "image_folder", "path": "pics", "size": [6, 5], "val_fraction": 0.25},
                          tmp_path)
    check_bundle(bundle, "classification", (3, 6, 5), 2)
    assert bundle.class_names == ["cats", "dogs"]
    assert len(bundle.train) == 6 and len(bundle.val) == 2
    for ds in (bundle.train, bundle.val):
        for k in range(len(ds)):
            x, y = ds[k]
            channel = 0 if int(y) == 0 else 2  # red cats, blue dogs
            assert torch.all(x[channel] == 1.0) and torch.all(x[1] == 0.0)
    gray = load_dataset({"name": "image_folder", "path": "pics", "size": 4, "grayscale": True, "flat": True},
                        tmp_path)
    assert gray.input_shape == (16,)
    (tmp_path / "pics" / "dogs" / "broken.png").write_bytes(b"not really a png")
    with pytest.raises(DatasetError, match=r"broken\.png: cannot read this image"):
        load_dataset({"name": "image_folder", "path": "pics"}, tmp_path)
    (tmp_path / "one" / "only").mkdir(parents=True)
    problems = validate_dataset_spec({"name": "image_folder", "path": str(tmp_path / "one")})
    assert "at least 2" in problems[0]


# -- validation messages -------------------------------------------------------------------------

