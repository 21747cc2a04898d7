"""`torchcanvas study PROJECT --param PATH=SPEC ...` and `torchcanvas study-worker --storage URL --name NAME`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph import ProblemError, ProjectFileError
from runtime.commands.check import project_registry
from runtime.commands.project import open_project
from runtime.study.launch import StudyError, check_space, create_or_resume, run_local, setup_for
from runtime.study.space import SpaceError, grid, parse_param
from runtime.study.storage import StorageError, default_url, redact

EXPECTED = (ProjectFileError, ProblemError, SpaceError, StorageError, StudyError)


def _direction(metric: str, given: str | None) -> str:
    if given:
        return given
    return "maximize" if any(word in metric for word in ("acc", "top")) else "minimize"


def summary(study, metric: str) -> list[str]:
    """The closing lines: counts by state and the best trial with its run folder."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counts = {s.name.lower(): sum(t.state == s for t in trials) for s in TrialState}
    lines = ["trials: " + ", ".join(f"{n} {state}" for state, n in counts.items() if n)]
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    if done:
        best = study.best_trial
        params = ", ".join(f"{k}={v}" for k, v in best.params.items())
        lines.append(f"best: trial {best.number}  {metric} {best.value:.4f}  {params}")
        lines.append(f"best run folder: {best.user_attrs.get('run_dir', '?')}")
    return lines


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    doc, trusted = open_project(project, args.trust)
    try:
        params = [parse_param(text) for text in args.param or []]
        marks = _marks(args.mark or [])
        check_space(doc, project_registry(), params, project.resolve().parent)
        if args.jobs < 1:
            raise StudyError(f"--jobs must be at least 1, got {args.jobs}")
        overrides = {"epochs": args.epochs} if args.epochs else {}
        n_trials = args.trials or 20
        if args.sampler == "grid":  # the whole grid unless --trials asks for fewer points
            n_trials = min(args.trials or 10**9, len(grid(params)))
        setup = setup_for(doc, project, params, metric=args.metric, direction=_direction(args.metric, args.direction),
                          sampler=args.sampler, prune=args.prune, overrides=overrides,
                          n_trials=n_trials)
        url = args.storage or default_url(project)
        name = args.name or project.stem
        study = create_or_resume(setup, url, name, args.heartbeat)
    except EXPECTED as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"study {name!r} in {redact(url)}: {len(study.trials)} trials, {args.jobs} local job(s)", flush=True)
    if not args.no_run:
        run_local(url, name, args.jobs, trusted=trusted, heartbeat=args.heartbeat,
                  log=lambda line: print(line, flush=True))
    for line in summary(study, setup.metric):
        print(line)
    return _plot(args.plot, url, name, marks) if args.plot else 0


def _marks(texts: list[str]) -> dict[str, float]:
    marks = {}
    for text in texts:
        label, _, where = text.rpartition("=")
        try:
            marks[label or where] = float(where)
        except ValueError:
            raise StudyError(f"--mark {text}: expected TEXT=NUMBER, e.g. 'training points=200'") from None
    return marks


def _plot(out: str, url: str, name: str, marks: dict[str, float]) -> int:
    from runtime.study.figure import study_plot
    from runtime.study.results import read_results

    try:
        path = study_plot(read_results(url, name, with_importances=False), Path(out), marks)
    except (ValueError, OSError) as exc:
        print(f"error: --plot {out}: {exc}", file=sys.stderr)
        return 1
    print(f"plot: {path}")
    return 0


def run_worker(args: argparse.Namespace) -> int:
    import optuna

    from runtime.study.setup import read_setup
    from runtime.study.storage import open_storage

    try:
        storage = open_storage(args.storage, args.heartbeat)
        try:
            study = optuna.load_study(study_name=args.name, storage=storage)
        except KeyError:
            raise StudyError(f"--name {args.name}: no such study in {redact(args.storage)}") from None
        setup = read_setup(study)
    except (*EXPECTED, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"joined study {args.name!r} ({setup.project_name}): {len(study.trials)} trials", flush=True)
    run_local(args.storage, args.name, args.jobs, trusted=args.trust, heartbeat=args.heartbeat,
              log=lambda line: print(line, flush=True), project_dir=args.project_dir)
    for line in summary(study, setup.metric):
        print(line)
    return 0
