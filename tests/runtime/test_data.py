"""Offline datasets: built-ins, user file formats, splits, validation messages, preview."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from runtime.data import (
    DATASETS,
    TASKS,
    DatasetError,
    download_mnist,
    load_dataset,
    preview,
    read_cifar10_batch,
    read_idx,
    validate_dataset_spec,
    write_idx,
)
from runtime.data.bundled import read_sklearn_table
from runtime.data.timeseries import read_statsmodels

ROOT = Path(__file__).resolve().parents[2]


def arrays(ds) -> tuple[torch.Tensor, torch.Tensor]:
    """All (inputs, targets) of a dataset, stacked."""
    xs, ys = zip(*(ds[i] for i in range(len(ds))), strict=True)
    return torch.stack(xs), torch.stack(ys)


def check_bundle(bundle, task, input_shape, num_classes=None, target_shape=()):
    assert bundle.task == task and task in TASKS
    assert bundle.input_shape == input_shape
    assert bundle.target_shape == target_shape
    assert bundle.num_classes == num_classes
    assert len(bundle.train) > 0
    for ds in (bundle.train, bundle.val):
        if len(ds):
            x, y = ds[0]
            assert tuple(x.shape) == input_shape
            assert str(x.dtype).removeprefix("torch.") == bundle.input_dtype
            if task != "reconstruction":
                assert tuple(y.shape) == target_shape
                assert str(y.dtype).removeprefix("torch.") == bundle.target_dtype
    if num_classes:
        _, y = arrays(bundle.train)
        assert 0 <= int(y.min()) and int(y.max()) < num_classes
        if task == "classification":
            assert len(bundle.class_names) == num_classes


# -- every built-in ------------------------------------------------------------------------------

BUILTINS = [
    ({"name": "digits"}, "classification", (1, 8, 8), 10, ()),
    ({"name": "digits", "flat": True}, "classification", (64,), 10, ()),
    ({"name": "digits", "task": "reconstruction"}, "reconstruction", (1, 8, 8), None, (1, 8, 8)),
    ({"name": "iris"}, "classification", (4,), 3, ()),
    ({"name": "wine"}, "classification", (13,), 3, ()),
    ({"name": "breast_cancer"}, "classification", (30,), 2, ()),
    ({"name": "spirals", "n": 200}, "classification", (2,), 2, ()),
    ({"name": "spirals", "n": 300, "classes": 3}, "classification", (2,), 3, ()),
    ({"name": "moons", "n": 200}, "classification", (2,), 2, ()),
    ({"name": "circles", "n": 200}, "classification", (2,), 2, ()),
    ({"name": "xor", "n": 200}, "classification", (2,), 2, ()),
    ({"name": "blobs", "n": 200, "classes": 4}, "classification", (2,), 4, ()),
    ({"name": "sunspots"}, "forecast", (20, 1), None, (1,)),
    ({"name": "co2", "horizon": 4}, "forecast", (52, 1), None, (4,)),
    ({"name": "macrodata", "column": "unemp", "transform": "none"}, "forecast", (8, 1), None, (1,)),
    ({"name": "sine", "flat": True}, "forecast", (32,), None, (1,)),
    ({"name": "ar2", "n": 300}, "forecast", (16, 1), None, (1,)),
    ({"name": "adding", "n": 200, "length": 30}, "regression", (30, 2), None, (1,)),
    ({"name": "copy", "n": 100, "delay": 10, "symbols": 4}, "classification", (18,), 10, (18,)),
    ({"name": "parity", "n": 200, "length": 12}, "classification", (12, 1), 2, ()),
    ({"name": "stdlib_text", "max_chars": 20_000, "block_size": 32}, "language_model", (32,), "vocab", (32,)),
    ({"name": "stdlib_docstrings", "max_per_class": 30, "max_len": 64}, "classification", (64,), 5, ()),
]


@pytest.mark.parametrize("spec,task,shape,classes,target", BUILTINS, ids=[json.dumps(b[0]) for b in BUILTINS])
def test_builtin_loads_with_right_shapes(spec, task, shape, classes, target):
    bundle = load_dataset(spec)
    if classes == "vocab":
        classes = len(bundle.extra["itos"])
    check_bundle(bundle, task, shape, classes, target)
    assert len(bundle.val) > 0
    assert bundle.description
    json.dumps(bundle.spec)  # recorded in runs: must stay JSON
    assert bundle.spec["name"] == spec["name"] and set(spec) <= set(bundle.spec)


def test_every_builtin_is_covered_and_listed():
    files = {"csv", "npz", "image_folder", "text_file", "mnist", "cifar10"}
    assert {b[0]["name"] for b in BUILTINS} | files == set(DATASETS)
    listing = json.dumps([info.to_dict() for info in DATASETS.values()])
    assert "val_fraction" in listing
    for info in DATASETS.values():
        assert info.description and info.params
        if info.name not in files:
            assert validate_dataset_spec(info.defaults()) == []


def test_digits_matches_scikit_learn_and_loads_fast():
    from sklearn.datasets import load_digits

    ref = load_digits()
    x, y, names = read_sklearn_table("digits")
    np.testing.assert_array_equal(x, ref.data)
    np.testing.assert_array_equal(y, ref.target)
    bundle = load_dataset({"name": "digits", "val_fraction": 0.2, "seed": 0})
    # fast because it reads the bundled CSV itself: scikit-learn's ~0.6 s of imports are never paid
    probe = "from runtime.data import load_dataset; load_dataset({'name': 'digits'}); import sys; " \
            "print(sorted(m for m in sys.modules if m.startswith('sklearn')))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
    xs, _ = arrays(bundle.train)
    assert float(xs.min()) == 0.0 and float(xs.max()) == 1.0
    assert len(bundle.train) + len(bundle.val) == 1797
    # flat and image layouts hold the same pixels for the same sample
    flat = load_dataset({"name": "digits", "flat": True})
    torch.testing.assert_close(flat.train[5][0], bundle.train[5][0].reshape(-1))


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
def test_tables_match_scikit_learn(name):
    from sklearn import datasets

    ref = getattr(datasets, f"load_{name}")()
    x, y, names = read_sklearn_table(name)
    np.testing.assert_allclose(x, ref.data)
    np.testing.assert_array_equal(y, ref.target)
    assert names == [str(n) for n in ref.target_names]


# -- splits and determinism -------------------------------------------------------------------------

def test_split_is_disjoint_complete_deterministic_and_stratified():
    a = load_dataset({"name": "digits", "seed": 3})
    b = load_dataset({"name": "digits", "seed": 3})
    c = load_dataset({"name": "digits", "seed": 4})
    train, val = a.extra["train_indices"], a.extra["val_indices"]
    assert not set(train) & set(val)
    assert sorted(np.concatenate([train, val])) == list(range(1797))
    for ds_a, ds_b in ((a.train, b.train), (a.val, b.val)):
        torch.testing.assert_close(arrays(ds_a), arrays(ds_b))
    assert not np.array_equal(train, c.extra["train_indices"])
    _, y_val = arrays(a.val)
    counts = torch.bincount(y_val, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 37  # ~20% of each class's ~180


def test_synthetic_sets_are_seeded():
    one = arrays(load_dataset({"name": "spirals", "n": 100, "seed": 1}).train)
    same = arrays(load_dataset({"name": "spirals", "n": 100, "seed": 1}).train)
    other = arrays(load_dataset({"name": "spirals", "n": 100, "seed": 2}).train)
    torch.testing.assert_close(one, same)
    assert not torch.equal(one[0], other[0])


def test_val_fraction_zero_gives_empty_validation():
    bundle = load_dataset({"name": "iris", "val_fraction": 0})
    assert len(bundle.train) == 150 and len(bundle.val) == 0


def test_standardization_uses_train_statistics_only():
    bundle = load_dataset({"name": "wine", "seed": 0})
    raw, _, _ = read_sklearn_table("wine")
    train_raw = raw[bundle.extra["train_indices"]]
    np.testing.assert_allclose(bundle.extra["mean"], train_raw.mean(0), rtol=1e-6)
    np.testing.assert_allclose(bundle.extra["std"], train_raw.std(0), rtol=1e-6)
    x_train, _ = arrays(bundle.train)
    x_val, _ = arrays(bundle.val)
    np.testing.assert_allclose(x_train.mean(0).numpy(), 0, atol=1e-5)
    np.testing.assert_allclose(x_train.std(0, unbiased=False).numpy(), 1, atol=1e-4)
    val_raw = raw[bundle.extra["val_indices"]]
    expected = (val_raw - train_raw.mean(0)) / train_raw.std(0)
    np.testing.assert_allclose(x_val.numpy(), expected, rtol=1e-4, atol=1e-5)
    assert np.abs(x_val.numpy().mean(0)).max() > 1e-3  # val is not re-centred on itself


# -- time series --------------------------------------------------------------------------------

def test_sunspot_windows_are_chronological_with_manual_targets():
    spec = {"name": "sunspots", "window": 5, "horizon": 2, "val_fraction": 0.2}
    bundle = load_dataset(spec)
    series = read_statsmodels("sunspots", "sunspots.csv")["SUNACTIVITY"]
    n = len(series)
    split = n - round(n * 0.2)
    mean, std = series[:split].mean(), series[:split].std()
    z = (series - mean) / std
    assert bundle.extra["split_index"] == split
    assert bundle.extra["mean"] == pytest.approx(mean) and bundle.extra["std"] == pytest.approx(std)
    x, y = arrays(bundle.train)
    assert len(x) == split - 5 - 2 + 1  # every window whose targets end inside the training period
    for k in (0, 17, len(x) - 1):
        np.testing.assert_allclose(x[k, :, 0].numpy(), z[k:k + 5], rtol=1e-5)
        np.testing.assert_allclose(y[k].numpy(), z[k + 5:k + 7], rtol=1e-5)
    xv, yv = arrays(bundle.val)
    first = split - 5  # first val window: its targets start at the split
    np.testing.assert_allclose(xv[0, :, 0].numpy(), z[first:first + 5], rtol=1e-5)
    np.testing.assert_allclose(yv[0].numpy(), z[split:split + 2], rtol=1e-5)
    np.testing.assert_allclose(yv[-1].numpy(), z[-2:], rtol=1e-5)
    assert len(xv) == n - split - 2 + 1
    starts = bundle.extra["train_starts"]
    assert np.all(np.diff(starts) == 1) and starts[-1] + 5 + 2 <= split <= bundle.extra["val_starts"][0] + 5


def test_sine_without_noise_and_standardize_is_the_raw_function():
    bundle = load_dataset({"name": "sine", "n": 200, "period": 20.0, "noise": 0.0, "window": 4,
                           "standardize": False, "flat": True})
    x, y = arrays(bundle.train)
    t = np.arange(200)
    wave = np.sin(2 * np.pi * t / 20.0)
    np.testing.assert_allclose(x[10].numpy(), wave[10:14], atol=1e-6)
    np.testing.assert_allclose(y[10].numpy(), wave[14:15], atol=1e-6)


def test_time_series_errors():
    with pytest.raises(DatasetError, match="window=400"):
        load_dataset({"name": "sunspots", "window": 400})
    with pytest.raises(DatasetError, match="not stationary"):
        load_dataset({"name": "ar2", "phi1": 1.2, "phi2": 0.1})
    with pytest.raises(DatasetError, match="positive"):
        load_dataset({"name": "sunspots", "transform": "log_diff"})


# -- sequence tasks ------------------------------------------------------------------------------

def test_adding_copy_and_parity_targets():
    x, y = arrays(load_dataset({"name": "adding", "n": 50, "length": 20}).train)
    marks = x[:, :, 1]
    assert torch.all(marks[:, :10].sum(1) == 1) and torch.all(marks[:, 10:].sum(1) == 1)
    torch.testing.assert_close(y[:, 0], (x[:, :, 0] * marks).sum(1))

    x, y = arrays(load_dataset({"name": "copy", "n": 20, "delay": 6, "symbols": 3}).train)
    assert x.shape == (16, 12)
    assert torch.all(x[:, 3 + 6 - 1] == 9)  # the go mark
    torch.testing.assert_close(y[:, -3:], x[:, :3])
    assert torch.all(y[:, :-3] == 0)

    x, y = arrays(load_dataset({"name": "parity", "n": 50, "length": 7}).train)
    torch.testing.assert_close(y, (x[:, :, 0].sum(1).long() % 2))


# -- text ------------------------------------------------------------------------------------------

def test_stdlib_corpus_targets_are_next_characters():
    bundle = load_dataset({"name": "stdlib_text", "max_chars": 5000, "block_size": 16, "stride": 4})
    itos, stoi = bundle.extra["itos"], bundle.extra["stoi"]
    assert bundle.num_classes == len(itos) == len(stoi)
    assert all(stoi[c] == i for i, c in enumerate(itos))
    assert all(32 <= ord(c) <= 126 or c in "\n\t" for c in itos)
    x0, y0 = bundle.train[0]
    x1, _ = bundle.train[1]
    torch.testing.assert_close(y0[:-1], x0[1:])
    torch.testing.assert_close(x1[:12], x0[4:])  # stride 4
    assert "".join(itos[int(i)] for i in x0) == '"""Text wrapping'  # textwrap.py comes first
    again = load_dataset({"name": "stdlib_text", "max_chars": 5000, "block_size": 16, "stride": 4})
    assert again.extra["files"] == bundle.extra["files"]  # deterministic file choice
    torch.testing.assert_close(again.train[3], bundle.train[3])


