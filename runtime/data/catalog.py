"""Every built-in dataset by name: description, parameters, loader.

This table is what the GUI's dataset picker lists and what a recipe's
``{"name": ...}`` refers to. Loaders are imported lazily by name, so listing
datasets never pays for Pillow, scikit-learn or statsmodels.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from runtime.data.params import (
    FLAT,
    IMAGE_TASK,
    N_SAMPLES,
    SEED,
    STANDARDIZE,
    VAL_FRACTION,
    Param,
)

if TYPE_CHECKING:
    from runtime.data.bundle import DatasetBundle


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset's entry: ``loader`` and ``checker`` are ``"module:function"`` references.

    ``checker`` runs during validation for cheap file-level checks (a CSV's
    header names the chosen columns, an MNIST folder has its files) so the
    recipe dialog can report them before anything loads.
    """

    name: str
    description: str
    task: str
    category: str
    params: tuple[Param, ...]
    loader: str
    checker: str | None = None
    loader_args: tuple[Any, ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        """A complete spec with every default filled in (what the picker starts from)."""
        spec: dict[str, Any] = {"name": self.name}
        spec.update({p.name: list(p.default) if isinstance(p.default, tuple) else p.default
                     for p in self.params if not p.required})
        return spec

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "task": self.task,
                "category": self.category, "params": [p.to_dict() for p in self.params]}

    def _resolve(self, ref: str) -> Callable[..., Any]:
        module, func = ref.split(":")
        return getattr(importlib.import_module(f"runtime.data.{module}"), func)

    def load(self, params: dict[str, Any]) -> DatasetBundle:
        return partial(self._resolve(self.loader), *self.loader_args)(params)

    def check(self, params: dict[str, Any]) -> list[str]:
        return self._resolve(self.checker)(params) if self.checker else []


def _window(default: int) -> Param:
    return Param("window", "int", default, "past values per sample", minimum=1, maximum=100_000)


N_5000 = replace(N_SAMPLES, default=5000)
HORIZON = Param("horizon", "int", 1, "future values to predict", minimum=1, maximum=10_000)
TRANSFORM = Param("transform", "choice", "none", "none, diff (changes) or log_diff (growth rates)",
                  choices=("none", "diff", "log_diff"))
TS_STANDARDIZE = Param("standardize", "bool", True, "z-score with the training period's mean and std")
HOLDOUT = Param("holdout", "float", 0.0, "last share of the series kept out entirely: a test period that is "
                "neither trained nor validated on (tune on validation, report on it later)", minimum=0.0,
                maximum=0.9)


def _noise(default: float) -> Param:
    return Param("noise", "float", default, "standard deviation of Gaussian noise", minimum=0.0, maximum=10.0)


def _series(n: int) -> tuple[Param, ...]:
    return (Param("n", "int", n, "length of the series", minimum=10, maximum=10_000_000),)


BLOCK_SIZE = Param("block_size", "int", 64, "characters per sample (context length)", minimum=1, maximum=100_000)
STRIDE = Param("stride", "int", None, "start-to-start distance of windows; null = block_size (no overlap)",
               nullable=True, minimum=1)
LM_VAL = Param("val_fraction", "float", 0.1, "share of the text (its end) held out for validation",
               minimum=0.0, maximum=1.0, exclusive_maximum=True)
PATH = Param("path", "path", None, "the file to read (relative to the project folder)", required=True)
FOLDER = Param("path", "path", None, "the folder to read (relative to the project folder)", required=True)
SPLIT_PARAMS = (Param("use_test_as_val", "bool", True, "validate on the official test files when present"),
                VAL_FRACTION, SEED,
                Param("max_samples", "int", None, "use only the first N training images", nullable=True,
                      minimum=1),
                FLAT, IMAGE_TASK)

_TABLES = {
    "iris": "Iris flowers: 4 measurements, 3 species (150 samples)",
    "wine": "Wine cultivars: 13 chemical measurements, 3 classes (178 samples)",
    "breast_cancer": "Breast cancer diagnosis: 30 cell features, malignant/benign (569 samples)",
}
_TOYS = {
    "spirals": ("Interleaved 2-D spiral arms (needs a deep or wide net)", 0.02, True, 2),
    "moons": ("Two interleaving 2-D half moons", 0.1, False, 0),
    "circles": ("A 2-D disc inside a ring: not linearly separable", 0.05, False, 0),
    "xor": ("2-D XOR: opposite quadrants share a class", 0.05, False, 0),
    "blobs": ("Gaussian 2-D clusters, one per class (linearly separable)", 0.25, True, 3),
}


