"""Offline datasets: built-ins, user file formats, splits, validation messages, preview."""

from __future__ import annotations

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
    validate_dataset_spec,
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
    ({"name": "mackey_glass", "n": 400}, "forecast", (20, 1), None, (1,)),
    ({"name": "teacher", "n": 300, "dim": 8}, "regression", (8,), None, (1,)),
    ({"name": "adding", "n": 200, "length": 30}, "regression", (30, 2), None, (1,)),
    ({"name": "copy", "n": 100, "delay": 10, "symbols": 4}, "classification", (18,), 10, (18,)),
    ({"name": "parity", "n": 200, "length": 12}, "classification", (12, 1), 2, ()),
    ({"name": "addition", "n": 300, "digits": 2}, "classification", (9,), 10, (3,)),
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

def test_validate_dataset_spec_messages(tmp_path):
    assert validate_dataset_spec({"name": "digits", "val_fraction": 0.2, "seed": 0}) == []
    problems = validate_dataset_spec({"name": "digts"})
    assert problems[0].startswith("recipe.dataset.name: expected a known dataset (digits, iris, ")
    assert problems[0].endswith(", cifar10), got 'digts' (did you mean 'digits'?)")
    assert validate_dataset_spec({})[0].startswith("recipe.dataset.name: missing; expected a known dataset (digits, ")
    assert validate_dataset_spec("digits") == ['recipe.dataset: expected an object like {"name": "digits"}, got \'digits\'']
    problems = validate_dataset_spec({"name": "digits", "val_fraction": 1.5, "seed": -1, "flat": "yes",
                                      "batch": 3})
    assert sorted(problems) == [
        "recipe.dataset.batch: not a setting of recipe.dataset (digits); it takes: flat, val_fraction, seed, task",
        "recipe.dataset.flat: expected true or false, got 'yes'",
        "recipe.dataset.seed: expected a non-negative integer, got -1",
        "recipe.dataset.val_fraction: expected a number ≥ 0 and < 1, got 1.5",
    ]
    assert validate_dataset_spec({"name": "csv"}) == [
        "recipe.dataset.path: missing; expected a file path (csv needs it: the file to read (relative to the project "
        "folder))"]
    problems = validate_dataset_spec({"name": "csv", "path": "nope.csv"}, tmp_path)
    assert problems == [f"recipe.dataset.path: not found: {tmp_path / 'nope.csv'}"]
    assert validate_dataset_spec({"name": "sunspots", "transform": "log"}) == [
        "recipe.dataset.transform: expected one of 'none', 'diff', 'log_diff', got 'log'"]
    assert validate_dataset_spec({"name": "image_folder", "path": str(tmp_path), "size": [1, 2, 3]}) == [
        "recipe.dataset.size: expected a positive integer or [height, width], got [1, 2, 3]"]


def test_load_dataset_raises_dataset_error_which_is_a_value_error():
    with pytest.raises(ValueError, match="val_fraction"):
        load_dataset({"name": "iris", "val_fraction": -0.1})
    with pytest.raises(DatasetError) as err:
        load_dataset({"name": "nope", "n": 1})
    assert [p.recipe_path for p in err.value.problems] == ["recipe.dataset.name"]
    assert "expected a known dataset (digits, " in str(err.value)


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


def test_mackey_glass_is_the_chaotic_attractor_not_its_transient():
    from runtime.data.timeseries import mackey_glass

    x = mackey_glass(1500)
    assert x.shape == (1500,) and 0.2 < x.min() and x.max() < 1.45  # the attractor's known range
    assert x.std() > 0.15  # tau = 17 keeps oscillating irregularly
    steady = mackey_glass(300, tau=2)  # a short delay: the fixed point x = 1
    assert abs(steady[-50:] - 1.0).max() < 1e-3