def test_text_file_language_model(tmp_path):
    text = "hello world, this is a tiny corpus.\n" * 20
    (tmp_path / "t.txt").write_text(text, encoding="utf-8")
    bundle = load_dataset({"name": "text_file", "path": "t.txt", "block_size": 8, "val_fraction": 0.25},
                          base_dir=tmp_path)
    itos = bundle.extra["itos"]
    assert itos == sorted(set(text))
    decoded = "".join("".join(itos[int(i)] for i in bundle.train[k][0]) for k in range(len(bundle.train)))
    cut = len(text) - round(len(text) * 0.25)
    assert text.startswith(decoded) and len(decoded) == 8 * len(bundle.train) <= cut
    for k in range(len(bundle.train)):
        x, y = bundle.train[k]
        start = k * 8
        assert "".join(itos[int(i)] for i in y) == text[start + 1:start + 9]
    x, _ = bundle.val[0]
    assert "".join(itos[int(i)] for i in x) == text[cut:cut + 8]


def test_text_file_bad_encoding_names_file_and_line(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"fine\nalso fine\n\xff broken\n")
    with pytest.raises(DatasetError, match=r"bad\.txt, line 3"):
        load_dataset({"name": "text_file", "path": str(tmp_path / "bad.txt")})


def test_docstring_classification_is_balanced_and_decodable():
    bundle = load_dataset({"name": "stdlib_docstrings", "max_per_class": 20, "max_len": 40})
    assert bundle.class_names == ["text", "math", "files", "network", "concurrency"]
    view = preview(bundle, n=3)
    assert view["kind"] == "text" and all(len(t) <= 40 for t in view["texts"])
    original = bundle.extra["texts"][bundle.extra["train_indices"][0]][:40]
    assert view["texts"][0] == "".join(c if " " <= c <= "~" else "<unk>" for c in original)
    counts = view["class_counts"]
    assert sum(counts["train"].values()) + sum(counts["val"].values()) == 100



