"""What a training run says in words (`LogMessage` events), where the user sees it.

Warnings and errors (an ignored `num_workers`, a batch skipped for a NaN loss,
a failing end hook) join the Problems list as the run's problems until the
next analysis, and the latest message of any level but debug goes to the
status bar. A run that warns every batch would bury the list, so it keeps the
first `MAX_PROBLEMS` and counts the rest; metrics.jsonl in the run folder has
them all.
"""

from __future__ import annotations

from graph.problems import Problem

MAX_PROBLEMS = 20
HINT = "from the training run"


class RunLog:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.problems: list[Problem] = []
        self.more = 0
        self.status = ""

    def handle(self, events: list) -> bool:
        """Takes a batch of events; True when the problems or the status text changed."""
        changed = False
        for e in events:
            if getattr(e, "kind", "") != "log" or e.level == "debug":
                continue
            changed = True
            self.status = f"Training: {e.text}"
            if e.level not in ("warning", "error"):
                continue
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(Problem(e.text, severity="error" if e.level == "error" else "warning",
                                             hint=HINT))
            else:
                self.more += 1
        return changed

    def all(self) -> list[Problem]:
        """The run's problems for the Problems list, with a line counting those left out."""
        if not self.more:
            return list(self.problems)
        return [*self.problems, Problem(f"... and {self.more} more messages from the training run", severity="warning",
                                        hint=HINT)]
