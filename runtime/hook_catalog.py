"""What every hook offers to be set, and what is wrong with a recipe's hooks before training starts.

A *hook* (the GUI's word; a `Callback` in code) is either a built-in policy or
a class in one of the project's code entries. Built-ins declare their
settings here as `graph.spec.ParamSpec`s — the type node and dataset
parameters have — so one checker (`graph.params.validate_value`) and one
wording (``recipe.hooks[0].params.sigma: expected a non-negative number, got
-1``) serve them all, and the Hooks panel edits them with the inspector's
editors; a code hook's settings are its constructor's
arguments, read with `ast` (nothing runs). `hook_problems` checks a recipe's
hooks — unknown names, bad settings, a growth hook naming no forest, a code
entry that is missing or does not parse — and returns `Problem`s that name the
recipe path (and the entry's line), so they appear before training, never
during it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from graph.document import Document
from graph.kinds import FOREST, kind_of
from graph.params import check_value, expected, unknown_key
from graph.problems import Problem
from graph.spec import ParamSpec
from runtime.callbacks import HOOK_POINTS


@dataclass(frozen=True)
class BuiltIn:
    name: str
    title: str
    summary: str
    settings: tuple[ParamSpec, ...]

    def setting(self, name: str) -> ParamSpec | None:
        return next((s for s in self.settings if s.name == name), None)


def _setting(name: str, kind: str, default: Any, help: str, choices: tuple[str, ...] = (), **bounds: Any) -> ParamSpec:
    """A built-in hook's setting: a `ParamSpec` like a node's or a dataset's, read in the catalogue's order."""
    return ParamSpec(name, kind, default, choices=choices, help=help, **bounds)  # type: ignore[arg-type]


SIGMA = _setting("sigma", "float", 0.01, "standard deviation of the Gaussian noise", min=0)
SEED = _setting("seed", "int", 0, "seed of the noise's own random generator", min=0)

BUILT_INS: dict[str, BuiltIn] = {b.name: b for b in (
    BuiltIn("revert_noise", "revert + noise",
            "After each step: if the validation loss did not improve, undo the step (weights, optimizer, schedule) "
            "and add Gaussian noise instead.", (
                SIGMA,
                _setting("on", "enum", "batch", "the yardstick: one fixed validation batch, the first `batches` "
                        "batches, or the whole validation split", ("batch", "batches", "split")),
                _setting("batches", "int", 4, "with on = batches: how many validation batches", min=1),
                _setting("start", "enum", "best", "where the noise starts: the best weights so far (failed tries do "
                        "not pile up) or the current, restored weights", ("best", "current")),
                _setting("layers", "strings", [], "only these layers (labels on the canvas); empty: every layer"),
                _setting("scale_by_std", "bool", False, "σ relative to each weight tensor's own standard deviation"),
                _setting("anneal", "enum", "constant", "σ constant, or cosine-annealed to sigma_end",
                        ("constant", "cosine")),
                _setting("sigma_end", "float", 0.0, "with anneal = cosine: σ at the end", min=0),
                _setting("anneal_steps", "int", 1000, "with anneal = cosine: steps from sigma to sigma_end", min=1),
                _setting("tolerance", "float", 0.0, "an improvement must exceed this to count", min=0),
                SEED)),
    BuiltIn("gradient_noise", "gradient noise",
            "Annealed Gaussian noise on the gradients before each step (Neelakantan et al. 2015).", (
                _setting("eta", "float", 0.01, "σ² at step 0", min=0),
                _setting("gamma", "float", 0.55, "σ² = eta / (1 + step)^gamma", min=0), SEED)),
    BuiltIn("early_stopping", "early stopping",
            "Stops when the monitored metric has not improved for `patience` evaluations.", (
                _setting("monitor", "string", "val_loss", "the validation metric to watch"),
                _setting("patience", "int", 5, "evaluations without improvement before stopping", min=0),
                _setting("min_delta", "float", 0.0, "an improvement must exceed this", min=0),
                _setting("mode", "enum", "auto", "lower or higher is better (auto: accuracy-like is higher)",
                        ("auto", "min", "max")))),
    BuiltIn("freeze_schedule", "freeze schedule",
            "Freezes or unfreezes layers and groups (by label) at given epochs.", (
                _setting("schedule", "json", [], 'e.g. [{"epoch": 0, "freeze": ["backbone"]}, '
                        '{"epoch": 5, "unfreeze": ["backbone"]}]'),)),
    BuiltIn("grow_forest", "grow forest",
            "Every few epochs a Forest gains a member, seeded by the Forest node's hand-off rule; the grown model "
            "becomes a new revision of the project.", (
                _setting("forest", "string", "", "the Forest node's label (empty: the only forest)"),
                _setting("every", "int", 10, "epochs between growths", min=1),
                _setting("max_members", "int", 8, "stop growing at this many members", min=1))),
)}


@dataclass(frozen=True)
class HookInfo:
    """A code entry read as a hook: its class, its settings (constructor arguments), the hook points it fills."""

    name: str
    params: dict[str, Any]
    methods: tuple[str, ...]


class HookEntryError(ValueError):
    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason, self.line = reason, line
        super().__init__(reason if line is None else f"line {line}: {reason}")


def read_hook(source: str) -> HookInfo:
    """The entry's last class that overrides a hook point (what `UserHook` runs), read without running it."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise HookEntryError(f"syntax error: {exc.msg}", exc.lineno) from None
    classes = [s for s in tree.body if isinstance(s, ast.ClassDef)
               and any(isinstance(f, ast.FunctionDef) and f.name in HOOK_POINTS for f in s.body)]
    if not classes:
        raise HookEntryError(f"defines no class with a hook method ({', '.join(HOOK_POINTS)})")
    cls = classes[-1]
    params: dict[str, Any] = {}
    for f in cls.body:
        if isinstance(f, ast.FunctionDef) and f.name == "__init__":
            args = f.args.args[1:]
            defaults = [None] * (len(args) - len(f.args.defaults)) + list(f.args.defaults)
            for arg, default in zip(args, defaults, strict=True):
                try:
                    params[arg.arg] = ast.literal_eval(default) if default is not None else None
                except ValueError:
                    params[arg.arg] = None
    methods = tuple(f.name for f in cls.body if isinstance(f, ast.FunctionDef) and f.name in HOOK_POINTS
                    and not _empty(f))
    return HookInfo(cls.name, params, methods)


