"""From a project document to a ready Trainer: the one path GUI, CLI and scripts share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch

from codegen import Compiled, build_from_compiled, compile_document
from codegen.export import save_weights
from graph import Document
from graph.fileformat import dumps
from graph.trust import UntrustedCode
from runtime.batches import loader_notice, make_loader, sample_bytes, val_batch_size
from runtime.callbacks import Callback
from runtime.checkpoint import (
    Checkpointer,
    CheckpointError,
    checkpoint_info,
    load_checkpoint,
    named_param_groups,
)
from runtime.crash_site import failure_site
from runtime.engine import Flags, Trainer, TrainingError, resolve_device
from runtime.event_stream import EventStream, Subscriber
from runtime.events import LogMessage
from runtime.forest_monitor import MemberContributionMonitor
from runtime.optim import build_loss, build_optimizer, build_scheduler
from runtime.policies import POLICIES
from runtime.recipe import Recipe
from runtime.revisions import RevisionRecorder, forest_nodes, with_growth
from runtime.run_folder import MetricsWriter, RunFolderWriter, write_result, write_start
from runtime.sampling import EpochSampler
from runtime.tensorboard_writer import TensorBoardWriter
from runtime.trust import require_trust
from runtime.usercode import UserHook


@dataclass
class Job:
    doc: Document
    recipe: Recipe
    compiled: Compiled
    trainer: Trainer
    run_dir: Path | None
    bundle: Any
    callbacks: list[Callback] = field(default_factory=list)
    #: Everything the trainer emits goes here; `run` closes its subscribers (files flush) at the end.
    events: EventStream = field(default_factory=EventStream)
    #: With a forest that may grow: the project revisions the run writes (`revisions.doc` is the latest).
    revisions: RevisionRecorder | None = None


def _param_groups(model: torch.nn.Module, compiled: Compiled, doc: Document, recipe: Recipe) -> list[dict]:
    """Per-node learning rates (finetuning): nodes by label, their submodules' parameters."""
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not recipe.param_groups:
        return [{"params": [p for _, p in trainable]}]
    labels = {(scope, nid): node.label for scope in doc.scopes() for nid, node in doc.scope(scope).nodes.items()}
    by_label = {labels[key]: path for key, path in compiled.attributes.items() if key in labels}
    groups, taken = [], set()
    for spec in recipe.param_groups:
        prefixes = []
        for label in spec.nodes:
            if label not in by_label:
                raise TrainingError(f"recipe.param_groups: no node labelled {label!r} has weights")
            prefixes.append(by_label[label] + ".")
        params = [p for n, p in trainable if any(n.startswith(pre) for pre in prefixes) and id(p) not in taken]
        taken |= {id(p) for p in params}
        if params:
            groups.append({"params": params, "lr": spec.lr})
    rest = [p for _, p in trainable if id(p) not in taken]
    if rest:
        groups.insert(0, {"params": rest})
    return groups


def load_initial_weights(model: torch.nn.Module, compiled: Compiled, doc: Document, recipe: Recipe,
                         project_dir: Path | None) -> None:
    """recipe.init_from: pretrained weights (a file or a Hugging Face folder) for the model or one node/group."""
    from codegen.export import truly_missing
    from runtime.init_weights import InitFileError, read_init_state

    labels = {node.label: key for key in compiled.attributes
              for node in [doc.scope(key[0]).nodes[key[1]]]}
    for k, spec in enumerate(recipe.init_from):
        path = Path(spec.file)
        if not path.is_absolute() and project_dir is not None:
            path = project_dir / path
        try:
            state = read_init_state(path, spec.rename)
        except InitFileError as exc:
            raise TrainingError(f"recipe.init_from[{k}]: {exc}") from None
        target: torch.nn.Module = model
        if spec.node:
            if spec.node not in labels:
                raise TrainingError(f"recipe.init_from[{k}].node: no node or group labelled {spec.node!r} has "
                                    "weights")
            target = model.get_submodule(compiled.attributes[labels[spec.node]])
        try:
            result = target.load_state_dict(state, strict=False)
        except RuntimeError as exc:
            raise TrainingError(f"recipe.init_from[{k}]: {path.name} does not fit "
                                f"{spec.node or 'the model'}: {str(exc).splitlines()[1].strip()}") from None
        result.missing_keys[:] = truly_missing(target, result.missing_keys, state)
        if spec.strict and (result.missing_keys or result.unexpected_keys):
            raise TrainingError(f"recipe.init_from[{k}]: {path.name} does not fit {spec.node or 'the model'} "
                                f"(missing {result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]})")


