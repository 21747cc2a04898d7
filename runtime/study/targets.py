"""What a search-space path points at in a project, whether a range fits it, and setting the values.

Paths are named the way the inspector and the training settings name things:

    fc1.out_features                  parameter of the node labelled fc1 (any scope)
    block/conv1.out_channels          ... of the node labelled conv1 inside group "block"
    recipe.optimizer.lr               a recipe field (recipe.batch_size, recipe.schedule.gamma, ...)
    recipe.dataset.noise              a dataset option
    recipe.hooks.revert_noise.sigma   a parameter of the recipe's revert_noise hook
    recipe.hooks[0].params.sigma      ... of its first hook
    recipe.policy.sigma               ... of its only built-in hook policy
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph import Document
from graph.edits import Batch, Edit, SetParam, SetRecipe
from graph.params import check_value
from graph.spec import ParamSpec
from runtime.policies import POLICIES
from runtime.recipe import recipe_problems
from runtime.study.space import SearchParam, SpaceError


@dataclass(frozen=True)
class Target:
    path: str
    scope: str = ""
    node_id: str = ""
    param: str = ""
    spec: ParamSpec | None = None
    keys: tuple[str | int, ...] = ()  # into the recipe dict, for recipe fields

    @property
    def is_recipe(self) -> bool:
        return bool(self.keys)


def _node_target(doc: Document, registry: Any, path: str) -> Target:
    ref, _, param = path.rpartition(".")
    scope, _, label = ref.rpartition("/")
    scopes = [scope] if scope else doc.scopes()
    if scope and scope not in doc.scopes():
        raise SpaceError(f"--param {path}: there is no group {scope!r}")
    found = [(s, nid) for s in scopes for nid, node in doc.scope(s).nodes.items() if node.label == label]
    if not found:
        raise SpaceError(f"--param {path}: no node labelled {label!r}" + (f" in group {scope!r}" if scope else ""))
    if len(found) > 1:
        where = ", ".join(f"{s or 'model'}/{label}" for s, _ in found)
        raise SpaceError(f"--param {path}: several nodes are labelled {label!r} ({where}); write GROUP/{label}")
    s, nid = found[0]
    node = doc.scope(s).nodes[nid]
    spec = registry.get(node.type)
    pspec = spec.param(param) if spec is not None else None
    if pspec is None:
        names = ", ".join(p.name for p in spec.params) if spec is not None else "none"
        raise SpaceError(f"--param {path}: node {label!r} ({node.type}) has no parameter {param!r} "
                         f"(it has: {names})")
    return Target(path, s, nid, param, pspec)


def _hooks(doc: Document) -> list[dict[str, Any]]:
    return list(doc.recipe.get("hooks", []))


def _recipe_target(doc: Document, path: str) -> Target:
    parts = path.split(".")[1:]
    hook = re.fullmatch(r"hooks\[(\d+)\]", parts[0]) if parts else None
    hooks = _hooks(doc)
    if hook:
        k = int(hook.group(1))
        if k >= len(hooks) or len(parts) != 3 or parts[1] != "params":
            raise SpaceError(f"--param {path}: expected recipe.hooks[K].params.NAME with K < {len(hooks)}")
        return Target(path, keys=("hooks", k, "params", parts[2]))
    if parts[:1] in (["hooks"], ["policy"]):
        if parts[0] == "hooks" and len(parts) == 3:
            matches = [k for k, h in enumerate(hooks) if h.get("name") == parts[1] and h.get("enabled", True)]
            what = f"a {parts[1]!r} hook"
        elif parts[0] == "policy" and len(parts) == 2:
            matches = [k for k, h in enumerate(hooks) if h.get("name") in POLICIES and h.get("enabled", True)]
            what = "exactly one built-in hook policy"
        else:
            raise SpaceError(f"--param {path}: expected recipe.hooks.HOOK.PARAM (e.g. recipe.hooks.revert_noise"
                             ".sigma) or recipe.policy.PARAM")
        if len(matches) != 1:
            raise SpaceError(f"--param {path}: the recipe needs {what} (it has "
                             f"{[h.get('name') for h in hooks] or 'no hooks'})")
        return Target(path, keys=("hooks", matches[0], "params", parts[-1]))
    if not parts:
        raise SpaceError(f"--param {path}: name a recipe field, e.g. recipe.optimizer.lr")
    return Target(path, keys=tuple(parts))


def resolve(doc: Document, registry: Any, path: str) -> Target:
    """The node parameter or recipe field `path` names, or SpaceError saying why it names nothing."""
    return _recipe_target(doc, path) if path.startswith("recipe.") else _node_target(doc, registry, path)


def _set_in(recipe: dict[str, Any], keys: tuple[str | int, ...], value: Any) -> None:
    here: Any = recipe
    for key in keys[:-1]:
        if isinstance(key, int):
            here = here[key]
        else:
            here = here.setdefault(key, {})
    here[keys[-1]] = copy.deepcopy(value)


def _recipe_problem(doc: Document, target: Target, value: Any, project_dir: Path | None) -> str | None:
    recipe = copy.deepcopy(doc.recipe)
    _set_in(recipe, target.keys, value)
    if target.keys[0] == "dataset":
        from runtime.data import validate_dataset_spec

        problems = validate_dataset_spec(recipe["dataset"], project_dir)
        return problems[0] if problems else None
    if target.keys[0] == "hooks":
        hook = recipe["hooks"][target.keys[1]]
        if hook.get("name") in POLICIES:
            try:
                POLICIES[hook["name"]](**hook.get("params", {}))
            except (TypeError, ValueError) as exc:
                return f"{hook['name']}: {exc}"
        return None
    problems = recipe_problems(recipe)
    return problems[0].text() if problems else None


def check(doc: Document, target: Target, param: SearchParam, project_dir: Path | None = None) -> None:
    """SpaceError unless every value of `param` fits what `target` accepts (type and range)."""
    probes = param.values_to_check()
    if param.kind == "float":  # a fractional value tells an integer field from a real one
        probes.append(param.low + (param.high - param.low) * 0.37)
    for value in probes:
        if target.is_recipe:
            problem = _recipe_problem(doc, target, value, project_dir)
        else:
            assert target.spec is not None
            if param.kind != "choice" and target.spec.kind not in ("int", "float", "ints"):
                raise SpaceError(f"--param {param.path}: {target.param} is {target.spec.kind}; search it with "
                                 "choice:A,B,...")
            problem = check_value(target.spec, value)
        if problem:
            problem = problem.removeprefix(f"{param.path}: ")  # the line names the path already
            raise SpaceError(f"--param {param.spec}: {value!r} does not fit {param.path}: {problem}")


def apply_values(doc: Document, targets: dict[str, Target], values: dict[str, Any]) -> Document:
    """A copy of `doc` with the values set (the trial's project revision)."""
    variant = doc.copy()
    for edit in edits(variant, targets, values).edits:
        edit.apply(variant)
    return variant


def edits(doc: Document, targets: dict[str, Target], values: dict[str, Any]) -> Batch:
    """One undoable step that sets the values: node parameters, then the recipe."""
    steps: list[Edit] = []
    recipe = copy.deepcopy(doc.recipe)
    for path, value in values.items():
        target = targets[path]
        if target.is_recipe:
            _set_in(recipe, target.keys, value)
        else:
            steps.append(SetParam(target.scope, target.node_id, target.param, value))
    if recipe != doc.recipe:
        steps.append(SetRecipe(recipe))
    return Batch(steps, "apply study parameters")
