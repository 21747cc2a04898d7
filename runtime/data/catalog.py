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

from graph.params import describe
from graph.spec import ParamSpec
from runtime.data.params import (
    FLAT,
    IMAGE_TASK,
    N_SAMPLES,
    SEED,
    STANDARDIZE,
    VAL_FRACTION,
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
    params: tuple[ParamSpec, ...]
    loader: str
    checker: str | None = None
    loader_args: tuple[Any, ...] = ()

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        """A complete spec with every default filled in (what the picker starts from)."""
        spec: dict[str, Any] = {"name": self.name}
        spec.update({p.name: list(p.default) if isinstance(p.default, tuple) else p.default
                     for p in self.params if not p.required})
        return spec

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "task": self.task,
                "category": self.category, "params": [_param_dict(p) for p in self.params]}

    def _resolve(self, ref: str) -> Callable[..., Any]:
        module, func = ref.split(":")
        return getattr(importlib.import_module(f"runtime.data.{module}"), func)

    def load(self, params: dict[str, Any]) -> DatasetBundle:
        return partial(self._resolve(self.loader), *self.loader_args)(params)

    def check(self, params: dict[str, Any]) -> list[str]:
        return self._resolve(self.checker)(params) if self.checker else []


def _param_dict(p: ParamSpec) -> dict[str, Any]:
    """A parameter for the GUI's form and ``--json`` listings; ``expects`` is the checker's own description."""
    default = list(p.default) if isinstance(p.default, tuple) else p.default
    out = {"name": p.name, "kind": p.kind, "default": default, "help": p.help, "required": p.required,
           "optional": p.optional, "expects": describe(p)}
    out.update({k: v for k, v in (("min", p.min), ("max", p.max)) if v is not None})
    if p.choices:
        out["choices"] = list(p.choices)
    return out


def _window(default: int) -> ParamSpec:
    return ParamSpec("window", "int", default, help="past values per sample", min=1, max=100_000)


N_5000 = replace(N_SAMPLES, default=5000)
HORIZON = ParamSpec("horizon", "int", 1, help="future values to predict", min=1, max=10_000)
TRANSFORM = ParamSpec("transform", "enum", "none", help="none, diff (changes) or log_diff (growth rates)",
                      choices=("none", "diff", "log_diff"))
TS_STANDARDIZE = ParamSpec("standardize", "bool", True, help="z-score with the training period's mean and std")
HOLDOUT = ParamSpec("holdout", "float", 0.0, help="last share of the series kept out entirely: a test period that is "
                    "neither trained nor validated on (tune on validation, report on it later)", min=0.0,
                    max=0.9)


def _noise(default: float) -> ParamSpec:
    return ParamSpec("noise", "float", default, help="standard deviation of Gaussian noise", min=0.0, max=10.0)


def _series(n: int) -> tuple[ParamSpec, ...]:
    return (ParamSpec("n", "int", n, help="length of the series", min=10, max=10_000_000),)


BLOCK_SIZE = ParamSpec("block_size", "int", 64, help="characters per sample (context length)", min=1, max=100_000)
STRIDE = ParamSpec("stride", "int", None, help="start-to-start distance of windows; null = block_size (no overlap)",
                   optional=True, min=1)
TOKENS = ParamSpec("tokens", "enum", "chars", choices=("chars", "bytes"),
                   help="chars: the text's own characters; bytes: its UTF-8 bytes (256 ids, the same for every "
                        "text, so a model pretrained on one text reads another)")
LM_VAL = ParamSpec("val_fraction", "float", 0.1, help="share of the text (its end) held out for validation",
                   min=0.0, max=1.0, exclusive_max=True)
