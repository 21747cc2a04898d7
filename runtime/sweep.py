"""Train one project over a list of values of one node parameter; record final train and validation error."""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph import Document
from runtime.session import prepare, run


@dataclass(frozen=True)
class SweepPoint:
    value: Any
    parameters: int
    train_loss: float
    val_loss: float
    val_metric: float | None


def sweep(doc: Document, node: str, param: str, values: list[Any], *, project_dir: Path | None = None,
          overrides: dict[str, Any] | None = None, trusted: bool = False) -> list[SweepPoint]:
    points = []
    for value in values:
        variant = copy.deepcopy(doc)
        target = next((n for s in variant.scopes() for n in variant.scope(s).nodes.values() if n.label == node), None)
        if target is None:
            raise ValueError(f"no node labelled {node!r}")
        target.params[param] = value
        job = prepare(variant, project_dir=project_dir, trusted=trusted, overrides=overrides, num_threads=1)
        metrics = run(job)
        train = job.trainer.evaluate(job.trainer.train_loader)
        metric = metrics.get("val_accuracy", metrics.get("val_mse"))
        points.append(SweepPoint(value, sum(p.numel() for p in job.trainer.model.parameters()),
                                 train.get("val_loss", float("nan")), metrics.get("val_loss", float("nan")), metric))
    return points


def write_csv(points: list[SweepPoint], path: Path) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["value", "parameters", "train_loss", "val_loss", "val_metric"])
        for p in points:
            w.writerow([p.value, p.parameters, p.train_loss, p.val_loss, "" if p.val_metric is None else p.val_metric])
    return path


def plot(points: list[SweepPoint], path: Path, title: str) -> Path:
    """A small PNG line chart (log-x) of train and validation loss against the swept value, drawn with Pillow."""
    import math

    from PIL import Image, ImageDraw

    w, h, m = 640, 400, 50
    image = Image.new("RGB", (w, h), "#1b1d23")
    draw = ImageDraw.Draw(image)
    xs = [math.log10(max(float(p.value), 1e-9)) for p in points]
    ys = [v for p in points for v in (p.train_loss, p.val_loss) if math.isfinite(v)]
    lo_x, hi_x = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    lo_y, hi_y = 0.0, max(ys) * 1.1 if ys else 1.0

    def at(x: float, y: float) -> tuple[float, float]:
        return (m + (x - lo_x) / (hi_x - lo_x) * (w - 2 * m), h - m - (y - lo_y) / (hi_y - lo_y) * (h - 2 * m))

    draw.rectangle([m, m, w - m, h - m], outline="#555a66")
    for series, color in (("train_loss", "#4fc3f7"), ("val_loss", "#ff8a65")):
        line = [at(x, getattr(p, series)) for x, p in zip(xs, points, strict=True)]
        draw.line(line, fill=color, width=2)
        for px, py in line:
            draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=color)
    draw.text((m, 15), f"{title}  (blue: train loss, orange: validation loss; x: log scale)", fill="#d8dce4")
    for x, p in zip(xs, points, strict=True):
        px, _ = at(x, 0)
        draw.text((px - 8, h - m + 8), str(p.value), fill="#aab0bc")
    draw.text((8, m - 5), f"{hi_y:.2f}", fill="#aab0bc")
    draw.text((8, h - m - 10), "0", fill="#aab0bc")
    image.save(path)
    return path
