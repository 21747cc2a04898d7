"""A study's results as plain records: what the Experiments panel (and scripts) show.

Reading is separate from drawing so the GUI only draws (it reads in a
background thread), and so everything the panel shows can be had headless.
Importances are Optuna's fANOVA evaluator (`optuna.importance`), seeded so
that the same trials give the same bars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from runtime.study.setup import StudySetup, read_setup


@dataclass(frozen=True)
class TrialRow:
    number: int
    state: str  # "waiting", "running", "complete", "pruned", "fail"
    value: float | None
    params: dict[str, Any]
    seconds: float | None
    #: The objective after each epoch (what the pruner saw): epoch → value.
    curve: dict[int, float] = field(default_factory=dict)
    run_dir: str = ""
    error: str = ""
    #: The objective's loss measured again on the training set after training (None for pruned trials).
    train_loss: float | None = None


@dataclass
class StudyResults:
    name: str
    setup: StudySetup
    trials: list[TrialRow]
    importances: dict[str, float] = field(default_factory=dict)

    @property
    def maximize(self) -> bool:
        return self.setup.direction == "maximize"

    @property
    def best(self) -> TrialRow | None:
        done = [t for t in self.trials if t.state == "complete" and t.value is not None and math.isfinite(t.value)]
        if not done:
            return None
        return (max if self.maximize else min)(done, key=lambda t: t.value)

    def best_so_far(self) -> list[tuple[int, float]]:
        """(trial number, best value among complete trials up to it), in trial order."""
        points, best = [], None
        for t in sorted(self.trials, key=lambda t: t.number):
            if t.state != "complete" or t.value is None or not math.isfinite(t.value):
                continue
            if best is None or (t.value > best if self.maximize else t.value < best):
                best = t.value
            points.append((t.number, best))
        return points

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials:
            out[t.state] = out.get(t.state, 0) + 1
        return out


def _row(frozen: Any) -> TrialRow:
    seconds = None
    if frozen.datetime_start is not None:
        end = frozen.datetime_complete
        if end is None:
            import datetime

            end = datetime.datetime.now()
        seconds = (end - frozen.datetime_start).total_seconds()
    params = dict(frozen.params) or dict(frozen.system_attrs.get("fixed_params", {}))
    return TrialRow(frozen.number, frozen.state.name.lower(), frozen.value, params, seconds,
                    {int(k): float(v) for k, v in frozen.intermediate_values.items()},
                    str(frozen.user_attrs.get("run_dir", "")), str(frozen.user_attrs.get("error", "")),
                    frozen.user_attrs.get("train_loss"))


def importances(study: Any) -> dict[str, float]:
    """Each parameter's share of the objective's variance (fANOVA); empty until two trials differ."""
    import warnings

    import optuna
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(done) < 2 or not any(t.params for t in done):
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
            return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
    except (RuntimeError, ValueError, ZeroDivisionError):  # e.g. every complete trial has the same params
        return {}


#: One reading connection per storage URL: opening one (engine, schema check) is the slow part of a read.
_READERS: dict[str, Any] = {}


def _load(url: str, name: str) -> Any:
    import optuna

    from runtime.study.storage import open_storage

    if url not in _READERS:
        _READERS[url] = open_storage(url, reading=True)
    return optuna.load_study(study_name=name, storage=_READERS[url])


def read_importances(url: str, name: str) -> dict[str, float]:
    return importances(_load(url, name))


def read_results(url: str, name: str, with_importances: bool = True) -> StudyResults:
    """The study's trials (every state) and, if asked, the parameters' importances."""
    study = _load(url, name)
    rows = [_row(t) for t in study.get_trials(deepcopy=False)]
    return StudyResults(name, read_setup(study), rows, importances(study) if with_importances else {})