def test_docstrings_cache_only_in_the_given_folder(tmp_path):
    spec = {"name": "stdlib_docstrings", "max_per_class": 10, "cache_dir": "cache"}
    first = load_dataset(spec, tmp_path)
    files = list((tmp_path / "cache").glob("*.json"))
    assert len(files) == 1 and set(json.loads(files[0].read_text())) == set(first.class_names)
    second = load_dataset(spec, tmp_path)
    torch.testing.assert_close(arrays(first.train), arrays(second.train))


def test_stdlib_text_module_choice_and_batching():
    bundle = load_dataset({"name": "stdlib_text", "modules": ["textwrap"], "max_chars": 100_000,
                           "block_size": 12})
    assert bundle.extra["files"] == ["textwrap.py"] and bundle.extra["chars"] < 100_000
    x, y = next(iter(torch.utils.data.DataLoader(bundle.train, batch_size=5, shuffle=True)))
    assert x.shape == y.shape == (5, 12) and x.dtype == torch.int64
    with pytest.raises(DatasetError, match="no source .* for 'not_a_module'"):
        load_dataset({"name": "stdlib_text", "modules": ["textwrap", "not_a_module"]})


# -- CSV ---------------------------------------------------------------------------------------------

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

def test_validate_dataset_spec_messages(tmp_path):
    assert validate_dataset_spec({"name": "digits", "val_fraction": 0.2, "seed": 0}) == []
    problems = validate_dataset_spec({"name": "digts"})
    assert "unknown dataset 'digts'" in problems[0] and "did you mean 'digits'" in problems[0]
    assert "iris" in problems[0] and "cifar10" in problems[0]
    assert "dataset.name: missing" in validate_dataset_spec({})[0]
    assert "must be an object" in validate_dataset_spec("digits")[0]
    problems = validate_dataset_spec({"name": "digits", "val_fraction": 1.5, "seed": -1, "flat": "yes",
                                      "batch": 3})
    text = "\n".join(problems)
    assert "dataset.val_fraction: must be in [0, 1), got 1.5" in text
    assert "dataset.seed: must be in [0, inf)" in text
    assert "dataset.flat: must be true or false" in text
    assert "dataset.batch: not a parameter of 'digits'; it takes: flat, val_fraction, seed, task" in text
    assert "dataset.path: required for 'csv'" in validate_dataset_spec({"name": "csv"})[0]
    problems = validate_dataset_spec({"name": "csv", "path": "nope.csv"}, tmp_path)
    assert problems == [f"recipe.dataset.path: not found: {tmp_path / 'nope.csv'}"]
    assert "must be one of 'none', 'diff', 'log_diff'" in validate_dataset_spec(
        {"name": "sunspots", "transform": "log"})[0]
    assert "[height, width]" in validate_dataset_spec(
        {"name": "image_folder", "path": str(tmp_path), "size": [1, 2, 3]})[0]


