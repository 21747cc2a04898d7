"""`torchcanvas check PROJECT`: the analysis the editor's Problems list shows, on the command line.

Structure, shapes and dtypes, the recipe, the dataset (loaded, to check its
samples against the Input) and the memory estimate: every problem is one
line naming its node and parameter or its recipe setting; exit 1 on errors.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graph import ProjectFileError, load
from graph.registry import Registry


def project_registry() -> Registry:
    """The full node catalogue (codegen) if present, else only the structural types."""
    try:
        from codegen.catalogue import registry
    except ImportError:
        from graph.registry import base_registry

        return base_registry()
    return registry()


def run(args: argparse.Namespace) -> int:
    from runtime.analysis import analyse
    from runtime.report import print_error, problem_line
    from runtime.trust import trusted_for_cli

    project = Path(args.project)
    registry = project_registry()
    try:
        doc = load(project, registry)
    except ProjectFileError as exc:
        return print_error(project, exc)
    analysis = analyse(doc, project_dir=project.resolve().parent, trusted=trusted_for_cli(doc, args.trust),
                       registry=registry, load_data=not args.no_data)
    for problem in analysis.problems:
        print(problem_line(project, problem))
    if analysis.errors:
        return 1
    n = len(doc.graph.nodes) + sum(len(g.graph.nodes) for g in doc.groups.values())
    memory = f", training needs ~{_size(analysis.memory.training_bytes)}" if analysis.memory else ""
    print(f"{project}: ok ({n} nodes, {len(doc.groups)} groups{memory})")
    return 0


def _size(n: int) -> str:
    from codegen.memory import size_text

    return size_text(n)
