"""Univariate time series as sliding windows for forecasting.

Each sample is ``window`` past values (shape ``(window, 1)``: time steps ×
channels, ready for a batch-first RNN, or ``(window,)`` with ``flat``), and the
target is the next ``horizon`` values. The split is chronological: the last
``val_fraction`` of the series is the validation period, windows whose
targets would straddle the boundary are dropped, and standardisation uses the
training period only. Shuffling or scaling with future data would let a model
peek at what it is asked to predict.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from runtime.data.build import tensor_bundle
from runtime.data.bundle import DatasetBundle
from runtime.data.errors import DatasetError
from runtime.data.splits import GENERATE, Standardizer, rng_for


def window_indices(n: int, window: int, horizon: int, split: int) -> tuple[np.ndarray, np.ndarray]:
    """Start indices of train windows (targets end by ``split``) and val windows (targets start at or after it)."""
    starts = np.arange(0, max(n - window - horizon + 1, 0))
    train = starts[starts + window + horizon <= split]
    val = starts[starts + window >= split]
    return train, val


def windowed_bundle(series: np.ndarray, p: dict[str, Any], name: str,
                    time: list[Any] | None = None) -> DatasetBundle:
    """Cuts a 1-D series into chronological train/val windows (see the module docstring)."""
    series = np.asarray(series, dtype=np.float64)
    holdout = int(round(len(series) * p.get("holdout", 0.0)))
    series = series[: len(series) - holdout]  # the test period: never seen by training or validation
    window, horizon, val_fraction = p["window"], p["horizon"], p["val_fraction"]
    n = len(series)
    split = n - int(round(n * val_fraction))
    if split < window + horizon:
        raise DatasetError(f"{name}: the training period has {split} points, too few for window={window} "
                           f"+ horizon={horizon}; lower window or val_fraction")
    if val_fraction > 0 and n - split < horizon:
        raise DatasetError(f"{name}: the validation period has {n - split} points, fewer than horizon={horizon}")
    extra: dict[str, Any] = {"split_index": split, "window": window, "horizon": horizon,
                             "series": series.astype(np.float32)}
    if time is not None:
        extra["time"] = time
    z = series
    if p["standardize"]:
        scaler = Standardizer.fit(series[:split])
        z = scaler.apply(series)
        extra.update(mean=float(scaler.mean), std=float(scaler.std))
    z = z.astype(np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(z, window)
    targets = np.lib.stride_tricks.sliding_window_view(z[window:], horizon)
    train, val = window_indices(n, window, horizon, split)
    x_train, x_val = windows[train], windows[val]
    if not p["flat"]:
        x_train, x_val = x_train[..., None], x_val[..., None]
    extra["train_starts"], extra["val_starts"] = train, val
    return tensor_bundle(x_train, targets[train], x_val, targets[val], task="forecast", name=name,
                         extra=extra)


def transform_series(values: np.ndarray, how: str, name: str) -> np.ndarray:
    """``diff`` (changes) or ``log_diff`` (growth rates) make trending series stationary."""
    if how == "diff":
        return np.diff(values)
    if how == "log_diff":
        if np.any(values <= 0):
            raise DatasetError(f"{name}: transform 'log_diff' needs positive values; use 'diff'")
        return np.diff(np.log(values))
    return values


def _statsmodels_csv(dataset: str, filename: str) -> tuple[list[str], list[list[str]]] | None:
    """Header and rows of a CSV inside statsmodels' installed package (no pandas import)."""
    spec = importlib.util.find_spec("statsmodels")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / dataset / filename
    if not path.is_file():
        return None
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def read_statsmodels(dataset: str, filename: str) -> dict[str, np.ndarray]:
    """Columns of a statsmodels bundled dataset as float arrays (blank → NaN)."""
    found = _statsmodels_csv(dataset, filename)
    if found is None:  # files moved: the documented API, slower (imports pandas)
        import importlib

        frame = importlib.import_module(f"statsmodels.datasets.{dataset}").load_pandas().data
        cols = {str(c): np.asarray(frame[c], dtype=np.float64) for c in frame.columns}
        if dataset == "co2":
            cols["date"] = np.asarray(frame.index.strftime("%Y%m%d").astype(int), dtype=np.float64)
        return cols
    header, rows = found
    return {h: np.array([float(r[k]) if r[k].strip() else np.nan for r in rows]) for k, h in enumerate(header)}