def test_load_dataset_raises_dataset_error_which_is_a_value_error():
    with pytest.raises(ValueError, match="val_fraction"):
        load_dataset({"name": "iris", "val_fraction": -0.1})
    with pytest.raises(DatasetError) as err:
        load_dataset({"name": "nope", "n": 1})
    assert err.value.problems and "known datasets" in str(err.value)


# -- preview ---------------------------------------------------------------------------------------

def test_preview_is_json_with_shapes_balance_and_range():
    bundle = load_dataset({"name": "digits"})
    view = preview(bundle, n=4)
    json.dumps(view)
    assert view["kind"] == "image" and view["input_shape"] == [1, 8, 8]
    assert np.asarray(view["inputs"]).shape == (4, 1, 8, 8) and len(view["targets"]) == 4
    assert view["value_range"] == [0.0, 1.0]
    assert sum(view["class_counts"]["train"].values()) == len(bundle.train)
    assert view["labels"] == [bundle.class_names[t] for t in view["targets"]]
    lm = preview(load_dataset({"name": "stdlib_text", "max_chars": 3000, "block_size": 10}), n=2)
    assert lm["kind"] == "text" and lm["texts"][0][1:] == lm["target_texts"][0][:-1]
    ts = preview(load_dataset({"name": "sunspots"}), n=2, split="val")
    assert ts["kind"] == "sequence" and ts["split"] == "val" and "class_counts" not in ts


