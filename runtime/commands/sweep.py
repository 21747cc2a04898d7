"""`torchcanvas sweep PROJECT --node fc1 --param out_features --values 2,4,8`: a grid study over one parameter.

Each value is one trial of an Optuna grid study (so `--jobs`, resuming and
run folders work as for `study`); the sweep then writes the trials' final
train and validation losses as CSV and as a plot with real axes.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from runtime.commands.project import open_project
from runtime.commands.study import EXPECTED
from runtime.report import print_error
from runtime.study.plots import line_plot


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


def _rows(study, path: str) -> list[dict]:
    from optuna.trial import TrialState

    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        metrics = t.user_attrs.get("metrics", {})
        rows.append({"value": t.params[path], "parameters": t.user_attrs.get("parameters"),
                     "train_loss": t.user_attrs.get("train_loss"), "val_loss": metrics.get("val_loss"),
                     "val_metric": metrics.get("val_accuracy", metrics.get("val_mse"))})
    return sorted(rows, key=lambda r: (isinstance(r["value"], str), r["value"]))


def run(args: argparse.Namespace) -> int:
    from runtime.commands.check import project_registry
    from runtime.study.launch import check_space, create_or_resume, run_local, setup_for
    from runtime.study.space import SearchParam
    from runtime.study.storage import default_url

    project = Path(args.project)
    path = f"{args.node}.{args.param}"
    values = tuple(_value(v) for v in args.values.split(","))
    doc, trusted = open_project(project, args.trust)
    try:
        params = [SearchParam(path, "choice", choices=values)]
        check_space(doc, project_registry(), params, project.resolve().parent)
        setup = setup_for(doc, project, params, sampler="grid", prune="none", n_trials=len(values),
                          overrides={"epochs": args.epochs} if args.epochs else {})
        url = args.storage or default_url(project)
        name = f"sweep {path} {args.values}" + (f" epochs={args.epochs}" if args.epochs else "")
        study = create_or_resume(setup, url, name)
    except EXPECTED as exc:
        return print_error(project, exc)
    run_local(url, name, args.jobs, trusted=trusted, log=lambda line: print(line, flush=True))
    rows = _rows(study, path)
    if not rows:
        print(f"error: {project}: no value trained to the end; see the lines above", file=sys.stderr)
        return 1
    out = Path(args.out or project.with_name(project.stem + "_sweep"))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "sweep.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, ["value", "parameters", "train_loss", "val_loss", "val_metric"])
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    numeric = all(isinstance(r["value"], (int, float)) and not isinstance(r["value"], bool) for r in rows)
    xs = [r["value"] if numeric else k for k, r in enumerate(rows)]
    line_plot(out / "sweep.png", xs, {"train loss": [r["train_loss"] for r in rows],
                                      "validation loss": [r["val_loss"] for r in rows]},
              title=f"{project.stem}: sweep of {path}", xlabel=path, ylabel="loss",
              log_x=numeric and min(xs) > 0 and max(xs) / min(xs) >= 10)
    for r in rows:
        print(f"{args.param}={r['value']!s:>8}  parameters {r['parameters']:>8,}  train loss {r['train_loss']:.4f}  "
              f"val loss {r['val_loss']:.4f}")
    print(f"wrote {out / 'sweep.csv'} and {out / 'sweep.png'}")
    return 0
