"""The one analysis of a project: everything that would make a run or an export fail.

`analyse` checks, in order, the structure (graph validation), shapes and
dtypes (inference on the meta device), the training recipe, the dataset
(its settings, that its files exist, and, when loaded, that its samples fit
the model's Input), and the memory training would need. Every finding is a
`graph.problems.Problem`. `torchcanvas check`, the editor's Problems list,
the train pre-flight (GUI and CLI) and export all call this function and
render its records, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.compiler import unknown_after_code
from codegen.memory import GB, MemoryEstimate, default_limit, estimate_memory, size_text
from codegen.runs import Inference
from codegen.shapes import infer_shapes, reinfer_shapes
from graph.document import ROOT, Document
from graph.edits import Edit, SetParam
from graph.kinds import inputs_of, kind_of
from graph.problems import Problem, ProblemError, errors
from graph.registry import Registry
from graph.ties import TIE
from graph.validate import Validation, recheck_node, validation
from runtime.data import dataset_problems, load_dataset
from runtime.hook_catalog import hook_problems
from runtime.recipe import Recipe, check_recipe

#: Where a memory problem points in the recipe (the setting that raises the limit).
MEMORY_PATH = "recipe.memory_limit_gb"


@dataclass
class Analysis:
    problems: list[Problem] = field(default_factory=list)
    inference: Inference | None = None
    recipe: Recipe | None = None
    memory: MemoryEstimate | None = None
    bundle: Any = None
    #: The structure checks by scope and node (a parameter edit re-checks one node: `reanalyse`).
    validation: Validation | None = None
    #: What a parameter edit of a node cannot change: trust, recipe, hooks, dataset findings.
    settled: list[Problem] = field(default_factory=list)
    #: The arguments this was made with, as `reanalyse` compares them.
    settings: tuple[Any, ...] = ()
    #: The latest shapes (`inference`, or while a parameter is invalid the ones before) and the model's nodes
    #: whose parameters changed since: what the next parameter edit starts from.
    base: Inference | None = None
    pending: frozenset[str] = frozenset()

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    def raise_errors(self) -> None:
        if self.errors:
            raise ProblemError(self.errors)


def project_registry() -> Registry:
    from codegen.catalogue import registry

    return registry()


def _untrusted() -> list[Problem]:
    return [Problem("this project's code is not trusted yet: code nodes are shown but not run, and shapes after "
                    "them are unknown", severity="warning",
                    hint="Train › Trust project code, or --trust on the command line")]


def _param_group_problems(recipe: Recipe | None, doc: Document) -> list[Problem]:
    """recipe.param_groups name nodes by label: a label no node has is a typo training would refuse."""
    labels = {node.label for scope in doc.scopes() for node in doc.scope(scope).nodes.values()}
    return [Problem(f"no node labelled {label!r}"[:200], recipe_path=f"recipe.param_groups[{k}].nodes")
            for k, spec in enumerate(recipe.param_groups if recipe is not None else [])
            for label in spec.nodes if label not in labels]


def input_fit(doc: Document, input_shape: tuple[int, ...], input_dtype: str, dataset: str) -> list[Problem]:
    """The model's Input must take what the dataset gives: say which setting to change."""
    inputs = inputs_of(doc.graph)
    if len(inputs) != 1:
        return []
    node = inputs[0]
    shape = node.params.get("shape", [1])
    shape = [shape] if isinstance(shape, int) else list(shape)
    want = list(input_shape)
    problems = []
    if shape != want:
        problems.append(Problem(f"declares shape {tuple(shape)}, but dataset {dataset!r} gives samples of shape "
                                f"{tuple(want)}", "", node.id, param="shape", label=node.label,
                                hint=f"set the Input's shape to {want}, or change the dataset's options"))
    dtype = node.params.get("dtype", "float32")
    if dtype != input_dtype:
        problems.append(Problem(f"has dtype {dtype}, but dataset {dataset!r} gives {input_dtype}", "",
                                node.id, param="dtype", label=node.label, hint=f"set the Input's dtype to {input_dtype}"))
    return problems


def memory_problems(doc: Document, inference: Inference, recipe: Recipe) -> tuple[MemoryEstimate, list[Problem]]:
    """Refuse, before anything is allocated, a model whose training would not fit the memory limit."""
    estimate = estimate_memory(inference, recipe.batch_size, recipe.optimizer.name, recipe.optimizer.momentum)
    limit = int(recipe.memory_limit_gb * GB) if recipe.memory_limit_gb else default_limit()
    if not limit or estimate.training_bytes <= limit:
        return estimate, []
    scope, node_id, label = "", None, None
    hint = "lower the batch size"
    if estimate.largest is not None:
        scope, node_id, size = estimate.largest
        label = doc.scope(scope).nodes[node_id].label
        hint = f"{label} alone holds {size_text(size)} of weights; make it smaller, lower the batch size"
    limit_text = "recipe.memory_limit_gb" if recipe.memory_limit_gb else "half of this machine's memory"
    return estimate, [Problem(
        f"training would need about {size_text(estimate.training_bytes)} of memory (weights "
        f"{size_text(estimate.weight_bytes)}, their gradients and optimizer state, and one batch of activations "
        f"{size_text(estimate.activation_bytes)}), more than the limit of {size_text(limit)} ({limit_text})",
        scope, node_id, label=label, recipe_path=MEMORY_PATH, hint=f"{hint}, or raise "
        "recipe.memory_limit_gb")]


