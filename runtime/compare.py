"""Train a project in several named variants (recipe overrides) over several seeds; a table of mean ± std.

Each run is an ordinary run folder (its run.json names the variant and the
seed), so the Runs panel lists them and overlays any selection, coloured by
variant. A project's variants live in `PROJECT.compare.json` beside it (or,
for the bundled templates, in `resources/comparisons/`):

    {"seeds": 5, "variants": {"plain": {"hooks": []}, "revert+noise": {}}}

An empty override means the project's own recipe.
"""

from __future__ import annotations

import copy
import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph import Document
from runtime.run_folder import new_run_dir
from runtime.session import prepare, run

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


@dataclass
class VariantResult:
    name: str
    metrics: list[dict[str, float]] = field(default_factory=list)
    decisions: list[dict[str, int]] = field(default_factory=list)
    runs: list[Path] = field(default_factory=list)

    def mean_std(self, metric: str) -> tuple[float, float]:
        values = [m[metric] for m in self.metrics if metric in m]
        if not values:
            return math.nan, math.nan
        return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def variants_file(project: Path) -> Path | None:
    """`PROJECT.compare.json` beside the project, else the bundled comparison of a template."""
    beside = project.with_name(project.stem + ".compare.json")
    if beside.exists():
        return beside
    bundled = RESOURCES / "comparisons" / project.name
    return bundled if bundled.exists() else None


def read_variants(path: Path) -> tuple[dict[str, dict[str, Any]], int]:
    data = json.loads(path.read_text())
    variants = data.get("variants")
    if not isinstance(variants, dict) or not variants:
        raise ValueError(f"{path}: 'variants' must be an object of name → recipe overrides")
    return variants, int(data.get("seeds", 5))


def _merge(recipe: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(recipe)
    for key, value in overrides.items():
        merged[key] = value
    return merged


def compare(doc: Document, variants: dict[str, dict[str, Any]], seeds: int, *, project_dir: Path | None,
            runs_home: Path | None = None, trusted: bool = False, overrides: dict[str, Any] | None = None,
            progress: Callable[[str], None] = lambda line: None) -> list[VariantResult]:
    """Trains every variant with seeds 0..seeds-1, interleaved (seed by seed) so machine load hits all alike.

    With `runs_home`, each run is written to a run folder in `runs_home/runs/`.
    """
    results = {name: VariantResult(name) for name in variants}
    for seed in range(seeds):
        for name, variant in variants.items():
            recipe = _merge(doc.recipe, {**variant, **(overrides or {}), "seed": seed})
            candidate = copy.deepcopy(doc)
            candidate.recipe = recipe
            run_dir = None
            if runs_home is not None:  # runs_home/runs/<time>-<variant>-seed<k>
                run_dir = new_run_dir(runs_home / "runs", f"{name}-seed{seed}".replace("+", "_").replace(" ", "_"))
            decisions: dict[str, int] = {}

            def count(event: Any, decisions: dict[str, int] = decisions) -> None:
                if getattr(event, "kind", "") == "hook_decision":
                    decisions[event.decision] = decisions.get(event.decision, 0) + 1

            job = prepare(candidate, project_dir=project_dir, trusted=trusted, emit=count, run_dir=run_dir,
                          num_threads=1, run_meta={"variant": name, "seed": seed})
            metrics = run(job)
            results[name].metrics.append(metrics)
            results[name].decisions.append(decisions)
            if run_dir is not None:
                results[name].runs.append(run_dir)
            progress(f"{name} seed {seed}: " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    return list(results.values())


def table(results: list[VariantResult], metrics: list[str]) -> str:
    """A Markdown table: one row per variant, mean ± std per metric, and the mean decision counts."""
    head = "| variant | " + " | ".join(metrics) + " | decisions per run (mean) |"
    lines = [head, "|" + "---|" * (len(metrics) + 2)]
    for r in results:
        cells = []
        for metric in metrics:
            mean, std = r.mean_std(metric)
            cells.append(f"{mean:.4f} ± {std:.4f}")
        kinds = sorted({k for d in r.decisions for k in d})
        counts = ", ".join(f"{k} {statistics.fmean(d.get(k, 0) for d in r.decisions):.0f}" for k in kinds) or "–"
        lines.append(f"| {r.name} | " + " | ".join(cells) + f" | {counts} |")
    return "\n".join(lines)
