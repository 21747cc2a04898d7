"""Runs the double-descent template's width study and draws docs/images/double_descent.png.

    python -m tools.double_descent [--jobs 2] [--widths 20,50,...]

The study is an ordinary grid study over `features.out_features` (no
pruning: the peak is what we want to see), run in a scratch folder; the
figure shows test and training error against the number of random
features, with the interpolation threshold (features = training points)
marked. Prints a markdown table and the measured peak for docs/templates.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "resources" / "templates" / "23_double_descent.json"
WIDTHS = "20,50,100,150,180,200,220,250,300,400,800,1600"


def run_study(widths: str, jobs: int, folder: Path, epochs: int | None = None) -> list[dict]:
    import optuna
    from optuna.trial import TrialState

    from graph import load
    from runtime.commands.check import project_registry
    from runtime.study.launch import create_or_resume, run_local, setup_for
    from runtime.study.space import parse_param

    project = folder / TEMPLATE.name
    shutil.copyfile(TEMPLATE, project)
    doc = load(project, project_registry())
    params = [parse_param(f"features.out_features=choice:{widths}")]
    setup = setup_for(doc, project, params, sampler="grid", prune="none", n_trials=len(widths.split(",")),
                      overrides={"epochs": epochs} if epochs else {})
    url = f"sqlite:///{project.with_suffix('.optuna.db')}"
    create_or_resume(setup, url, "widths")
    run_local(url, "widths", jobs, log=print)
    study = optuna.load_study(study_name="widths", storage=url)
    rows = [{"width": t.params["features.out_features"], "test": t.value, "train": t.user_attrs["train_loss"]}
            for t in study.get_trials(states=(TrialState.COMPLETE,))]
    return sorted(rows, key=lambda r: r["width"])


def plot(rows: list[dict], n_train: int, path: Path) -> Path:
    from runtime.study.plots import line_plot

    return line_plot(path, [r["width"] for r in rows], {"test MSE (800 held-out points)": [r["test"] for r in rows],
                                                       "training MSE": [r["train"] for r in rows]},
                     title="Double descent: random-features regression (200 noisy points)",
                     xlabel="random features (width of the frozen layer)", ylabel="mean squared error",
                     log_x=True, marks={f"features = training points ({n_train})": n_train})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default=WIDTHS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "docs" / "images" / "double_descent.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        rows = run_study(args.widths, args.jobs, Path(scratch))
    plot(rows, 200, Path(args.out))
    print("| features | training MSE | test MSE |\n|---|---|---|")
    for r in rows:
        print(f"| {r['width']} | {r['train']:.4f} | {r['test']:.3f} |")
    peak = max(rows, key=lambda r: r["test"])
    print(f"peak: width {peak['width']} (test MSE {peak['test']:.3f}); theory: 200 training points")


if __name__ == "__main__":
    main()
