"""What code a project carries, and the fingerprint that trusting it refers to.

Project files come from strangers. Their code (code entries used by code
nodes, hooks written in Python, a custom loss) runs only after the person
trusts *this exact code*: trust is recorded against `code_digest`, so any
change to the code needs a new yes. This module only reads the document;
nothing here runs code. Where trust is remembered is `runtime.trust`; the
places that run code refuse with `UntrustedCode` when it was not given.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from graph.document import Document
from graph.kinds import kind_of
from graph.problems import Problem, ProblemError

#: How to grant trust, by where the refusal is shown.
GRANT_CLI = "read it, then rerun with --trust"
GRANT_GUI = "read it, then choose Train › Trust project code"
GRANT_ANY = "read it, then rerun with --trust (in the app: Train › Trust project code)"


class UntrustedCode(ProblemError):
    """Refusal to run a project's code that the person has not trusted.

    `parts` names what would have run ("code node 'attn' runs entry 'attn'",
    "recipe.hooks[0] runs entry 'my_hook'"); the problem's hint says how to
    grant trust, worded for where it is shown (`with_grant`).
    """

    def __init__(self, parts: list[str], grant: str = GRANT_ANY) -> None:
        self.parts = list(parts)
        self.grant = grant
        shown = "; ".join(self.parts[:3]) + (f"; and {len(self.parts) - 3} more" if len(self.parts) > 3 else "")
        super().__init__(Problem(f"this project's code is not trusted, so it does not run: {shown or 'its code'}",
                                 hint=grant))

    def with_grant(self, grant: str) -> UntrustedCode:
        """The same refusal, worded for where it is shown (CLI flag or GUI menu)."""
        return UntrustedCode(self.parts, grant)


def _hooks(doc: Document) -> list[tuple[int, dict[str, Any]]]:
    hooks = doc.recipe.get("hooks", [])
    if not isinstance(hooks, list):
        return []
    return [(k, h) for k, h in enumerate(hooks) if isinstance(h, dict) and h.get("name") == "code"]


def _code_loss(doc: Document) -> dict[str, Any] | None:
    loss = doc.recipe.get("loss")
    return loss if isinstance(loss, dict) and loss.get("name") == "code" else None


def has_code(doc: Document) -> bool:
    """True when the project carries any code at all (then opening it asks for trust)."""
    return bool(doc.code) or bool(_hooks(doc)) or _code_loss(doc) is not None


def code_that_runs(doc: Document, training: bool = True) -> list[str]:
    """Everything that would run the project's code when the model is built (and, with `training`, trained).

    Code nodes count wherever they are (in any group, connected or not): the
    generated module defines every entry a node uses, so building it runs the
    entry's top-level statements and the node's constructor even when its
    output goes nowhere. Hooks and a code loss run only in training.
    """
    parts: list[str] = []
    for scope in doc.scopes():
        for node in doc.scope(scope).nodes.values():
            if kind_of(node.type).runs_user_code:
                where = f" in group {scope!r}" if scope else ""
                parts.append(f"code node {node.label!r}{where} runs entry {node.params.get('code', '')!r}")
    if not training:
        return parts
    for k, hook in _hooks(doc):
        if hook.get("enabled", True) is not False:
            parts.append(f"recipe.hooks[{k}] runs entry {hook.get('code', '')!r}")
    loss = _code_loss(doc)
    if loss is not None:
        parts.append(f"recipe.loss runs entry {loss.get('code', '')!r}")
    return parts


def code_digest(doc: Document) -> str:
    """SHA-256 over the code entries and which of them serve as hooks or the loss.

    Built-in hooks and their settings are not part of it: changing a learning
    rate does not ask for trust again; changing one character of code does.
    """
    loss = _code_loss(doc)
    payload = {
        "code": {str(k): str(v) for k, v in doc.code.items()},
        "hooks": [str(h.get("code", "")) for _, h in _hooks(doc)],
        "loss": str(loss.get("code", "")) if loss else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
