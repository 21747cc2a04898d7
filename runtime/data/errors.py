"""The one exception the data layer raises for bad input.

A subclass of ValueError so callers that already catch ValueError (the CLI,
the recipe dialog) show the message instead of a traceback; the message names
the file, line, column or parameter so a person can fix it.
"""

from __future__ import annotations

from graph.problems import Problem, ProblemError

#: Where a dataset problem without a more precise place points: the recipe's dataset.
DATASET_PATH = "recipe.dataset"


def dataset_problem(message: str | Problem) -> Problem:
    return message if isinstance(message, Problem) else Problem(message, recipe_path=DATASET_PATH)


class DatasetError(ProblemError, ValueError):
    """Bad dataset spec or unreadable data; ``problems`` lists every issue found."""

    def __init__(self, message: str | Problem | list[str | Problem]) -> None:
        items = message if isinstance(message, list) else [message]
        super().__init__([dataset_problem(m) for m in items])
