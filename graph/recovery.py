"""Autosave and recovery: the policy, without the window.

While a project has unsaved changes, a copy is written every
`AUTOSAVE_SECONDS` to ``HOME/recovery/<hash of the project's path>.json``
(one file per project; never-saved projects share the "untitled" slot). Saving
or closing cleanly removes it; opening a project whose recovery file exists
offers it. The copy is written atomically (temp file, then rename), so a crash
during autosave leaves the previous copy.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from graph.document import Document
from graph.fileformat import ProjectFileError, dumps, loads
from graph.registry import Registry

AUTOSAVE_SECONDS = 60


def recovery_path(home: Path, project: Path | None) -> Path:
    key = str(project.resolve()) if project is not None else "untitled"
    return home / "recovery" / (hashlib.sha1(key.encode()).hexdigest()[:16] + ".json")


def write_recovery(home: Path, project: Path | None, doc: Document) -> Path:
    path = recovery_path(home, project)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"original": str(project) if project is not None else None, "project": dumps(doc)}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    tmp.replace(path)
    return path


def read_recovery(path: Path, registry: Registry | None = None) -> Document:
    """The recovered document; ProjectFileError when the copy cannot be read."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        text = payload["project"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProjectFileError(f"the recovery copy cannot be read: {exc}", path=path) from None
    return loads(text, registry)


def clear_recovery(home: Path, project: Path | None) -> None:
    recovery_path(home, project).unlink(missing_ok=True)
