"""The TORCHCANVAS block of an exported module: the project's name, description and recipe.

An exported `.py` ends with `TORCHCANVAS = {...}` so that importing the file
again keeps what its code cannot say: the recipe, and for each Forest (by its
attribute path) the hand-off rule and growth record that `grow()` and the
constructor only spell out as code. The block holds project strings, so it
is written as one JSON document inside a string literal made by `repr` (no
project text can close it or become code) and read back with `json`, never
executed on its own.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from codegen.escape import escape
from graph.document import Document

NAME = "TORCHCANVAS"


def metadata_block(doc: Document, forests: dict[str, dict[str, Any]] | None = None) -> str:
    data = {"format": "TorchCanvas-export", "version": 1, "name": doc.name, "description": doc.description,
            "recipe": doc.recipe}
    if forests:
        data["forests"] = forests
    text = json.dumps(data, sort_keys=True, ensure_ascii=True)
    chunks = [text[k:k + 76] for k in range(0, len(text), 76)]
    body = "\n".join(f"    {escape(chunk, 'literal')}" for chunk in chunks)
    return f"# Read when TorchCanvas imports this file: the project name, description and recipe.\n" \
           f"{NAME} = (\n{body}\n)"


def read_metadata(module: ModuleType | None) -> dict[str, Any] | None:
    text = getattr(module, NAME, None) if module is not None else None
    if not isinstance(text, str):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("format") != "TorchCanvas-export":
        return None
    return {k: data[k] for k in ("name", "description", "recipe", "forests") if k in data}