def analyse(doc: Document, *, project_dir: Path | None = None, trusted: bool = False,
            overrides: dict[str, Any] | None = None, registry: Registry | None = None, training: bool = True,
            load_data: bool = False) -> Analysis:
    """Every problem with the project, before anything runs or is allocated.

    `training=False` checks only what writing the model's code needs (structure
    and shapes). `load_data=True` also loads the dataset to check that its samples fit the Input; the editor leaves that to
    the train pre-flight.
    """
    analysis = Analysis(settings=(project_dir, trusted, id(registry), training, overrides is None and not load_data))
    analysis.validation = validation(doc, registry or project_registry())
    if not errors(analysis.validation.problems()):
        analysis.inference = analysis.base = infer_shapes(doc, trusted=trusted)
    if not trusted and doc.code:
        analysis.settled += _untrusted()
    if training:
        _training_problems(analysis, doc, project_dir, overrides, load_data)
    return _finish(analysis, doc)


def _training_problems(analysis: Analysis, doc: Document, project_dir: Path | None, overrides: dict[str, Any] | None,
                       load_data: bool) -> None:
    data = {**doc.recipe, **(overrides or {})}
    analysis.recipe, problems = check_recipe(data)
    analysis.settled += problems
    if analysis.recipe is not None:
        analysis.settled += hook_problems(doc, [h.model_dump() for h in analysis.recipe.hooks])
    analysis.settled += _param_group_problems(analysis.recipe, doc)
    spec = data.get("dataset", Recipe.model_fields["dataset"].default_factory())
    problems = dataset_problems(spec, project_dir)
    analysis.settled += problems
    if load_data and not problems:
        try:
            analysis.bundle = load_dataset(spec, project_dir)
        except ProblemError as exc:
            analysis.settled += exc.problems
        else:
            name = spec.get("name", "?") if isinstance(spec, dict) else "?"
            analysis.settled += input_fit(doc, analysis.bundle.input_shape, analysis.bundle.input_dtype, name)


def _finish(analysis: Analysis, doc: Document) -> Analysis:
    """The problems in their order: structure, shapes, then the settled part, then memory (which needs the shapes)."""
    analysis.problems = list(analysis.validation.problems()) if analysis.validation else []
    if analysis.inference is not None:
        analysis.problems += analysis.inference.problems
        analysis.problems += unknown_after_code(analysis.inference, severity="warning")
    analysis.problems += analysis.settled
    analysis.memory = None
    inference_ok = analysis.inference is not None and not analysis.inference.errors
    if inference_ok and analysis.recipe is not None:
        analysis.memory, problems = memory_problems(doc, analysis.inference, analysis.recipe)
        analysis.problems += problems
    return analysis


def reanalyse(previous: Analysis | None, doc: Document, edit: Edit | None, *, project_dir: Path | None = None,
              trusted: bool = False, registry: Registry | None = None, in_full: bool = True) -> Analysis | None:
    """`analyse(doc, ...)` after `edit`, made from `previous` where the edit is local.

    A local edit sets one parameter of one of the model's nodes: only that
    node's own checks run again, shapes run again from that node on
    (`codegen.shapes.reinfer_shapes`), and the memory estimate is summed
    again; the recipe, dataset and trust findings are `previous`'s. Any
    other edit (or a change of settings) is a full analysis — or, with
    `in_full=False`, None (the editor makes that one off its thread).
    """
    settings = (project_dir, trusted, id(registry), True, True)

    def full() -> Analysis | None:
        return analyse(doc, project_dir=project_dir, trusted=trusted, registry=registry) if in_full else None

    if previous is None or previous.settings != settings or previous.validation is None \
            or previous.base is None or not _local(doc, edit, registry or project_registry()):
        return full()
    assert isinstance(edit, SetParam)
    analysis = Analysis(settings=settings, recipe=previous.recipe, settled=previous.settled, base=previous.base,
                        pending=previous.pending | {edit.node_id})
    analysis.validation = recheck_node(previous.validation, doc, ROOT, edit.node_id, registry or project_registry())
    if not errors(analysis.validation.problems()):  # shapes run only on a valid structure, as in `analyse`
        inference = reinfer_shapes(doc, previous.base, analysis.pending, trusted=trusted)
        if inference is None:
            return full()
        analysis.inference = analysis.base = inference
        analysis.pending = frozenset()
    return _finish(analysis, doc)


def _local(doc: Document, edit: Edit | None, registry: Registry) -> bool:
    """A parameter of one of the model's nodes whose ports, code and sub-network do not depend on it."""
    if not isinstance(edit, SetParam) or edit.scope != ROOT or edit.name == TIE:
        return False
    node = doc.graph.nodes.get(edit.node_id)
    spec = registry.get(node.type) if node is not None else None
    if node is None or spec is None or spec.dynamic_ports:
        return False
    kind = kind_of(node.type, spec)
    return kind.subnetwork(node) is None and not kind.runs_user_code