def test_bundle_helpers_for_the_gui():
    digits = load_dataset({"name": "digits", "flat": True})
    assert digits.input_node_params() == {"shape": [64], "dtype": "float32"}
    assert digits.output_features == 10 and digits.suggested_loss == "cross_entropy"
    ts = load_dataset({"name": "sine", "horizon": 3})
    assert ts.output_features == 3 and ts.suggested_loss == "mse"
    ae = load_dataset({"name": "digits", "task": "reconstruction"})
    assert ae.output_features == 64


# -- no network, no heavy imports -----------------------------------------------------------------

def test_download_mnist_verifies_checksums_without_network(tmp_path):
    source = tmp_path / "mirror"
    source.mkdir()
    (source / "f.gz").write_bytes(gzip.compress(b"payload"))
    digest = hashlib.md5((source / "f.gz").read_bytes()).hexdigest()
    dest = download_mnist(tmp_path / "out", base_url=source.as_uri() + "/", md5={"f.gz": digest})
    assert (dest / "f.gz").read_bytes() == (source / "f.gz").read_bytes()
    with pytest.raises(DatasetError, match="checksum mismatch"):
        download_mnist(tmp_path / "out2", base_url=source.as_uri() + "/", md5={"f.gz": "0" * 32})
    assert not list((tmp_path / "out2").iterdir())


def test_importing_runtime_data_stays_light():
    code = ("import sys, runtime.data\n"
            "print(sorted(m for m in ('sklearn', 'PIL', 'statsmodels', 'pandas', 'PySide6', 'pyqtgraph')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
