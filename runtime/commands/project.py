"""How a command opens the project it works on: load it, decide trust, refuse untrusted code.

export, train, study and sweep all start the same way; a bad file
(`ProjectFileError`) or code the person has not trusted (`UntrustedCode`,
worded for the command line) is raised, and `runtime.cli.run` renders it as
the one `error: FILE: what (where)` block, so no command prints its own.
"""

from __future__ import annotations

from pathlib import Path

from graph import load
from graph.document import Document
from graph.trust import GRANT_CLI
from runtime.commands.check import project_registry
from runtime.trust import require_trust, trusted_for_cli


def open_project(project: Path, trust: bool, *, runs_code: bool = True, training: bool = True) -> tuple[Document, bool]:
    """The project and whether its code may run (`--trust` or trusted before).

    `runs_code=False`: the command only reads the project (export to .py), so
    untrusted code is no reason to stop; `training=False`: only the model is
    built, so hooks and a code loss do not count.
    """
    doc = load(project, project_registry())
    trusted = trusted_for_cli(doc, trust)
    if runs_code:
        require_trust(doc, trusted, GRANT_CLI, training=training)
    return doc, trusted
