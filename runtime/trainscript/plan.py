"""What an exported train.py needs from a project, or a refusal that names the recipe field it cannot carry.

The script has no graph: node labels become module paths, pretrained files
are copied beside it, hooks and a code loss become importable modules. All
of it is decided here, before anything is written.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen import Compiled
from graph import Document
from graph.problems import Problem, ProblemError
from runtime.init_weights import FOLDER_INDEX, InitFileError, shard_files, weights_file
from runtime.policies import POLICIES
from runtime.recipe import Recipe

#: Recipe fields the exported script reproduces.
CARRIED = frozenset({
    "dataset", "batch_size", "epochs", "max_steps", "loss", "optimizer", "schedule", "l1", "l2",
    "clip_grad_norm", "seed", "device", "metrics", "eval_every", "eval_batches", "hooks", "param_groups",
    "init_from", "checkpoint_every"})
#: Fields that only concern how the app runs (live plots, its memory pre-flight, the data pipeline,
#: speed options); they do not change what is trained.
APP_ONLY = frozenset({"log_layers", "activation_every", "memory_limit_gb", "loader", "channels_last", "compile",
                      "checkpoint_min_seconds"})
#: Fields train.py cannot carry yet: the export is refused unless they are at their default.
NOT_YET = frozenset({"precision"})

HOOK_METHODS = ("on_fit_start", "on_epoch_start", "on_batch_start", "on_after_backward", "on_after_step",
                "on_eval_end", "on_epoch_end", "on_fit_end")


class ExportRefused(ProblemError, ValueError):
    """The recipe asks for something train.py cannot reproduce; the problem names the recipe field."""

    def __init__(self, recipe_path: str, message: str) -> None:
        super().__init__(Problem(message, recipe_path=recipe_path))


@dataclass
class UserModule:
    """A project code entry written beside train.py as an importable module."""

    module: str  # file stem, e.g. "usercode_skip_steps"
    source: str
    kind: str  # "hook" or "loss"


@dataclass
class Plan:
    recipe: dict[str, Any]  # recipe.json as the script reads it
    hook_classes: list[tuple[str, str]] = field(default_factory=list)  # (module, class) of each hook
    policies: list[type] = field(default_factory=list)  # built-in policy classes to copy into hooks.py
    loss_function: tuple[str, str] | None = None  # (module, function) for a code loss
    user_modules: list[UserModule] = field(default_factory=list)
    #: (source file, path in the export, names to rename (written under the model's names), module path)
    init_files: list[tuple[Path, str, dict[str, str], str]] = field(default_factory=list)


def hook_class_name(source: str) -> str | None:
    """The class a code hook entry provides: its last top-level class with a hook method."""
    names = [s.name for s in ast.parse(source).body if isinstance(s, ast.ClassDef)
             and any(isinstance(f, ast.FunctionDef) and f.name in HOOK_METHODS for f in s.body)]
    return names[-1] if names else None


def loss_function_name(source: str) -> str | None:
    """The function a code loss entry provides: its last top-level function."""
    names = [s.name for s in ast.parse(source).body if isinstance(s, ast.FunctionDef)]
    return names[-1] if names else None


def _module_name(entry: str, taken: set[str]) -> str:
    stem = "usercode_" + (re.sub(r"[^0-9a-zA-Z]+", "_", entry).strip("_").lower() or "entry")
    name, k = stem, 2
    while name in taken:
        name, k = f"{stem}_{k}", k + 1
    taken.add(name)
    return name


class _Planner:
    def __init__(self, doc: Document, compiled: Compiled, recipe: Recipe, project_dir: Path | None) -> None:
        self.doc, self.compiled, self.recipe, self.project_dir = doc, compiled, recipe, project_dir
        self.paths = compiled.label_paths(doc)
        self.plan = Plan(recipe.model_dump(mode="json"))
        self.modules_by_entry: dict[str, str] = {}
        self.taken: set[str] = set()

    def user_module(self, entry: str, where: str, kind: str) -> tuple[str, str]:
        source = self.doc.code.get(entry)
        if source is None:
            raise ExportRefused(where, f"the project has no code entry {entry!r}")
        try:
            name = hook_class_name(source) if kind == "hook" else loss_function_name(source)
        except SyntaxError as exc:
            raise ExportRefused(where, f"code entry {entry!r}, line {exc.lineno}: syntax error") from None
        if name is None:
            what = "class with a hook method" if kind == "hook" else "function"
            raise ExportRefused(where, f"code entry {entry!r} defines no {what}")
        if entry not in self.modules_by_entry:
            module = _module_name(entry, self.taken)
            self.modules_by_entry[entry] = module
            self.plan.user_modules.append(UserModule(module, source, kind))
        return self.modules_by_entry[entry], name

    def hooks(self) -> None:
        for k, (hook, data) in enumerate(zip(self.recipe.hooks, self.plan.recipe["hooks"], strict=True)):
            if not hook.enabled:  # the app skips it too
                continue
            if hook.name == "code":
                module, cls = self.user_module(hook.code, f"recipe.hooks[{k}].code", "hook")
            elif hook.name in POLICIES:
                policy = POLICIES[hook.name]
                module, cls = "hooks", policy.__name__
                if policy not in self.plan.policies:
                    self.plan.policies.append(policy)
            else:
                raise ExportRefused(f"recipe.hooks[{k}].name", f"unknown hook {hook.name!r} cannot be exported "
                                    f"(built-ins: {', '.join(POLICIES)}, or 'code')")
            if (module, cls) not in self.plan.hook_classes:
                self.plan.hook_classes.append((module, cls))
            data["class"] = f"{module}.{cls}"

    def loss(self) -> None:
        if self.recipe.loss.name == "code":
            self.plan.loss_function = self.user_module(self.recipe.loss.code, "recipe.loss.code", "loss")

    def param_groups(self) -> None:
        exported = []
        for k, spec in enumerate(self.recipe.param_groups):
            missing = [label for label in spec.nodes if label not in self.paths]
            if missing:
                raise ExportRefused(f"recipe.param_groups[{k}].nodes", f"no node labelled {missing[0]!r} has weights")
            exported.append({"modules": [self.paths[label] for label in spec.nodes], "lr": spec.lr})
        self.plan.recipe["param_groups"] = exported

    def init_from(self) -> None:
        exported = []
        for k, spec in enumerate(self.recipe.init_from):
            path = Path(spec.file)
            if not path.is_absolute() and self.project_dir is not None:
                path = self.project_dir / path
            try:
                path = weights_file(path)
                if path.name == FOLDER_INDEX:  # a sharded folder: its shards are written as one file
                    shard_files(path)
            except InitFileError as exc:
                raise ExportRefused(f"recipe.init_from[{k}].file", str(exc)) from None
            if not path.is_file():
                raise ExportRefused(f"recipe.init_from[{k}].file", f"cannot read {path}")
            if spec.node and spec.node not in self.paths:
                raise ExportRefused(f"recipe.init_from[{k}].node", f"no node or group labelled {spec.node!r} has "
                                    "weights")
            module = self.paths[spec.node] if spec.node else ""
            target = f"init/{k}_{module or 'model'}.safetensors"
            self.plan.init_files.append((path, target, dict(spec.rename), module))
            exported.append({"file": target, "module": module, "strict": spec.strict})
        self.plan.recipe["init_from"] = exported

    def unknown_fields(self) -> None:
        defaults = Recipe()
        for name in type(self.recipe).model_fields:
            if name not in CARRIED | APP_ONLY and getattr(self.recipe, name) != getattr(defaults, name):
                raise ExportRefused(f"recipe.{name}", "train.py cannot carry this setting yet; reset it to export")


def plan_export(doc: Document, compiled: Compiled, recipe: Recipe, project_dir: Path | None) -> Plan:
    """Everything the export needs, or ExportRefused naming the first field it cannot carry."""
    planner = _Planner(doc, compiled, recipe, project_dir)
    planner.unknown_fields()
    planner.loss()
    planner.hooks()
    planner.param_groups()
    planner.init_from()
    return planner.plan
