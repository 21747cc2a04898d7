"""Autosave and recovery: the policy, without the window.

Each open document has an identity (a random id made when it is opened or
created). While it has unsaved changes, a copy is written every
`AUTOSAVE_SECONDS` to ``HOME/recovery/<identity>.json`` with the project
text, the file it belongs to (None while untitled), when it was written and
by which process; atomically (temp file, then rename), so a crash during
autosave leaves the previous copy. Keying by identity, not by path, is what
keeps the policy right:

* saving removes the document's copy, whatever its path was when the copy
  was written (a project from a template, autosaved while untitled and then
  saved under a name, leaves nothing behind);
* a copy is offered only when it is newer than the file on disk and the
  process that wrote it is gone, so a clean save-and-quit is never followed by
  a "recover?" prompt, and answering yes never loads something older than the
  saved file; copies older than their file are stale and deleted when seen.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from graph.document import Document
from graph.fileformat import ProjectFileError, dumps, loads
from graph.registry import Registry

AUTOSAVE_SECONDS = 60


def new_identity() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class RecoveryCopy:
    file: Path  # the autosave file itself
    identity: str
    original: Path | None  # the project file it belongs to; None while untitled
    saved_at: float
    pid: int
    name: str  # the document's name, for the question


def recovery_path(home: Path, identity: str) -> Path:
    return Path(home) / "recovery" / f"{identity}.json"


def write_recovery(home: Path, identity: str, project: Path | None, doc: Document) -> Path:
    path = recovery_path(home, identity)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"identity": identity, "original": str(Path(project).resolve()) if project is not None else None,
               "saved_at": time.time(), "pid": os.getpid(), "name": doc.name, "project": dumps(doc)}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_recovery(path: Path, registry: Registry | None = None) -> Document:
    """The recovered document; ProjectFileError when the copy cannot be read."""
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        text = payload["project"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProjectFileError(f"the recovery copy cannot be read: {exc}", path=path) from None
    return loads(text, registry)


def clear_recovery(home: Path, identity: str) -> None:
    recovery_path(home, identity).unlink(missing_ok=True)


def _copies(home: Path) -> list[RecoveryCopy]:
    folder = Path(home) / "recovery"
    out = []
    for file in sorted(folder.glob("*.json")) if folder.exists() else []:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            out.append(RecoveryCopy(file, str(data["identity"]),
                                    Path(data["original"]) if data.get("original") else None,
                                    float(data["saved_at"]), int(data.get("pid", 0)), str(data.get("name", ""))))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours to judge (read_recovery reports a broken copy when it is asked for)
    return out


def _writer_alive(pid: int) -> bool:
    """Whether another process that may still be editing that document is running."""
    if pid == os.getpid():
        return False  # ours: a window of this process opening it again is a recovery, not a clash
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def recovery_offers(home: Path, project: Path | None) -> list[RecoveryCopy]:
    """Copies worth offering for `project` (None: untitled projects), newest first.

    Deletes copies older than the file they belong to (the file has all they
    have) and skips those whose writer is still running (another window).
    """
    target = str(Path(project).resolve()) if project is not None else None
    found = []
    for copy_ in _copies(home):
        if (str(copy_.original) if copy_.original else None) != target:
            continue
        if target is not None:
            try:
                if Path(target).stat().st_mtime >= copy_.saved_at:
                    copy_.file.unlink(missing_ok=True)
                    continue
            except OSError:
                pass  # the file is gone: the copy is all there is
        if _writer_alive(copy_.pid):
            continue
        found.append(copy_)
    return sorted(found, key=lambda c: c.saved_at, reverse=True)
