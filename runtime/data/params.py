"""Typed, JSON-describable dataset parameters.

A spec is plain JSON saved in the project, so values arrive untyped and may be
hand-edited. Each dataset declares its parameters once; the same declaration
checks a spec (with a message naming the key), fills defaults, and describes
the form the GUI's dataset picker draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["int", "float", "bool", "str", "path", "choice", "str_list", "size"]


@dataclass(frozen=True)
class Param:
    """One parameter: its kind, default, bounds and a one-line help text.

    ``nullable`` lets ``null`` mean "automatic" (e.g. CSV features = all other
    columns). A ``size`` is an int or ``[height, width]``; it becomes a pair.
    """

    name: str
    kind: Kind
    default: Any = None
    help: str = ""
    required: bool = False
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_maximum: bool = False
    choices: tuple[str, ...] = ()
    must_exist: bool = True  # for paths: checked by validation (input files, not output folders)

    def to_dict(self) -> dict[str, Any]:
        """A JSON description for the GUI (form widgets) and ``--json`` listings."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": self.default,
                               "help": self.help, "required": self.required, "nullable": self.nullable}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
            out["exclusive_maximum"] = self.exclusive_maximum
        if self.choices:
            out["choices"] = list(self.choices)
        return out

    def _range_text(self) -> str:
        lo = "-inf" if self.minimum is None else f"{self.minimum:g}"
        hi = "inf" if self.maximum is None else f"{self.maximum:g}"
        return f"[{lo}, {hi}{')' if self.exclusive_maximum or self.maximum is None else ']'}"

    def _check_range(self, value: float) -> str | None:
        too_low = self.minimum is not None and value < self.minimum
        too_high = self.maximum is not None and (
            value >= self.maximum if self.exclusive_maximum else value > self.maximum)
        return f"must be in {self._range_text()}, got {value!r}" if too_low or too_high else None

    def coerce(self, value: Any) -> tuple[Any, str | None]:
        """Returns ``(typed value, None)`` or ``(None, problem)`` for a JSON value."""
        if value is None:
            return (None, None) if self.nullable else (None, "must not be null")
        kind = self.kind
        if kind == "bool":
            return (value, None) if isinstance(value, bool) else (None, f"must be true or false, got {value!r}")
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
                return None, f"must be a whole number, got {value!r}"
            value = int(value)
            return value, self._check_range(value)
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return None, f"must be a number, got {value!r}"
            return float(value), self._check_range(float(value))
        if kind in ("str", "path"):
            if not isinstance(value, str) or (kind == "path" and not value.strip()):
                return None, f"must be a {'file path' if kind == 'path' else 'string'}, got {value!r}"
            return value, None
        if kind == "choice":
            if value not in self.choices:
                return None, f"must be one of {', '.join(map(repr, self.choices))}, got {value!r}"
            return value, None
        if kind == "str_list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return None, f"must be a list of strings, got {value!r}"
            return list(value), None
        if kind == "size":
            pair = [value, value] if isinstance(value, int) and not isinstance(value, bool) else value
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in pair)):
                return None, f"must be a positive whole number or [height, width], got {value!r}"
            return (pair[0], pair[1]), None
        raise AssertionError(f"unknown parameter kind {kind}")


def resolve_path(value: str | Path, base_dir: Path | None) -> Path:
    """A spec path as an absolute Path; relative ones are relative to the project folder."""
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (base_dir if base_dir is not None else Path.cwd()) / path
    return path


# Parameters many datasets share, declared once so they read the same everywhere.
VAL_FRACTION = Param("val_fraction", "float", 0.2, "share of samples held out for validation",
                     minimum=0.0, maximum=1.0, exclusive_maximum=True)
SEED = Param("seed", "int", 0, "seed for generation and the train/validation split", minimum=0)
FLAT = Param("flat", "bool", False, "flatten each sample into a vector (for MLPs)")
STANDARDIZE = Param("standardize", "bool", True, "z-score features with train-split mean and std")
IMAGE_TASK = Param("task", "choice", "classification",
                   "classification, or reconstruction (autoencoders: target = input)",
                   choices=("classification", "reconstruction"))
N_SAMPLES = Param("n", "int", 1000, "number of samples", minimum=4, maximum=10_000_000)
