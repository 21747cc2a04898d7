"""`torchcanvas train PROJECT`: headless training with a progress bar."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph import ProblemError, ProjectFileError
from runtime.commands.project import open_project
from runtime.events import BatchEnded, EvalEnded, FitEnded, FitStarted, HookDecision, LogMessage
from runtime.report import print_error
from runtime.run_folder import new_run_dir
from runtime.session import prepare
from runtime.session import run as run_job


class Progress:
    """Turns events into a tqdm bar and a few printed lines."""

    def __init__(self, quiet: bool = False) -> None:
        self.bar = None
        self.quiet = quiet
        self.decisions: dict[str, int] = {}

    def __call__(self, event) -> None:
        from tqdm import tqdm

        if isinstance(event, FitStarted) and not self.quiet:
            self.bar = tqdm(total=event.total_steps, unit="batch", dynamic_ncols=True, file=sys.stderr)
            print(f"training {event.parameters:,} parameters ({event.trainable:,} trainable), "
                  f"{event.epochs} epochs × {event.steps_per_epoch} batches", file=sys.stderr)
        elif isinstance(event, BatchEnded) and self.bar is not None:
            self.bar.update(1)
            if event.step % 10 == 0:
                self.bar.set_postfix(epoch=event.epoch + 1, loss=f"{event.loss:.4f}", refresh=False)
        elif isinstance(event, EvalEnded) and self.bar is not None:
            self.bar.write("  ".join([f"step {event.step}"] + [f"{k} {v:.4f}" for k, v in event.metrics.items()]))
        elif isinstance(event, HookDecision):
            self.decisions[event.decision] = self.decisions.get(event.decision, 0) + 1
        elif isinstance(event, LogMessage) and event.level in ("warning", "error"):
            print(f"{event.level}: {event.text}", file=sys.stderr)
        elif isinstance(event, FitEnded) and self.bar is not None:
            self.bar.close()


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    overrides = {}
    if args.epochs:
        overrides["epochs"] = args.epochs
    if args.device:
        overrides["device"] = args.device
    if args.batch_size:
        overrides["batch_size"] = args.batch_size
    if args.max_steps:
        overrides["max_steps"] = args.max_steps
    if args.seed is not None:
        overrides["seed"] = args.seed
    try:
        doc, trusted = open_project(project, args.trust)
        if args.lr:
            overrides["optimizer"] = {**doc.recipe.get("optimizer", {}), "lr": args.lr}
        out = Path(args.out) if args.out else new_run_dir(project.resolve().parent / "runs", project.stem)
        progress = Progress(args.quiet)
        job = prepare(doc, project_dir=project.resolve().parent, trusted=trusted, overrides=overrides,
                      emit=progress, run_dir=out, resume_from=Path(args.resume) if args.resume else None)
        metrics = run_job(job)
    except (ProjectFileError, ProblemError) as exc:  # compile, recipe, dataset, training: records say where
        return print_error(project, exc)
    summary = "  ".join(f"{k} {v:.4f}" for k, v in metrics.items())
    print(f"{job.trainer.status} after {job.trainer.step} steps: {summary}")
    if progress.decisions:
        print("hook decisions: " + ", ".join(f"{k} {v}" for k, v in progress.decisions.items()))
    if job.bundle.task == "language_model" and "itos" in job.bundle.extra:
        from runtime.generate import sample_text

        text = sample_text(job.trainer.model, job.bundle.extra["itos"], job.bundle.input_shape[0])
        print("sample:\n" + text)
        (out / "sample.txt").write_text(text)
    if job.bundle.task == "reconstruction":
        from runtime.reconstructions import save_reconstructions

        picture = save_reconstructions(job.trainer.model, job.bundle.val, job.bundle.input_shape,
                                       out / "reconstructions.png")
        print(f"reconstructions (originals above, reconstructions below): {picture}")
    print(f"run folder: {out} (metrics.jsonl, weights.safetensors, checkpoints/)")
    return 0 if job.trainer.status in ("finished", "stopped") else 1
