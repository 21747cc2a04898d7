"""Does handing layers to new nets help? Forests vs a single net vs classical baselines, on three series (slow).

Each series is split in time: the last 15 % is the test period, the 15 % before
it the validation period. Choices (the forest's combination and width) are
made on the validation period only, training on what comes before it
(`holdout` keeps the test period out entirely). Then every method is trained
on everything before the test period and scored on it, 5 seeds each for the
nets: one-step-ahead MSE on the standardised scale (1.0 = predicting the
training mean). Baselines: seasonal naive (the value one season ago) and
AR(p) fitted by statsmodels (p by AIC on the training period). Run with
`make bench` or `pytest -m slow -s tests/bench/test_forest_bench.py`; on a busy
machine `FOREST_BENCH_SERIES=sunspots` runs one series at a time and
`FOREST_BENCH_SEEDS` / `FOREST_BENCH_TUNING_SEEDS` lower the seed counts (the
printed header says which were used).
"""

from __future__ import annotations

import copy
import os
import statistics
import time

import numpy as np
import pytest

from codegen import build_from_compiled, compile_document
from graph.builder import Builder
from runtime.commands.check import project_registry
from runtime.data import load_dataset
from runtime.session import prepare, run

pytestmark = [pytest.mark.slow, pytest.mark.timeout(10_800)]

TEST, VAL = 0.15, 0.15
SEEDS = int(os.environ.get("FOREST_BENCH_SEEDS", 5))
TUNING_SEEDS = int(os.environ.get("FOREST_BENCH_TUNING_SEEDS", 5))
SERIES = {
    "sunspots": ({"name": "sunspots", "window": 20, "flat": True}, 11, 32),
    "co2 (weekly changes)": ({"name": "co2", "window": 52, "flat": True, "transform": "diff"}, 52, 64),
    "mackey-glass": ({"name": "mackey_glass", "window": 20, "flat": True}, None, 32),
}
EPOCHS, GROW_EVERY, MAX_MEMBERS = 60, 10, 6
COMBINES = ("mean", "boosting", "learned")
WIDTHS = (8, 16)
HANDOFFS = ("copy", "lateral", "fresh")


def tuning(spec: dict) -> dict:
    """Train on the first 70 %, validate on the next 15 %; the test period is held out."""
    return {**spec, "holdout": TEST, "val_fraction": VAL / (1 - TEST)}


def testing(spec: dict) -> dict:
    """Train on the first 85 %, score on the last 15 %."""
    return {**spec, "holdout": 0.0, "val_fraction": TEST}


def member(b: Builder, width: int) -> None:
    m = b.group("member", "One small forecaster.")
    h = m.add("Tanh", m.add("Linear", m.input("window"), "hidden", out_features=width), "act")
    m.output(m.add("Linear", h, "out", out_features=1), "forecast")


def forest_doc(window: int, width: int, combine: str, handoff: str, dataset: dict, batch: int,
               freeze_old: bool = True):
    b = Builder("forest").use_registry(project_registry())
    member(b, width)
    trees = b.add("Forest", b.input("window", [window]), "forest", group="member", members=1, combine=combine,
                  handoff=handoff, layer="hidden" if handoff == "copy" else "out", units=width // 2,
                  freeze_old=freeze_old)
    b.output(trees, "forecast")
    b.doc.recipe = {"dataset": dataset, "epochs": EPOCHS, "batch_size": batch, "loss": {"name": "mse"},
                    "metrics": ["mse"], "optimizer": {"name": "adam", "lr": 0.005}, "activation_every": 0,
                    "hooks": [{"name": "grow_forest", "params": {"forest": "forest", "every": GROW_EVERY,
                                                                 "max_members": MAX_MEMBERS}}]}
    return b.doc


def single_doc(window: int, width: int, dataset: dict, batch: int):
    b = Builder("single net").use_registry(project_registry())
    h = b.add("Tanh", b.add("Linear", b.input("window", [window]), "hidden", out_features=width), "act")
    b.output(b.add("Linear", h, "out", out_features=1), "forecast")
    b.doc.recipe = {"dataset": dataset, "epochs": EPOCHS, "batch_size": batch, "loss": {"name": "mse"},
                    "metrics": ["mse"], "optimizer": {"name": "adam", "lr": 0.005}, "activation_every": 0}
    return b.doc


def train(doc, seed: int) -> tuple[float, int]:
    doc = copy.deepcopy(doc)
    doc.recipe["seed"] = seed
    job = prepare(doc, num_threads=1)
    metrics = run(job)
    return metrics["val_mse"], sum(p.numel() for p in job.trainer.model.parameters())


def equal_width(window: int, budget: int) -> int:
    """The hidden width whose single net (Linear(w, h) + Linear(h, 1)) has about `budget` parameters."""
    return max(1, round((budget - 1) / (window + 2)))


def standardised(bundle) -> np.ndarray:
    return (bundle.extra["series"] - bundle.extra["mean"]) / bundle.extra["std"]