def build_callbacks(doc: Document, recipe: Recipe, trusted: bool) -> list[Callback]:
    callbacks: list[Callback] = []
    for k, hook in enumerate(recipe.hooks):
        if not hook.enabled:
            continue
        if hook.name == "code":
            if not trusted:
                raise UntrustedCode([f"recipe.hooks[{k}] runs entry {hook.code!r}"])
            callbacks.append(UserHook(hook.code, doc.code.get(hook.code), hook.params))
            continue
        cls = POLICIES.get(hook.name)
        if cls is None:
            raise TrainingError(f"recipe.hooks[{k}].name: unknown hook {hook.name!r}; built-ins are "
                                f"{', '.join(POLICIES)}, or 'code' for your own")
        try:
            callbacks.append(cls(**hook.params))
        except (TypeError, ValueError) as exc:
            raise TrainingError(f"recipe.hooks[{k}] ({hook.name}): {exc}") from None
    return callbacks


def prepare(
    doc: Document,
    *,
    project_dir: Path | None = None,
    trusted: bool = False,
    overrides: dict[str, Any] | None = None,
    emit: Callable[[Any], None] | None = None,
    flags: Flags | None = None,
    run_dir: Path | None = None,
    resume_from: Path | None = None,
    extra_callbacks: list[Callback] | None = None,
    num_threads: int | None = None,
    subscribers: list[Subscriber] | None = None,
    run_meta: dict[str, Any] | None = None,
    dataset_loader: Callable[[dict[str, Any], Path | None], Any] | None = None,
) -> Job:
    """Analyses the project (nothing is allocated before it passes), loads data, compiles, wires the Trainer.

    Raises a `ProblemError` (CompileError, RecipeError, DatasetError, TrainingError) whose
    problems name the node or recipe setting; `UntrustedCode` before anything else when
    the project has code that would run (code nodes, code hooks, a code loss) and
    `trusted` is False. Events go to `emit`, to each of `subscribers` (e.g. a
    TensorBoard writer) and, with a `run_dir`, to the run folder's metrics file and
    TensorBoard event file, in that order. `dataset_loader` replaces
    `runtime.data.load_dataset` (the warm worker passes one that caches).
    """
    from runtime.analysis import analyse, input_fit
    from runtime.data import load_dataset

    resume = checkpoint_info(Path(resume_from)) if resume_from is not None else {}
    resumed_growth: list[str] = []
    if resume.get("forests"):  # the checkpoint's model grew: rebuild that revision, not the one given
        try:
            doc, resumed_growth = with_growth(doc, resume)
        except ValueError as exc:
            raise CheckpointError(f"{resume_from}: {exc}") from None
    require_trust(doc, trusted)
    analysis = analyse(doc, project_dir=project_dir, trusted=trusted, overrides=overrides)
    if analysis.errors:
        raise TrainingError(analysis.errors)
    recipe = analysis.recipe
    assert recipe is not None
    torch.manual_seed(recipe.seed)
    if num_threads:
        torch.set_num_threads(num_threads)
    bundle = (dataset_loader or load_dataset)(recipe.dataset, project_dir)
    fit = input_fit(doc, bundle.input_shape, bundle.input_dtype, recipe.dataset.get("name", "?"))
    if fit:
        raise TrainingError(fit)
    compiled = compile_document(doc, trusted=trusted, inference=analysis.inference)
    torch.manual_seed(recipe.seed)
    model = build_from_compiled(compiled)
    load_initial_weights(model, compiled, doc, recipe, project_dir)
    device = resolve_device(recipe.device)
    model.to(device)
    sampler = EpochSampler(len(bundle.train), seed=recipe.seed, shuffle=bundle.task != "forecast")
    train_loader = make_loader(bundle.train, recipe.batch_size, recipe.loader, device, sampler, recipe.seed)
    val_size = val_batch_size(len(bundle.val), recipe.batch_size, sample_bytes(bundle.val))
    val_loader = make_loader(bundle.val, val_size, recipe.loader, device) if len(bundle.val) else None
    loss_fn = build_loss(recipe.loss, doc.code if trusted else {})
    groups = named_param_groups(model, resume["param_groups"], Path(resume_from)) \
        if resume.get("param_groups") else _param_groups(model, compiled, doc, recipe)
    optimizer = build_optimizer(recipe.optimizer, groups)  # a resume: the groups growth added, in their order
    steps_per_epoch = len(train_loader)
    total = recipe.epochs * steps_per_epoch
    scheduler, when = build_scheduler(recipe.schedule, optimizer, steps_per_epoch, total)
    callbacks = build_callbacks(doc, recipe, trusted) + list(extra_callbacks or [])
    if recipe.activation_every and not recipe.compile:  # hooks would make a compiled model recompile
        from runtime.activations import ActivationMonitor

        callbacks.append(ActivationMonitor(recipe.activation_every))
    revisions = None
    forests = forest_nodes(doc, compiled)
    if forests:  # a forest may grow: record the revisions, measure what each member contributes
        revisions = RevisionRecorder(doc, compiled, trusted=trusted, run_dir=run_dir,
                                     revision=int(resume.get("revision", 0)))
        callbacks.append(revisions)
        labels = [(doc.scope(scope).nodes[nid].label, path) for scope, nid, path in forests]
        callbacks.append(MemberContributionMonitor(labels, recipe.eval_batches))
    events = EventStream([*([emit] if emit is not None else []), *(subscribers or [])])
    if run_dir is not None:
        write_start(run_dir, dumps(doc), doc.name, recipe.model_dump(), compiled.source, run_meta)
        callbacks.append(Checkpointer(run_dir / "checkpoints", recipe.checkpoint_every,
                                      min_seconds=recipe.checkpoint_min_seconds,
                                      structure=revisions.structure if revisions is not None else None))
        events.subscribe(RunFolderWriter([MetricsWriter(run_dir / "metrics.jsonl"), TensorBoardWriter(run_dir)]))
    trainer = Trainer(model, train_loader, val_loader, recipe, loss_fn, optimizer, scheduler, when, callbacks,
                      events, device, flags, target_is_input=bundle.task == "reconstruction")
    trainer.layer_paths = compiled.label_paths(doc)
    trainer.failure_problem = partial(failure_site, compiled=compiled, doc=doc)
    notice = loader_notice(recipe.loader)
    if notice:
        events(LogMessage(notice, "warning"))
    if resumed_growth:
        events(LogMessage(f"resumed the checkpoint's revision {resume.get('revision', 0)}: "
                          + "; ".join(resumed_growth)))
    if resume_from is not None:
        info = load_checkpoint(trainer, Path(resume_from))
        trainer.step, trainer.epoch = int(info.get("step", 0)), int(info.get("epoch", 0))
    return Job(doc, recipe, compiled, trainer, run_dir, bundle, callbacks, events, revisions)


def run(job: Job) -> dict[str, float]:
    """Trains; writes the final weights into the run folder; always closes the event subscribers."""
    try:
        return job.trainer.fit()
    finally:
        try:
            if job.run_dir is not None:
                save_weights(job.trainer.model, job.run_dir / "weights.safetensors")
                write_result(job.run_dir, job.trainer.status, job.trainer.step, job.trainer.last_eval)
        finally:
            job.events.close()
