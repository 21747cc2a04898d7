"""The two entry points for specs: check one (``validate_dataset_spec``) and load one (``load_dataset``).

Both parse the spec the same way, so a spec that validates cleanly loads, and
a spec that does not gives the same messages either way. Messages start with
the key they are about (``dataset.val_fraction: ...``) or the file and line.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.params import describe, expected, missing, unknown_key, validate_value
from graph.problems import Problem
from runtime.data.catalog import DATASETS, DatasetInfo
from runtime.data.errors import DATASET_PATH, DatasetError, dataset_problem
from runtime.data.params import resolve_path

if TYPE_CHECKING:
    from runtime.data.bundle import DatasetBundle


def _known() -> str:
    return ", ".join(DATASETS)


def _at(key: str, message: str) -> Problem:
    return Problem(message, recipe_path=f"{DATASET_PATH}.{key}" if key else DATASET_PATH)


def parse_spec(spec: Any, base_dir: Path | None = None) -> tuple[DatasetInfo | None, dict[str, Any], list[Problem]]:
    """The dataset entry, typed parameters (defaults filled, paths absolute) and any problems.

    Values are checked by `graph.params.validate_value`, as node parameters are.
    """
    if not isinstance(spec, dict):
        return None, {}, [_at("", expected('an object like {"name": "digits"}', spec))]
    name = spec.get("name")
    if name is None:
        return None, {}, [_at("name", missing(f"a known dataset ({_known()})"))]
    if not isinstance(name, str) or name not in DATASETS:
        close = difflib.get_close_matches(str(name), list(DATASETS), n=1)
        return None, {}, [Problem(expected(f"a known dataset ({_known()})", name), recipe_path=f"{DATASET_PATH}.name",
                                  hint=f"did you mean {close[0]!r}?" if close else "")]
    info = DATASETS[name]
    problems: list[Problem] = []
    accepted = [p.name for p in info.params]
    for key in spec:
        if key != "name" and info.param(key) is None:
            problems.append(_at(str(key), unknown_key(f"{DATASET_PATH} ({name})", accepted)))
    params: dict[str, Any] = {}
    for param in info.params:
        if param.name not in spec:
            if param.required:
                problems.append(Problem(missing(describe(param)), recipe_path=f"{DATASET_PATH}.{param.name}",
                                        hint=f"{name} needs it: {param.help}"))
            params[param.name] = param.default
            continue
        value, problem = validate_value(param, spec[param.name])
        if problem:
            problems.append(_at(param.name, problem))
            continue
        if param.kind == "path" and value is not None:
            value = resolve_path(value, base_dir)
            if param.must_exist and not value.exists():
                problems.append(_at(param.name, f"not found: {value}"))
            elif param.must_exist and not (value.is_file() or value.is_dir()):
                problems.append(_at(param.name, f"{value} is not a file or a folder (a device or a pipe "
                                                "cannot be read as data)"))
        params[param.name] = value
    return info, params, problems


def dataset_problems(spec: Any, base_dir: Path | None = None) -> list[Problem]:
    """Every problem with a spec, each naming its setting (``recipe.dataset.path``); ``[]`` when it will load.

    Beyond types and ranges this runs the dataset's cheap file checks (CSV
    columns, expected MNIST/CIFAR files, class folders), without loading data.
    """
    info, params, problems = parse_spec(spec, base_dir)
    if info is None or problems:
        return problems
    return [dataset_problem(m) for m in info.check(params)]


def validate_dataset_spec(spec: Any, base_dir: Path | None = None) -> list[str]:
    """`dataset_problems` as lines of text (for forms that show plain messages)."""
    return [p.text() for p in dataset_problems(spec, base_dir)]


def load_dataset(spec: dict[str, Any], base_dir: Path | None = None) -> DatasetBundle:
    """Loads a dataset spec (e.g. ``{"name": "digits", "val_fraction": 0.2, "seed": 0}``).

    Relative paths resolve against ``base_dir`` (the project's folder). Raises
    DatasetError for anything wrong with the spec or the data. The bundle's
    ``spec`` is the input with every default filled in, so a run records
    exactly what it trained on.
    """
    info, params, problems = parse_spec(spec, base_dir)
    if info is None or problems:
        raise DatasetError(problems)
    bundle = info.load(params)
    bundle.spec = {**info.defaults(), **spec}
    return bundle
