"""`torchcanvas check PROJECT`: the same validation the editor's problems list shows."""

from __future__ import annotations

import argparse
import sys

from graph import ProjectFileError, load, validate


def project_registry():
    """The full node catalogue (codegen) if present, else only the structural types."""
    try:
        from codegen.catalogue import registry
    except ImportError:
        from graph.registry import base_registry

        return base_registry()
    return registry()


def run(args: argparse.Namespace) -> int:
    registry = project_registry()
    try:
        doc = load(args.project, registry)
    except ProjectFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    issues = validate(doc, registry)
    for issue in issues:
        print(f"{args.project}: {issue}")
    errors = [i for i in issues if i.severity == "error"]
    if not errors:
        n = len(doc.graph.nodes) + sum(len(g.graph.nodes) for g in doc.groups.values())
        print(f"{args.project}: ok ({n} nodes, {len(doc.groups)} groups)")
    return 1 if errors else 0
