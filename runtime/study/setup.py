"""What a study searches and how, stored in the study itself so any worker on any machine can join.

The record lives in the Optuna study's user attributes: the project (the
document as JSON, so every trial starts from the same revision), its
folder (for relative data paths and run folders), the search space, the
objective, the sampler and pruner, training overrides and the trial budget.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.study.space import SearchParam

ATTR = "torchcanvas"


@dataclass
class StudySetup:
    project: str  # the project document, as saved
    project_dir: str
    project_name: str
    params: list[SearchParam]
    metric: str = "val_loss"
    direction: str = "minimize"
    sampler: str = "tpe"
    prune: str = "median"
    overrides: dict[str, Any] = field(default_factory=dict)
    n_trials: int = 20

    def to_attr(self) -> str:
        data = {**self.__dict__, "params": [p.to_json() for p in self.params]}
        return json.dumps(data, sort_keys=True)

    @staticmethod
    def from_attr(text: str) -> StudySetup:
        data = json.loads(text)
        data["params"] = [SearchParam.from_json(p) for p in data["params"]]
        return StudySetup(**data)

    def same_search(self, other: StudySetup) -> str | None:
        """None if `other` runs the same search, else what differs (for the "name exists" error)."""
        if [p.spec for p in self.params] != [p.spec for p in other.params]:
            return "searches " + " ".join(p.spec for p in other.params)
        for what in ("metric", "direction", "overrides", "sampler", "prune"):
            if getattr(self, what) != getattr(other, what):
                return f"has {what} {getattr(other, what)!r}"
        if self.project != other.project:
            return "was made from another revision of the project"
        return None

    @property
    def folder(self) -> Path:
        return Path(self.project_dir)


def make_sampler(name: str, seed: int | None = None) -> Any:
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":  # the grid's points are enqueued as fixed trials; nothing left to sample
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(name: str, n_trials: int) -> Any:
    import optuna

    if name == "median":
        # A few complete trials first, so the median means something; never after the first epoch.
        return optuna.pruners.MedianPruner(n_startup_trials=max(2, min(5, n_trials // 4)), n_warmup_steps=1)
    return optuna.pruners.NopPruner()


def read_setup(study: Any) -> StudySetup:
    text = study.user_attrs.get(ATTR)
    if text is None:
        raise ValueError(f"study {study.study_name!r} was not made by torchcanvas study (it has no project)")
    return StudySetup.from_attr(text)