def _empty(function: ast.FunctionDef) -> bool:
    """Only a docstring, `pass` or `...`: a hook point the skeleton offers but nobody filled in."""
    return all(isinstance(s, ast.Pass) or isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
               for s in function.body)


def _forest_labels(doc: Document) -> list[str]:
    return [n.label for scope in doc.scopes() for n in doc.scope(scope).nodes.values() if kind_of(n.type) is FOREST]


def hook_problems(doc: Document, hooks: list[dict[str, Any]]) -> list[Problem]:
    """Everything wrong with the recipe's hooks that can be known before training (disabled ones too)."""
    problems: list[Problem] = []
    for k, hook in enumerate(hooks):
        if not isinstance(hook, dict):
            continue
        where = f"recipe.hooks[{k}]"
        name, params = hook.get("name"), hook.get("params") or {}
        if not isinstance(params, dict):
            problems.append(Problem(expected("an object", params), recipe_path=f"{where}.params"))
            continue
        if name == "code":
            entry = hook.get("code", "")
            if entry not in doc.code:
                problems.append(Problem(f"hook code entry {entry!r} does not exist", recipe_path=f"{where}.code"))
                continue
            try:
                info = read_hook(doc.code[entry])
            except HookEntryError as exc:
                problems.append(Problem(f"hook {entry!r}: {exc.reason}", recipe_path=f"{where}.code",
                                        file=f"code {entry}", line=exc.line))
                continue
            for key in params:
                if key not in info.params:
                    problems.append(Problem(unknown_key(f"hook {info.name}", list(info.params) or ["nothing"]),
                                            recipe_path=f"{where}.params.{key}", file=f"code {entry}"))
            continue
        built_in = BUILT_INS.get(name)
        if built_in is None:
            problems.append(Problem(f"unknown hook {name!r}", recipe_path=f"{where}.name",
                                    hint=f"built-ins: {', '.join(BUILT_INS)}, or 'code' for your own"))
            continue
        for key, value in params.items():
            setting = built_in.setting(key)
            message = unknown_key(built_in.title, [s.name for s in built_in.settings]) if setting is None \
                else check_value(setting, value)
            if message:
                problems.append(Problem(message, recipe_path=f"{where}.params.{key}"))
        if name == "grow_forest":
            forests = _forest_labels(doc)
            label = params.get("forest", "")
            if label and label not in forests or not label and len(forests) != 1:
                text = f"no Forest node labelled {label!r}" if label else f"the model has {len(forests)} forests"
                problems.append(Problem(f"grow forest: {text}", recipe_path=f"{where}.params.forest",
                                        hint=f"forests: {', '.join(forests) or 'none (add a Forest node)'}"))
    return problems
