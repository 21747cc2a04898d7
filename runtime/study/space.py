"""A search space: `PATH=SPEC` parameters, parsed into typed records Optuna can sample.

    fc1.out_features=int:8..512:log
    recipe.optimizer.lr=float:1e-4..1e-1:log
    recipe.hooks.revert_noise.sigma=choice:0,0.01,0.05

A choice list is read as JSON values (`choice:[3,3],[5,5]` gives two lists);
if that fails, as comma-separated words (`choice:relu,tanh`).
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["int", "float", "choice"]


class SpaceError(ValueError):
    """A parameter of the search space is malformed; the message names it."""


@dataclass(frozen=True)
class SearchParam:
    path: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    @property
    def spec(self) -> str:
        """The text this parameter was given as (normalised)."""
        if self.kind == "choice":
            return f"{self.path}=choice:" + ",".join(json.dumps(c) for c in self.choices)
        low, high = (int(self.low), int(self.high)) if self.kind == "int" else (self.low, self.high)
        return f"{self.path}={self.kind}:{low:g}..{high:g}" + (":log" if self.log else "")

    def values_to_check(self) -> list[Any]:
        """The values whose validity stands for the whole range: both ends, or every choice."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "int":
            return [int(self.low), int(self.high)]
        return [float(self.low), float(self.high)]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["choices"] = list(self.choices)
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> SearchParam:
        return SearchParam(**{**data, "choices": tuple(data.get("choices", ()))})


def _number(text: str, kind: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SpaceError(f"{where}: {text!r} is not a number") from None
    if kind == "int" and value != int(value):
        raise SpaceError(f"{where}: int ranges need whole numbers, got {text!r} (use float:...)")
    if not math.isfinite(value):
        raise SpaceError(f"{where}: {text!r} is not a finite number")
    return value


def _choices(text: str, where: str) -> tuple[Any, ...]:
    if not text.strip():
        raise SpaceError(f"{where}: choice needs at least one value, e.g. choice:0,0.01,0.05")
    try:
        values = json.loads(f"[{text}]")
    except ValueError:
        values = [word.strip() for word in text.split(",")]
    if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
        raise SpaceError(f"{where}: a choice is listed twice")
    return tuple(values)


def parse_param(text: str) -> SearchParam:
    """`PATH=KIND:SPEC` → SearchParam, or SpaceError naming what is wrong."""
    if "=" not in text:
        raise SpaceError(f"--param {text!r}: expected PATH=SPEC, e.g. fc1.out_features=int:8..512:log")
    path, spec = (part.strip() for part in text.split("=", 1))
    where = f"--param {path}"
    if not path or "." not in path:
        raise SpaceError(f"--param {text!r}: the path names a node parameter (NODE.PARAM) or a recipe field "
                         "(recipe.optimizer.lr)")
    kind, _, rest = spec.partition(":")
    if kind == "choice":
        return SearchParam(path, "choice", choices=_choices(rest, where))
    if kind not in ("int", "float"):
        raise SpaceError(f"{where}: unknown kind {kind!r}; use int:LOW..HIGH, float:LOW..HIGH[:log] or "
                         "choice:A,B,C")
    bounds, _, flag = rest.partition(":")
    if flag not in ("", "log"):
        raise SpaceError(f"{where}: unknown option {flag!r} (only :log)")
    if ".." not in bounds:
        raise SpaceError(f"{where}: expected a range LOW..HIGH, got {bounds!r}")
    low_text, high_text = bounds.split("..", 1)
    low, high = _number(low_text, kind, where), _number(high_text, kind, where)
    if not low < high:
        raise SpaceError(f"{where}: the range {low_text}..{high_text} is empty (LOW must be below HIGH)")
    if flag == "log" and low <= 0:
        raise SpaceError(f"{where}: a log range must be above 0, got {low_text}")
    return SearchParam(path, kind, low, high, flag == "log")  # type: ignore[arg-type]


def _category(value: Any) -> Any:
    """Optuna's categories are None, bool, int, float or str; lists travel as JSON text."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else json.dumps(value)


def suggest(trial: Any, params: list[SearchParam]) -> dict[str, Any]:
    """One value per parameter, sampled by the study's sampler (or fixed by an enqueued trial)."""
    values: dict[str, Any] = {}
    for p in params:
        if p.kind == "int":
            values[p.path] = trial.suggest_int(p.path, int(p.low), int(p.high), log=p.log)
        elif p.kind == "float":
            values[p.path] = trial.suggest_float(p.path, p.low, p.high, log=p.log)
        else:
            categories = [_category(c) for c in p.choices]
            picked = trial.suggest_categorical(p.path, categories)
            values[p.path] = p.choices[categories.index(picked)]
    return values


def grid(params: list[SearchParam]) -> list[dict[str, Any]]:
    """Every combination, as Optuna parameter values (for enqueued trials)."""
    ranges = []
    for p in params:
        if p.kind != "choice":
            raise SpaceError(f"--param {p.path}: a grid study needs choice:... values for every parameter, "
                             f"not a {p.kind} range")
        ranges.append([_category(c) for c in p.choices])
    return [dict(zip([p.path for p in params], combo, strict=True)) for combo in itertools.product(*ranges)]


def values_of(params: list[SearchParam], trial_params: dict[str, Any]) -> dict[str, Any]:
    """A finished trial's parameters as the project's values (choices that travelled as JSON text come back)."""
    values: dict[str, Any] = {}
    for p in params:
        if p.path not in trial_params:
            continue
        value = trial_params[p.path]
        if p.kind == "choice":
            categories = [_category(c) for c in p.choices]
            value = p.choices[categories.index(value)] if value in categories else value
        values[p.path] = value
    return values
