"""Remembered trust: the digests of project code this person said yes to.

Trust is given by an explicit act only: the window's "Trust and run" /
Train › Trust project code, or `--trust` on the command line (for that one
command; it is not remembered). Saving a file never trusts it. A project
without code needs no trust. The list lives in the per-user folder, so the
window and the command line share it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from graph import Document
from graph.trust import GRANT_ANY, UntrustedCode, code_digest, code_that_runs, has_code


class TrustStore:
    """`trusted.json` in the per-user folder: a sorted list of code digests."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from runtime.home import user_home

            path = user_home() / "trusted.json"
        self.path = Path(path)

    def _load(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        return {d for d in data if isinstance(d, str)} if isinstance(data, list) else set()

    def is_trusted(self, doc: Document) -> bool:
        return not has_code(doc) or code_digest(doc) in self._load()

    def trust(self, doc: Document) -> None:
        """Records this exact code as trusted (an explicit act of the person, never a side effect)."""
        digests = self._load() | {code_digest(doc)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".trusted.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(sorted(digests), f, indent=0)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def require_trust(doc: Document, trusted: bool, grant: str = GRANT_ANY, training: bool = True) -> None:
    """Raises UntrustedCode naming what would run, unless the code is trusted (or there is none).

    `training=False`: only building the model (export), so hooks and a code loss do not count.
    """
    if trusted:
        return
    parts = code_that_runs(doc, training)
    if parts:
        raise UntrustedCode(parts, grant)


def trusted_for_cli(doc: Document, flag: bool) -> bool:
    """`--trust` for this command, or code the person trusted before (in the window or the list)."""
    return flag or TrustStore().is_trusted(doc)
