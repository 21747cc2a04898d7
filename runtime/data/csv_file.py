"""A user's CSV file: chosen feature columns and one target column.

The task is inferred from the target: text labels, or whole numbers with few
distinct values, mean classification; anything else is regression (override
with ``task``). Every error names the file, the line and the column, because
the person reading it has to find the cell and fix it. Read with the
standard ``csv`` module: no pandas import on the way to the first batch.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from runtime.data.build import split_arrays
from runtime.data.bundle import DatasetBundle
from runtime.data.errors import DatasetError
from runtime.data.textstream import decoding_error

MAX_AUTO_CLASSES = 20  # whole-number targets with more distinct values are treated as regression


def _open(path: Path, encoding: str):
    try:
        return path.open(newline="", encoding=encoding)
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except LookupError:
        raise DatasetError(f"{path}: unknown encoding {encoding!r}") from None


def sniff_delimiter(path: Path, delimiter: str, encoding: str) -> str:
    """The given delimiter, or for ``auto`` the one of , ; tab | that the first lines use."""
    if delimiter != "auto":
        delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
        if len(delimiter) != 1:
            raise DatasetError(f"dataset.delimiter: must be one character or 'auto', got {delimiter!r}")
        return delimiter
    with _open(path, encoding) as f:
        try:
            sample = f.read(16384)
        except UnicodeDecodeError:
            raise decoding_error(path, encoding) from None
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_header(path: Path, delimiter: str = "auto", encoding: str = "utf-8") -> list[str]:
    """Column names from the first row (whitespace stripped)."""
    delim = sniff_delimiter(path, delimiter, encoding)
    with _open(path, encoding) as f:
        try:
            header = next(csv.reader(f, delimiter=delim), None)
        except UnicodeDecodeError:
            raise decoding_error(path, encoding) from None
        except csv.Error as exc:
            raise DatasetError(f"{path}, line 1: cannot read the header ({exc})") from None
    if not header:
        raise DatasetError(f"{path}: the file is empty; the first line must name the columns")
    return [h.strip() for h in header]


def columns_problem(header: list[str], target: str | None, features: list[str] | None, path: Path) -> str | None:
    """What is wrong with the chosen columns, or None."""
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        return f"{path}, line 1: duplicate column names {', '.join(map(repr, dupes))}"
    if len(header) < 2:
        return f"{path}, line 1: found one column {header!r}; need features and a target (wrong delimiter?)"
    known = ", ".join(map(repr, header))
    if target is not None and target not in header:
        return f"{path}: no target column {target!r}; columns are {known}"
    target = header[-1] if target is None else target
    missing = [c for c in features or [] if c not in header]
    if missing:
        return f"{path}: no feature column {', '.join(map(repr, missing))}; columns are {known}"
    if features is not None and target in features:
        return f"{path}: column {target!r} is both the target and a feature"
    if features is not None and not features:
        return f"{path}: 'features' is empty; list at least one column (or null for all but the target)"
    return None


def _number(value: str, path: Path, line: int, column: str) -> float:
    v = value.strip()
    if not v:
        raise DatasetError(f"{path}, line {line}, column {column!r}: empty value (missing values are "
                           "not supported; fill them in or remove the row)")
    try:
        number = float(v)
    except ValueError:
        raise DatasetError(f"{path}, line {line}, column {column!r}: {v!r} is not a number (only the "
                           "target may hold text; leave this column out of 'features')") from None
    if not math.isfinite(number):
        raise DatasetError(f"{path}, line {line}, column {column!r}: {v!r} is not a finite number "
                           "(missing values are not supported)")
    return number


def read_csv(path: Path, target: str | None, features: list[str] | None, delimiter: str,
             encoding: str) -> tuple[np.ndarray, list[str], list[int], list[str], str]:
    """Feature matrix, raw target strings with their line numbers, feature and target names."""
    delim = sniff_delimiter(path, delimiter, encoding)
    with _open(path, encoding) as f:
        reader = csv.reader(f, delimiter=delim)
        try:
            header = [h.strip() for h in next(reader, [])]
            problem = columns_problem(header, target, features, path) if header else f"{path}: the file is empty"
            if problem:
                raise DatasetError(problem)
            target = header[-1] if target is None else target
            features = [h for h in header if h != target] if features is None else features
            t_col, f_cols = header.index(target), [header.index(c) for c in features]
            rows, targets, lines = [], [], []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                line = reader.line_num
                if len(row) != len(header):
                    raise DatasetError(f"{path}, line {line}: {len(row)} fields, but the header has {len(header)}")
                rows.append([_number(row[j], path, line, header[j]) for j in f_cols])
                value = row[t_col].strip()
                if not value:
                    raise DatasetError(f"{path}, line {line}, column {target!r}: empty target value")
                targets.append(value)
                lines.append(line)
        except UnicodeDecodeError:  # the reader decodes ahead of its line count: find the line itself
            raise decoding_error(path, encoding) from None
        except csv.Error as exc:
            raise DatasetError(f"{path}, line {reader.line_num}: {exc}") from None
    if not rows:
        raise DatasetError(f"{path}: no data rows below the header")
    return np.asarray(rows, np.float64), targets, lines, features, target


def _as_floats(values: list[str]) -> np.ndarray | None:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


def encode_target(values: list[str], lines: list[int], task: str, path: Path,
                  column: str) -> tuple[np.ndarray, str, list[str] | None]:
    """Targets as class indices (with class names) or float values, per ``task`` or inferred."""
    numbers = _as_floats(values)
    if task == "regression":
        if numbers is None:
            bad = next(k for k, v in enumerate(values) if _as_floats([v]) is None)
            raise DatasetError(f"{path}, line {lines[bad]}, column {column!r}: {values[bad]!r} is not a number "
                               "(regression needs numeric targets)")
        return numbers[:, None].astype(np.float32), "regression", None
    if task == "auto" and numbers is not None:
        whole = np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers))
        if not (whole and len(np.unique(numbers)) <= MAX_AUTO_CLASSES):
            return numbers[:, None].astype(np.float32), "regression", None
    if numbers is not None:
        uniq = np.unique(numbers)
        names = [f"{u:g}" for u in uniq]
        return np.searchsorted(uniq, numbers).astype(np.int64), "classification", names
    names = sorted(set(values))
    index = {n: k for k, n in enumerate(names)}
    return np.array([index[v] for v in values], np.int64), "classification", names


def load_csv(p: dict[str, Any]) -> DatasetBundle:
    path = p["path"]
    x, raw, lines, features, target = read_csv(path, p["target"], p["features"], p["delimiter"], p["encoding"])
    y, task, names = encode_target(raw, lines, p["task"], path, target)
    return split_arrays(x.astype(np.float32), y, task=task, name=path.name, val_fraction=p["val_fraction"],
                        seed=p["seed"], standardize=p["standardize"],
                        standardize_target=p["standardize_target"] and task == "regression",
                        class_names=names, extra={"features": features, "target": target})


def csv_problems(p: dict[str, Any]) -> list[str]:
    """Cheap checks for validation: the header names the chosen columns."""
    try:
        header = read_header(p["path"], p["delimiter"], p["encoding"])
    except DatasetError as exc:
        return exc.problems
    problem = columns_problem(header, p["target"], p["features"], p["path"])
    return [problem] if problem else []
