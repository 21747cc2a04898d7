"""Trust: code in a project runs only after the person has seen it and said yes.

A project is trusted when it has no code, or when this exact code (by
content hash) was trusted before or written by this user on this machine.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from app.paths import app_home
from graph import Document


def has_code(doc: Document) -> bool:
    code_hooks = any(h.get("name") == "code" for h in doc.recipe.get("hooks", []) if isinstance(h, dict))
    code_loss = isinstance(doc.recipe.get("loss"), dict) and doc.recipe["loss"].get("name") == "code"
    return bool(doc.code) or code_hooks or code_loss


def code_digest(doc: Document) -> str:
    payload = json.dumps({"code": doc.code, "hooks": doc.recipe.get("hooks", []),
                          "loss": doc.recipe.get("loss", {})}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class TrustStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or app_home() / "trusted.json"

    def _load(self) -> set[str]:
        try:
            return set(json.loads(self.path.read_text()))
        except (OSError, ValueError):
            return set()

    def is_trusted(self, doc: Document) -> bool:
        return not has_code(doc) or code_digest(doc) in self._load()

    def trust(self, doc: Document) -> None:
        digests = self._load()
        digests.add(code_digest(doc))
        self.path.write_text(json.dumps(sorted(digests)))
