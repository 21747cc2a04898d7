"""The dashboard's numbers as CSV files: one row per batch, per evaluation and per step of layer norms."""

from __future__ import annotations

import csv
from pathlib import Path

from app.plots.buffers import Series


def write_csv(series: dict[str, Series], layer_series: dict[str, Series], folder: Path) -> list[Path]:
    """batches.csv, evaluations.csv and gradient_norms.csv in `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    path = folder / "batches.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "loss", "loss_smoothed", "lr", "samples_per_s"])
        s = series
        for row in zip(s["loss"].x, s["loss"].y, s["loss_smooth"].y, s["lr"].y, s["samples_per_s"].y,
                       strict=True):
            w.writerow([int(row[0]), *row[1:]])
    written.append(path)
    metrics = sorted(n for n in series if n.startswith("val_"))
    path = folder / "evaluations.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", *metrics])
        steps = sorted({int(x) for m in metrics for x in series[m].x})
        for step in steps:
            w.writerow([step] + [next((y for x, y in zip(series[m].x, series[m].y, strict=True)
                                       if int(x) == step), "") for m in metrics])
    written.append(path)
    path = folder / "gradient_norms.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        names = list(layer_series)
        w.writerow(["step", *names])
        if names:
            by_step: dict[int, dict[str, float]] = {}
            for name in names:
                for x, y in zip(layer_series[name].x, layer_series[name].y, strict=True):
                    by_step.setdefault(int(x), {})[name] = y
            for step in sorted(by_step):
                w.writerow([step] + [by_step[step].get(n, "") for n in names])
    written.append(path)
    return written
