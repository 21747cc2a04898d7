"""A run's revision into the open document: the grown model becomes the project's, as one undoable step.

A run that grew a forest wrote the grown structure into its folder
(project.json, `runtime.revisions`): each Forest node's members, frozen
members and hand-off record. At the end of that run in the window, and when
the Runs panel loads weights that do not fit the document, those parameters
are applied to the document's Forest nodes, so the model the editor compiles,
exports and saves is the one that trained. Nothing else is taken from the run
(edits made since stay), and it is one step on the undo stack.
"""

from __future__ import annotations

from pathlib import Path

from graph import Document
from graph.edits import MISSING, Batch, SetParam
from graph.fileformat import loads
from graph.kinds import FOREST, kind_of
from graph.kinds.forest import GROWTH_PARAMS


def run_folder(weights: Path) -> Path | None:
    """The run folder a weights file belongs to (weights.safetensors, or checkpoints/*.safetensors)."""
    for folder in (weights.parent, weights.parent.parent):
        if (folder / "project.json").exists() and (folder / "run.json").exists():
            return folder
    return None


def revision_edit(doc: Document, revised: Document, text: str) -> Batch | None:
    """The edits that give `doc`'s forests the members `revised` records; None if they have them already."""
    edits = []
    for scope in revised.scopes():
        if scope not in doc.scopes():
            continue
        for nid, grown in revised.scope(scope).nodes.items():
            node = doc.scope(scope).nodes.get(nid)
            if node is None or kind_of(node.type) is not FOREST or kind_of(grown.type) is not FOREST:
                continue
            for name in GROWTH_PARAMS:
                new = grown.params.get(name, MISSING)
                if node.params.get(name, MISSING) != new:
                    edits.append(SetParam(scope, nid, name, new))
    return Batch(edits, text) if edits else None


def revision_from_text(project: str) -> Document:
    return loads(project)
