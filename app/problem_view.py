"""How the window tells a person what went wrong: it renders `Problem` records, and nothing else.

Every error the window shows (a dialog, the status bar, a label in a panel)
comes through here from records made below `app/` (`runtime.report.problems_of`
turns an exception into the records it carries), so the window says what the
command line and the Problems list say, with the same place: node, recipe
setting, file and line. A view never reads an exception's text, and never
searches a message for a node's label.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import QMessageBox, QWidget

from graph.problems import Problem

SHOWN_AT_MOST = 10


def problems_text(problems: list[Problem]) -> str:
    """One line per record (`where: message (hint)`), the first ten and how many more."""
    lines = [p.text() for p in problems[:SHOWN_AT_MOST]]
    if len(problems) > SHOWN_AT_MOST:
        lines.append(f"... and {len(problems) - SHOWN_AT_MOST} more")
    return "\n".join(lines)


def problems_html(problems: list[Problem], colour: str = "#ff6b6b") -> str:
    """The same lines for a rich-text label (a file name can hold `<`)."""
    return "<br>".join(f"<span style='color:{colour}'>{html.escape(line)}</span>"
                       for line in problems_text(problems).splitlines())


def report(parent: QWidget, title: str, problems: list[Problem], warning: bool = False) -> None:
    """A modal dialog listing the records."""
    (QMessageBox.warning if warning else QMessageBox.critical)(parent, title, problems_text(problems))


def status(window, problems: list[Problem], prefix: str = "", ms: int = 10000) -> None:
    """The records on one status-bar line (`prefix` says what failed, e.g. "Training failed: ")."""
    window.statusBar().showMessage(prefix + "; ".join(p.text() for p in problems), ms)