PATH = ParamSpec("path", "path", None, help="the file to read (relative to the project folder)", required=True)
FOLDER = ParamSpec("path", "path", None, help="the folder to read (relative to the project folder)", required=True)
SPLIT_PARAMS = (ParamSpec("use_test_as_val", "bool", True, help="validate on the official test files when present"),
                VAL_FRACTION, SEED,
                ParamSpec("max_samples", "int", None, help="use only the first N training images", optional=True,
                          min=1),
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
            params += (ParamSpec("classes", "int", classes, help="number of classes", min=2, max=20),)
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
                    (ParamSpec("column", "enum", "realgdp", help="which series",
                               choices=("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1",
                                        "tbilrate", "unemp", "pop", "infl", "realint")),
                     _window(8), *ts, replace(TRANSFORM, default="log_diff")),
                    "timeseries:load_macrodata"),
        DatasetInfo("sine", "A noisy sine wave, as forecast windows", "forecast", "time series",
                    (*_series(1000), ParamSpec("period", "float", 50.0, help="steps per cycle", min=2.0),
                     _noise(0.05), _window(32), *ts, SEED), "timeseries:load_sine"),
        DatasetInfo("mackey_glass", "The Mackey-Glass chaotic series (delay tau = 17), generated offline",
                    "forecast", "time series",
                    (*_series(1500), ParamSpec("tau", "int", 17, help="delay; 17 and above are chaotic", min=1,
                                               max=1000),
                     ParamSpec("step", "int", 6, help="time units between samples (6: the classic benchmark)", min=1,
                               max=100), _noise(0.0), _window(20), *ts, SEED),
                    "timeseries:load_mackey_glass"),
        DatasetInfo("ar2", "A synthetic AR(2) process x[t] = phi1 x[t-1] + phi2 x[t-2] + noise",
                    "forecast", "time series",
                    (*_series(1000), ParamSpec("phi1", "float", 0.6, help="lag-1 coefficient"),
                     ParamSpec("phi2", "float", -0.3, help="lag-2 coefficient"), _noise(1.0), _window(16), *ts, SEED),
                    "timeseries:load_ar2"),
        DatasetInfo("teacher", "Noisy regression from a random teacher function (double descent)", "regression",
                    "synthetic",
                    (N_SAMPLES, ParamSpec("dim", "int", 16, help="input dimension d", min=1, max=10_000),
                     ParamSpec("noise", "float", 0.4, help="label noise std, as a fraction of the targets' std",
                               min=0.0, max=10.0), VAL_FRACTION, SEED),
                    "teacher:load_teacher"),
        DatasetInfo("adding", "Adding problem: sum the two marked values of a long sequence (RNN memory test)",
                    "regression", "sequences",
                    (N_5000,
                     ParamSpec("length", "int", 50, help="sequence length T", min=2, max=100_000),
                     VAL_FRACTION, SEED), "sequences:load_adding"),
        DatasetInfo("copy", "Copy memory task: repeat 8 symbols after a long blank delay (per-step classes)",
                    "classification", "sequences",
                    (N_5000,
                     ParamSpec("delay", "int", 20, help="blank steps between the symbols and the go mark", min=1,
                               max=100_000),
                     ParamSpec("symbols", "int", 8, help="symbols to remember", min=1, max=1000),
                     VAL_FRACTION, SEED), "sequences:load_copy"),
        DatasetInfo("addition", "Multi-digit addition strings (a+b=___): held-out problems test real adding",
                    "classification", "sequences",
                    (replace(N_SAMPLES, default=10_000),
                     ParamSpec("digits", "int", 2, help="digits of each operand", min=1, max=6),
                     VAL_FRACTION, SEED), "arithmetic:load_addition"),
        DatasetInfo("parity", "Parity of a bit sequence (depends on every bit)", "classification", "sequences",
                    (N_5000,
                     ParamSpec("length", "int", 16, help="bits per sequence", min=1, max=100_000),
                     VAL_FRACTION, SEED), "sequences:load_parity"),
        DatasetInfo("stdlib_text", "Character-level language modelling on the Python standard library's source",
                    "language_model", "text",
                    (BLOCK_SIZE, ParamSpec("max_chars", "int", 200_000, help="corpus size cap", min=1000,
                                           max=100_000_000),
                     STRIDE, LM_VAL,
                     ParamSpec("modules", "strings", None, help="stdlib modules to use; null = a fixed default list",
                               optional=True),
                     ParamSpec("ascii_only", "bool", True,
                               help="replace other characters with '?' (smaller vocabulary)"), TOKENS),
                    "stdlib_text:load_stdlib_text"),
        DatasetInfo("stdlib_docstrings",
                    "Classify stdlib docstrings by library area (text, math, files, network, concurrency)",
                    "classification", "text",
                    (ParamSpec("max_len", "int", 128, help="characters per sample (padded/truncated)", min=1,
                               max=10_000),
                     ParamSpec("max_per_class", "int", 150, help="docstrings per class", min=5, max=5000),
                     VAL_FRACTION, SEED,
                     ParamSpec("cache_dir", "path", None, help="folder to cache the parsed docstrings; null = no cache",
                               optional=True, must_exist=False)),
                    "stdlib_text:load_stdlib_docstrings"),
        DatasetInfo("csv", "Your CSV file: numeric feature columns and a target column", "auto", "files",
                    (PATH,
                     ParamSpec("target", "string", None, help="target column; null = the last column", optional=True),
                     ParamSpec("features", "strings", None, help="feature columns; null = all but the target",
                               optional=True),
                     ParamSpec("task", "enum", "auto", help="auto: text or few whole-number targets mean "
                               "classification, else regression", choices=("auto", "classification", "regression")),
                     STANDARDIZE,
                     ParamSpec("standardize_target", "bool", False, help="z-score regression targets (train stats)"),
                     VAL_FRACTION, SEED,
                     ParamSpec("delimiter", "string", "auto", help="field separator; auto detects , ; tab |"),
                     ParamSpec("encoding", "string", "utf-8", help="text encoding of the file")),
                    "csv_file:load_csv", "csv_file:csv_problems"),
        DatasetInfo("npz", "Your NumPy .npz archive: inputs and targets under named keys", "auto", "files",
                    (PATH, ParamSpec("x_key", "string", "x", help="array of inputs"),
                     ParamSpec("y_key", "string", "y", help="array of targets; null = none (reconstruction)",
                               optional=True),
                     ParamSpec("task", "enum", "auto", help="auto: integer targets mean classification",
                               choices=("auto", "classification", "regression", "reconstruction")),
                     ParamSpec("standardize", "bool", False, help="z-score inputs with train statistics"),
                     FLAT, VAL_FRACTION, SEED),
                    "npz_file:load_npz", "npz_file:npz_problems"),
        DatasetInfo("image_folder", "Your images: one sub-folder per class (png, jpg, ...)", "classification",
                    "files",
                    (FOLDER, ParamSpec("size", "size", (32, 32), help="resize to [height, width] (or one number)"),
                     ParamSpec("grayscale", "bool", False, help="one channel instead of RGB"),
                     ParamSpec("max_per_class", "int", None, help="use at most N images per class", optional=True,
                               min=1),
                     FLAT, VAL_FRACTION, SEED, IMAGE_TASK),
                    "image_folder:load_image_folder", "image_folder:folder_problems"),
        DatasetInfo("text_file", "Your plain text file, for character-level language modelling",
                    "language_model", "files",
                    (PATH, BLOCK_SIZE, STRIDE, LM_VAL,
                     ParamSpec("max_chars", "int", None, help="use only the first N characters", optional=True, min=1),
                     ParamSpec("encoding", "string", "utf-8", help="text encoding of the file"), TOKENS),
                    "chars:load_text_file", "chars:text_file_problems"),
        DatasetInfo("mnist", "MNIST-format IDX files in a folder (MNIST, Fashion-MNIST, KMNIST)",
                    "classification", "files",
                    (FOLDER, *SPLIT_PARAMS,
                     ParamSpec("class_names", "strings", None, help="names for labels 0..k-1; null = digits",
                               optional=True)),
                    "idx:load_mnist", "idx:mnist_problems"),
        DatasetInfo("cifar10", "CIFAR-10 binary batches (data_batch_*.bin) in a folder", "classification",
                    "files", (FOLDER, *SPLIT_PARAMS), "cifar:load_cifar10", "cifar:cifar_problems"),
    ]
    return {info.name: info for info in infos}


DATASETS: dict[str, DatasetInfo] = _build()

