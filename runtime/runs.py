"""Reading the run folders a project has accumulated (for the runs panel and scripts)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunInfo:
    path: Path
    name: str
    status: str = "running"
    step: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    started: str = ""
    graph_hash: str = ""
    #: The comparison variant this run belongs to ("" for an ordinary run) and its seed.
    variant: str = ""
    seed: int | None = None

    @property
    def weights(self) -> Path | None:
        final = self.path / "weights.safetensors"
        last = self.path / "checkpoints" / "last.safetensors"
        return final if final.exists() else last if last.exists() else None

    @property
    def checkpoint(self) -> Path | None:
        """Where a stopped run goes on from (its grown forest and optimizer included)."""
        last = self.path / "checkpoints" / "last.safetensors"
        return last if last.exists() else None


def read_run(path: Path) -> RunInfo:
    info = RunInfo(path, path.name)
    try:
        meta = json.loads((path / "run.json").read_text())
        info.started, info.graph_hash = meta.get("started", ""), meta.get("graph_hash", "")
        info.variant, info.seed = str(meta.get("variant", "")), meta.get("seed")
    except (OSError, ValueError):
        pass
    try:
        result = json.loads((path / "result.json").read_text())
        info.status, info.step, info.metrics = result["status"], result["step"], result.get("metrics", {})
    except (OSError, ValueError, KeyError):
        info.status = "incomplete"
    return info


def list_runs(runs_dir: Path) -> list[RunInfo]:
    if not runs_dir.is_dir():
        return []
    return [read_run(p) for p in sorted(runs_dir.iterdir(), reverse=True) if (p / "run.json").exists()]


def read_metrics(path: Path) -> list[dict[str, Any]]:
    records = []
    try:
        with (path / "metrics.jsonl").open(encoding="utf-8") as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    break  # a run killed mid-write leaves a partial last line
    except OSError:
        pass
    return records
