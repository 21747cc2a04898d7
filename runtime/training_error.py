"""The one error a training run fails with when the user can act on it."""

from __future__ import annotations

from graph.problems import ProblemError


class TrainingError(ProblemError):
    """Training failed for a reason the user can act on (NaN loss, a hook's bug, ...)."""
