"""`torchcanvas sweep PROJECT --node fc1 --param out_features --values 2,4,8 [--out DIR]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codegen import CompileError
from graph import ProjectFileError, load
from graph.trust import GRANT_CLI, UntrustedCode
from runtime.commands.check import project_registry
from runtime.engine import TrainingError
from runtime.recipe import RecipeError
from runtime.sweep import plot, sweep, write_csv
from runtime.trust import require_trust, trusted_for_cli


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    values = [json.loads(v) for v in args.values.split(",")]
    overrides = {"epochs": args.epochs} if args.epochs else {}
    try:
        doc = load(project, project_registry())
        trusted = trusted_for_cli(doc, args.trust)
        require_trust(doc, trusted, GRANT_CLI)
        points = sweep(doc, args.node, args.param, values, project_dir=project.resolve().parent,
                       overrides=overrides, trusted=trusted)
    except UntrustedCode as exc:
        print(f"error: {project}: {exc.with_grant(GRANT_CLI)}", file=sys.stderr)
        return 1
    except (ProjectFileError, CompileError, RecipeError, TrainingError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out or project.with_name(project.stem + "_sweep"))
    out.mkdir(parents=True, exist_ok=True)
    write_csv(points, out / "sweep.csv")
    plot(points, out / "sweep.png", f"{args.node}.{args.param}")
    for p in points:
        print(f"{args.param}={p.value!s:>8}  parameters {p.parameters:>8,}  train loss {p.train_loss:.4f}  "
              f"val loss {p.val_loss:.4f}")
    print(f"wrote {out / 'sweep.csv'} and {out / 'sweep.png'}")
    return 0