def _interpolate_gaps(values: np.ndarray) -> np.ndarray:
    bad = np.isnan(values)
    if bad.any():
        idx = np.arange(len(values))
        values = values.copy()
        values[bad] = np.interp(idx[bad], idx[~bad], values[~bad])
    return values


MACRO_COLUMNS = ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate", "unemp",
                 "pop", "infl", "realint")


def load_sunspots(p: dict[str, Any]) -> DatasetBundle:
    cols = read_statsmodels("sunspots", "sunspots.csv")
    values = transform_series(cols["SUNACTIVITY"], p["transform"], "sunspots")
    years = cols["YEAR"].astype(int).tolist()[len(cols["YEAR"]) - len(values):]
    return windowed_bundle(values, p, "sunspots (yearly, 1700-2008)", years)


def load_co2(p: dict[str, Any]) -> DatasetBundle:
    cols = read_statsmodels("co2", "co2.csv")
    values = transform_series(_interpolate_gaps(cols["co2"]), p["transform"], "co2")
    dates = cols["date"].astype(int).tolist()[len(cols["date"]) - len(values):]
    return windowed_bundle(values, p, "co2 (weekly Mauna Loa ppm, 1958-2001)", dates)


def load_macrodata(p: dict[str, Any]) -> DatasetBundle:
    cols = read_statsmodels("macrodata", "macrodata.csv")
    values = transform_series(cols[p["column"]], p["transform"], "macrodata")
    quarters = [f"{int(y)}Q{int(q)}" for y, q in zip(cols["year"], cols["quarter"], strict=True)]
    return windowed_bundle(values, p, f"macrodata {p['column']} (US quarterly, 1959-2009)",
                           quarters[len(quarters) - len(values):])


def load_sine(p: dict[str, Any]) -> DatasetBundle:
    rng = rng_for(p["seed"], GENERATE)
    t = np.arange(p["n"])
    values = np.sin(2 * np.pi * t / p["period"]) + rng.normal(0, p["noise"], p["n"])
    return windowed_bundle(values, p, f"sine (period {p['period']:g}, noise {p['noise']:g})")


def mackey_glass(n: int, tau: int = 17, step: int = 6, dt: float = 0.1, burn: int = 100) -> np.ndarray:
    """dx/dt = 0.2 x(t-tau) / (1 + x(t-tau)^10) - 0.1 x(t), Euler steps of dt, a sample every `step` time units.

    Mackey and Glass (1977); chaotic for tau >= 17. Sampled every 6 time units,
    forecasting the next sample is the classic "6 steps ahead" task (Lapedes and
    Farber 1987). The history before t = 0 is 1.2 and the first `burn` samples
    (the transient) are dropped.
    """
    lag = int(round(tau / dt))
    every = int(round(step / dt))
    steps = (n + burn) * every
    x = np.empty(steps + lag)
    x[: lag + 1] = 1.2
    for t in range(lag, steps + lag - 1):
        delayed = x[t - lag]
        x[t + 1] = x[t] + dt * (0.2 * delayed / (1.0 + delayed**10) - 0.1 * x[t])
    return x[lag::every][burn : burn + n]


def load_mackey_glass(p: dict[str, Any]) -> DatasetBundle:
    values = mackey_glass(p["n"], p["tau"], p["step"])
    if p["noise"]:
        values = values + rng_for(p["seed"], GENERATE).normal(0, p["noise"], len(values))
    return windowed_bundle(values, p, f"mackey_glass (tau {p['tau']}, a sample every {p['step']} time units)")


def ar2_is_stationary(phi1: float, phi2: float) -> bool:
    """The AR(2) stationarity triangle: otherwise the series grows without bound."""
    return abs(phi2) < 1 and phi1 + phi2 < 1 and phi2 - phi1 < 1


def load_ar2(p: dict[str, Any]) -> DatasetBundle:
    phi1, phi2 = p["phi1"], p["phi2"]
    if not ar2_is_stationary(phi1, phi2):
        raise DatasetError(f"ar2: phi1={phi1:g}, phi2={phi2:g} is not stationary (need |phi2| < 1, "
                           "phi1 + phi2 < 1 and phi2 - phi1 < 1); the series would explode")
    rng = rng_for(p["seed"], GENERATE)
    burn = 200  # let the process forget its zero start
    e = rng.normal(0, p["noise"], p["n"] + burn)
    x = np.zeros(p["n"] + burn)
    for t in range(2, len(x)):
        x[t] = phi1 * x[t - 1] + phi2 * x[t - 2] + e[t]
    return windowed_bundle(x[burn:], p, f"ar2 (phi1={phi1:g}, phi2={phi2:g})")