def _build() -> dict[str, DatasetInfo]:
    infos = [
        DatasetInfo("digits", "Handwritten digits 8x8 (scikit-learn): 1797 images, 10 classes",
                    "classification", "images", (FLAT, VAL_FRACTION, SEED, IMAGE_TASK), "bundled:load_digits"),
    ]
    infos += [DatasetInfo(name, text, "classification", "tabular", (STANDARDIZE, VAL_FRACTION, SEED),
                          "bundled:load_table", loader_args=(name,)) for name, text in _TABLES.items()]
    for name, (text, noise, has_classes, classes) in _TOYS.items():
        params = (N_SAMPLES, _noise(noise))
        if has_classes:
            params += (Param("classes", "int", classes, "number of classes", minimum=2, maximum=20),)
        infos.append(DatasetInfo(name, text, "classification", "toy 2-D", params + (VAL_FRACTION, SEED),
                                 "toy2d:load_toy", loader_args=(name,)))
    ts = (HORIZON, TS_STANDARDIZE, VAL_FRACTION, HOLDOUT, FLAT)
    infos += [
        DatasetInfo("sunspots", "Yearly sunspot numbers 1700-2008 (statsmodels), as forecast windows",
                    "forecast", "time series", (_window(20), *ts, TRANSFORM), "timeseries:load_sunspots"),
        DatasetInfo("co2", "Weekly Mauna Loa CO2 1958-2001 (statsmodels; gaps interpolated), as forecast windows",
                    "forecast", "time series", (_window(52), *ts, TRANSFORM), "timeseries:load_co2"),
        DatasetInfo("macrodata", "US quarterly macroeconomic series 1959-2009 (statsmodels), one column",
                    "forecast", "time series",
                    (Param("column", "choice", "realgdp", "which series",
                           choices=("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1",
                                    "tbilrate", "unemp", "pop", "infl", "realint")),
                     _window(8), *ts, replace(TRANSFORM, default="log_diff")),
                    "timeseries:load_macrodata"),
        DatasetInfo("sine", "A noisy sine wave, as forecast windows", "forecast", "time series",
                    (*_series(1000), Param("period", "float", 50.0, "steps per cycle", minimum=2.0),
                     _noise(0.05), _window(32), *ts, SEED), "timeseries:load_sine"),
        DatasetInfo("mackey_glass", "The Mackey-Glass chaotic series (delay tau = 17), generated offline",
                    "forecast", "time series",
                    (*_series(1500), Param("tau", "int", 17, "delay; 17 and above are chaotic", minimum=1,
                                           maximum=1000),
                     Param("step", "int", 6, "time units between samples (6: the classic benchmark)", minimum=1,
                           maximum=100), _noise(0.0), _window(20), *ts, SEED),
                    "timeseries:load_mackey_glass"),
        DatasetInfo("ar2", "A synthetic AR(2) process x[t] = phi1 x[t-1] + phi2 x[t-2] + noise",
                    "forecast", "time series",
                    (*_series(1000), Param("phi1", "float", 0.6, "lag-1 coefficient"),
                     Param("phi2", "float", -0.3, "lag-2 coefficient"), _noise(1.0), _window(16), *ts, SEED),
                    "timeseries:load_ar2"),
        DatasetInfo("teacher", "Noisy regression from a random teacher function (double descent)", "regression",
                    "synthetic", (N_SAMPLES, Param("dim", "int", 16, "input dimension d", minimum=1, maximum=10_000),
                                  Param("noise", "float", 0.4, "label noise std, as a fraction of the targets' std",
                                        minimum=0.0, maximum=10.0), VAL_FRACTION, SEED),
                    "teacher:load_teacher"),
        DatasetInfo("adding", "Adding problem: sum the two marked values of a long sequence (RNN memory test)",
                    "regression", "sequences",
                    (N_5000,
                     Param("length", "int", 50, "sequence length T", minimum=2, maximum=100_000),
                     VAL_FRACTION, SEED), "sequences:load_adding"),
        DatasetInfo("copy", "Copy memory task: repeat 8 symbols after a long blank delay (per-step classes)",
                    "classification", "sequences",
                    (N_5000,
                     Param("delay", "int", 20, "blank steps between the symbols and the go mark", minimum=1,
                           maximum=100_000),
                     Param("symbols", "int", 8, "symbols to remember", minimum=1, maximum=1000),
                     VAL_FRACTION, SEED), "sequences:load_copy"),
        DatasetInfo("addition", "Multi-digit addition strings (a+b=___): held-out problems test real adding",
                    "classification", "sequences",
                    (replace(N_SAMPLES, default=10_000),
                     Param("digits", "int", 2, "digits of each operand", minimum=1, maximum=6),
                     VAL_FRACTION, SEED), "arithmetic:load_addition"),
        DatasetInfo("parity", "Parity of a bit sequence (depends on every bit)", "classification", "sequences",
                    (N_5000,
                     Param("length", "int", 16, "bits per sequence", minimum=1, maximum=100_000),
                     VAL_FRACTION, SEED), "sequences:load_parity"),
        DatasetInfo("stdlib_text", "Character-level language modelling on the Python standard library's source",
                    "language_model", "text",
                    (BLOCK_SIZE, Param("max_chars", "int", 200_000, "corpus size cap", minimum=1000,
                                       maximum=100_000_000),
                     STRIDE, LM_VAL,
                     Param("modules", "str_list", None, "stdlib modules to use; null = a fixed default list",
                           nullable=True),
                     Param("ascii_only", "bool", True, "replace other characters with '?' (smaller vocabulary)")),
                    "stdlib_text:load_stdlib_text"),
        DatasetInfo("stdlib_docstrings",
                    "Classify stdlib docstrings by library area (text, math, files, network, concurrency)",
                    "classification", "text",
                    (Param("max_len", "int", 128, "characters per sample (padded/truncated)", minimum=1,
                           maximum=10_000),
                     Param("max_per_class", "int", 150, "docstrings per class", minimum=5, maximum=5000),
                     VAL_FRACTION, SEED,
                     Param("cache_dir", "path", None, "folder to cache the parsed docstrings; null = no cache",
                           nullable=True, must_exist=False)),
                    "stdlib_text:load_stdlib_docstrings"),
        DatasetInfo("csv", "Your CSV file: numeric feature columns and a target column", "auto", "files",
                    (PATH,
                     Param("target", "str", None, "target column; null = the last column", nullable=True),
                     Param("features", "str_list", None, "feature columns; null = all but the target",
                           nullable=True),
                     Param("task", "choice", "auto", "auto: text or few whole-number targets mean "
                           "classification, else regression", choices=("auto", "classification", "regression")),
                     STANDARDIZE,
                     Param("standardize_target", "bool", False, "z-score regression targets (train stats)"),
                     VAL_FRACTION, SEED,
                     Param("delimiter", "str", "auto", "field separator; auto detects , ; tab |"),
                     Param("encoding", "str", "utf-8", "text encoding of the file")),
                    "csv_file:load_csv", "csv_file:csv_problems"),
        DatasetInfo("npz", "Your NumPy .npz archive: inputs and targets under named keys", "auto", "files",
                    (PATH, Param("x_key", "str", "x", "array of inputs"),
                     Param("y_key", "str", "y", "array of targets; null = none (reconstruction)", nullable=True),
                     Param("task", "choice", "auto", "auto: integer targets mean classification",
                           choices=("auto", "classification", "regression", "reconstruction")),
                     Param("standardize", "bool", False, "z-score inputs with train statistics"),
                     FLAT, VAL_FRACTION, SEED),
                    "npz_file:load_npz", "npz_file:npz_problems"),
        DatasetInfo("image_folder", "Your images: one sub-folder per class (png, jpg, ...)", "classification",
                    "files",
                    (FOLDER, Param("size", "size", (32, 32), "resize to [height, width] (or one number)"),
                     Param("grayscale", "bool", False, "one channel instead of RGB"),
                     Param("max_per_class", "int", None, "use at most N images per class", nullable=True,
                           minimum=1),
                     FLAT, VAL_FRACTION, SEED, IMAGE_TASK),
                    "image_folder:load_image_folder", "image_folder:folder_problems"),
        DatasetInfo("text_file", "Your plain text file, for character-level language modelling",
                    "language_model", "files",
                    (PATH, BLOCK_SIZE, STRIDE, LM_VAL,
                     Param("max_chars", "int", None, "use only the first N characters", nullable=True, minimum=1),
                     Param("encoding", "str", "utf-8", "text encoding of the file")),
                    "chars:load_text_file"),
        DatasetInfo("mnist", "MNIST-format IDX files in a folder (MNIST, Fashion-MNIST, KMNIST)",
                    "classification", "files",
                    (FOLDER, *SPLIT_PARAMS,
                     Param("class_names", "str_list", None, "names for labels 0..k-1; null = digits",
                           nullable=True)),
                    "idx:load_mnist", "idx:mnist_problems"),
        DatasetInfo("cifar10", "CIFAR-10 binary batches (data_batch_*.bin) in a folder", "classification",
                    "files", (FOLDER, *SPLIT_PARAMS), "cifar:load_cifar10", "cifar:cifar_problems"),
    ]
    return {info.name: info for info in infos}


DATASETS: dict[str, DatasetInfo] = _build()

