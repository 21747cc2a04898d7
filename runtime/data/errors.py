"""The one exception the data layer raises for bad input.

A subclass of ValueError so callers that already catch ValueError (the CLI,
the recipe dialog) show the message instead of a traceback; the message names
the file, line, column or parameter so a person can fix it.
"""

from __future__ import annotations


class DatasetError(ValueError):
    """Bad dataset spec or unreadable data; ``problems`` lists every issue found."""

    def __init__(self, message: str | list[str]) -> None:
        self.problems = [message] if isinstance(message, str) else list(message)
        super().__init__("; ".join(self.problems))
