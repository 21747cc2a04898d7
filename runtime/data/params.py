"""Dataset parameters: `graph.spec.ParamSpec`s, the type node parameters have.

A spec is plain JSON saved in the project, so values arrive untyped and may be
hand-edited. Each dataset declares its parameters once; `graph.params`
checks a value (the same checker and words as a node parameter's), the
dataset's entry fills defaults, and the form the GUI draws reads the same
specs.
"""

from __future__ import annotations

from pathlib import Path

from graph.spec import ParamSpec


def resolve_path(value: str | Path, base_dir: Path | None) -> Path:
    """A spec path as an absolute Path; relative ones are relative to the project folder."""
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (base_dir if base_dir is not None else Path.cwd()) / path
    return path


# Parameters many datasets share, declared once so they read the same everywhere.
VAL_FRACTION = ParamSpec("val_fraction", "float", 0.2, help="share of samples held out for validation",
                         min=0.0, max=1.0, exclusive_max=True)
SEED = ParamSpec("seed", "int", 0, help="seed for generation and the train/validation split", min=0)
FLAT = ParamSpec("flat", "bool", False, help="flatten each sample into a vector (for MLPs)")
STANDARDIZE = ParamSpec("standardize", "bool", True, help="z-score features with train-split mean and std")
IMAGE_TASK = ParamSpec("task", "enum", "classification",
                       help="classification, or reconstruction (autoencoders: target = input)",
                       choices=("classification", "reconstruction"))
N_SAMPLES = ParamSpec("n", "int", 1000, help="number of samples", min=4, max=10_000_000)