def seasonal_naive(bundle, season: int | None) -> tuple[float, int]:
    z = standardised(bundle)
    split = bundle.extra["split_index"]
    if season is None:  # the quasi-period: the first autocorrelation peak after it turns negative (train only)
        train = z[:split] - z[:split].mean()
        acf = [float(np.dot(train[:-s], train[s:])) / (len(train) - s) for s in range(1, len(train) // 3)]
        start = next((k for k, v in enumerate(acf) if v < 0), 0)
        season = start + 1 + int(np.argmax(acf[start:]))
    targets = bundle.extra["val_starts"] + bundle.extra["window"]
    return float(np.mean((z[targets - season] - z[targets]) ** 2)), season


def autoregression(bundle) -> tuple[float, int]:
    from statsmodels.tsa.ar_model import AutoReg, ar_select_order

    z = standardised(bundle)
    split, window = bundle.extra["split_index"], bundle.extra["window"]
    order = ar_select_order(z[:split], maxlag=window, ic="aic", trend="c").ar_lags
    p = max(order) if order else 1
    fit = AutoReg(z[:split], lags=p, trend="c").fit()
    const, phi = fit.params[0], fit.params[1:]
    targets = bundle.extra["val_starts"] + window
    lagged = np.stack([z[targets - k] for k in range(1, p + 1)], axis=1)
    return float(np.mean((const + lagged @ phi - z[targets]) ** 2)), p


def mean_std(values: list[float]) -> str:
    return f"{statistics.fmean(values):.4f} ± {statistics.stdev(values) if len(values) > 1 else 0.0:.4f}"


def test_forest_hand_off_modes_against_a_single_net_and_classical_baselines():
    started = time.perf_counter()
    report = []
    chosen = [s.strip() for s in os.environ.get("FOREST_BENCH_SERIES", "").split(",") if s.strip()]
    for name, (spec, season, batch) in SERIES.items():
        if chosen and not any(name.startswith(c) for c in chosen):
            continue
        window = spec["window"]
        # 1. choices on the validation period (TUNING_SEEDS seeds), with the copy hand-off
        scores = {}
        for combine in COMBINES:
            for width in WIDTHS:
                for freeze in (True, False) if combine != "boosting" else (True,):
                    doc = forest_doc(window, width, combine, "copy", tuning(spec), batch, freeze)
                    scores[(combine, width, freeze)] = [train(doc, seed)[0] for seed in range(TUNING_SEEDS)]
        combine, width, freeze = min(scores, key=lambda key: statistics.fmean(scores[key]))
        tuned = ", ".join(f"{c}/{w}/{'frozen' if f else 'trainable'}: {mean_std(v)}"
                          for (c, w, f), v in sorted(scores.items(), key=lambda item: statistics.fmean(item[1])))
        # 2. every method on the test period, 5 seeds
        rows = []
        budget = 0
        for handoff in HANDOFFS:
            results = [train(forest_doc(window, width, combine, handoff, testing(spec), batch, freeze), s)
                       for s in range(SEEDS)]
            budget = max(budget, results[0][1])
            older = "frozen" if freeze or handoff == "lateral" else "trainable"
            rows.append((f"forest, {handoff} hand-off ({combine}, {MAX_MEMBERS} × {width}, older {older})",
                         [r[0] for r in results], results[0][1]))
        single_width = equal_width(window, budget)
        results = [train(single_doc(window, single_width, testing(spec), batch), s) for s in range(SEEDS)]
        rows.append((f"single net, hidden {single_width}", [r[0] for r in results], results[0][1]))
        bundle = load_dataset(testing(spec))
        naive, used_season = seasonal_naive(bundle, season)
        ar, p = autoregression(bundle)
        rows.append((f"seasonal naive (season {used_season})", [naive], 0))
        rows.append((f"AR({p}), statsmodels", [ar], p + 1))
        report.append((name, tuned, f"{combine}, older members {'frozen' if freeze else 'trainable'}", width, rows))
    print(f"\n[bench] forest hand-off benchmark ({time.perf_counter() - started:.0f} s): test-period MSE, "
          f"standardised scale, mean ± std over {SEEDS} seeds (choices on {TUNING_SEEDS})")
    for name, tuned, combine, width, rows in report:
        print(f"\n{name}: validation choice {combine}, width {width} (validation MSE by combine/width: {tuned})")
        print("| method | parameters | test MSE |")
        print("|---|---|---|")
        for label, values, params in sorted(rows, key=lambda r: statistics.fmean(r[1])):
            print(f"| {label} | {params:,} | {mean_std(values)} |")
    assert all(np.isfinite(v) for *_, rows in report for _, values, _ in rows for v in values)


def test_equal_width_matches_the_grown_forest():
    doc = forest_doc(20, 16, "mean", "copy", {"name": "sunspots", "window": 20, "flat": True}, 32)
    node = doc.graph.node_by_label("forest")
    node.params["members"] = MAX_MEMBERS
    forest = sum(p.numel() for p in build_from_compiled(compile_document(doc)).parameters())
    single = sum(p.numel() for p in build_from_compiled(compile_document(
        single_doc(20, equal_width(20, forest), {"name": "sunspots"}, 32))).parameters())
    assert abs(single - forest) / forest < 0.05
