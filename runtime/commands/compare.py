"""`torchcanvas compare PROJECT [--seeds N] [--variant NAME=JSON ...]`: variants × seeds, a table of mean ± std."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph import ProblemError, ProjectFileError, load
from runtime.commands.check import project_registry
from runtime.compare import compare, read_variants, table, variants_file
from runtime.report import print_error


def _variants(args: argparse.Namespace, project: Path) -> tuple[dict, int]:
    if args.variant:
        variants = {}
        for text in args.variant:
            name, _, overrides = text.partition("=")
            variants[name.strip()] = json.loads(overrides or "{}")
        return variants, args.seeds or 5
    path = Path(args.variants) if args.variants else variants_file(project)
    if path is None:
        raise ValueError(f"no variants: pass --variant NAME=JSON, or write {project.stem}.compare.json beside "
                         "the project")
    variants, seeds = read_variants(path)
    return variants, args.seeds or seeds


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    try:
        variants, seeds = _variants(args, project)
        doc = load(project, project_registry())
        overrides = {"epochs": args.epochs} if args.epochs else {}
        home = Path(args.out) if args.out else project.resolve().parent
        results = compare(doc, variants, seeds, project_dir=project.resolve().parent, runs_home=home,
                          trusted=args.trust, overrides=overrides,
                          progress=lambda line: print(line, file=sys.stderr, flush=True))
    except (ProjectFileError, ProblemError, ValueError) as exc:
        print_error(args.project, exc)
        return 1
    metrics = sorted({k for r in results for m in r.metrics for k in m if k.startswith("val_")})
    print(table(results, metrics))
    print(f"runs written to {home / 'runs'}; select them in the Runs panel to overlay them")
    return 0
