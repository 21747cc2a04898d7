"""What every loader returns: the datasets plus the facts a graph needs to fit them.

The GUI reads ``input_shape``/``input_dtype`` to set up the Input node and
``output_features`` to size the last layer, and the trainer reads ``task`` to
pick behaviour (no shuffling for forecasts, target = input for
reconstruction), so these live beside the data instead of being guessed later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from torch.utils.data import Dataset

Task = Literal["classification", "regression", "language_model", "forecast", "reconstruction"]
TASKS: tuple[str, ...] = ("classification", "regression", "language_model", "forecast", "reconstruction")


@dataclass
class DatasetBundle:
    """Train/validation datasets of ``(input, target)`` pairs and their description.

    Shapes are per sample (no batch dimension). ``target_shape`` is ``()`` for
    one class index per sample and ``(T,)`` for one class per time step
    (language models, the copy task). ``extra`` carries loader-specific facts
    (vocabulary ``itos``/``stoi``, standardisation ``mean``/``std``, ...).
    """

    train: Dataset
    val: Dataset
    task: Task
    input_shape: tuple[int, ...]
    input_dtype: str
    target_shape: tuple[int, ...]
    target_dtype: str
    num_classes: int | None = None
    class_names: list[str] | None = None
    description: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def output_features(self) -> int:
        """Width the model's last layer needs (classes, or values per sample)."""
        if self.task in ("classification", "language_model") and self.num_classes:
            return self.num_classes
        shape = self.input_shape if self.task == "reconstruction" else self.target_shape
        return math.prod(shape) if shape else 1

    @property
    def suggested_loss(self) -> str:
        """A recipe loss name that fits the task (cross entropy or mean squared error)."""
        return "cross_entropy" if self.task in ("classification", "language_model") else "mse"

    @property
    def suggested_metrics(self) -> list[str]:
        return {"classification": ["accuracy"], "language_model": ["accuracy", "perplexity"]}.get(
            self.task, ["mse", "mae"])

    def input_node_params(self) -> dict[str, Any]:
        """Parameters for the graph's Input node: ``{"shape": [...], "dtype": "float32"}``."""
        return {"shape": list(self.input_shape), "dtype": self.input_dtype}
