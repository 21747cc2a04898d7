"""Runs are revisions: when training changes the model's structure, the project changes with it.

A growth hook adds forest members while training; the model that trains is
then no longer the one the project file describes. `RevisionRecorder` notices
(it compares each forest's member count and frozen members with the
project's), writes the new revision — the Forest node's `members`,
`frozen_members` and `seeded_from` — compiles it, checks that its code builds
exactly the live model (same parameter names, shapes, dtypes and trainable
flags, on the meta device), and then:

* rewrites the run folder's project.json and model.py (the weights saved at
  the end of the run, and every checkpoint after the growth, fit them) and
  appends a line to revisions.jsonl;
* emits a `RevisionCreated` event carrying the revised project, which the
  app applies to the open document, so saving and reopening the project
  gives the model that trained.

Every checkpoint carries the revision it was saved with (`structure`): a
resumed run gives the project's Forest nodes those members before it builds
the model (`with_growth`), so the checkpoint's weights fit and the run goes on
where it stopped, whichever revision of the project it was started from.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from codegen import build_from_compiled, compile_document
from codegen.compiler import Compiled
from graph import Document
from graph.fileformat import dumps
from graph.kinds import FOREST, kind_of
from graph.kinds.forest import GROWTH_PARAMS
from runtime.callbacks import Callback
from runtime.events import LogMessage, RevisionCreated
from runtime.run_folder import graph_hash


def forest_nodes(doc: Document, compiled: Compiled) -> list[tuple[str, str, str]]:
    """(scope, node id, attribute path) of every Forest node the model holds."""
    return [(scope, nid, path) for (scope, nid), path in compiled.attributes.items()
            if kind_of(doc.scope(scope).nodes[nid].type) is FOREST]


def frozen_members(forest: nn.Module) -> list[int]:
    return [k for k, member in enumerate(forest.members)
            if not any(p.requires_grad for p in member.parameters())]


def structure(model: nn.Module) -> dict[str, tuple[tuple[int, ...], torch.dtype, bool]]:
    """Parameter and buffer name → (shape, dtype, trainable): what a revision's code must rebuild."""
    params = {name: (tuple(p.shape), p.dtype, p.requires_grad) for name, p in model.named_parameters()}
    buffers = {name: (tuple(b.shape), b.dtype, False) for name, b in model.named_buffers()}
    return {**params, **buffers}


def with_growth(doc: Document, structure: dict[str, Any]) -> tuple[Document, list[str]]:
    """`doc` with the forests' members a checkpoint's `structure` records; and what changed, per forest label.

    Raises ValueError naming a recorded forest the project does not have (another project's checkpoint).
    """
    revised, changes = copy.deepcopy(doc), []
    for entry in structure.get("forests", []):
        scope, nid = entry.get("scope"), entry.get("node")
        node = revised.scope(scope).nodes.get(nid) if scope in revised.scopes() else None
        if node is None or kind_of(node.type) is not FOREST:
            raise ValueError(f"the checkpoint grew forest {entry.get('label', nid)!r}, which this project does "
                             "not have")
        before = dict(node.params)
        for name in GROWTH_PARAMS:
            if name in entry:
                node.params[name] = entry[name]
            else:
                node.params.pop(name, None)
        if node.params != before:
            changes.append(f"{node.label}: {FOREST.members(node)} members")
    return revised, changes


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class RevisionRecorder(Callback):
    """Writes a project revision whenever a forest's members change during training."""

    name = "revisions"

    def __init__(self, doc: Document, compiled: Compiled, *, trusted: bool = False,
                 run_dir: Path | None = None, revision: int = 0) -> None:
        self.doc = copy.deepcopy(doc)
        self.trusted = trusted
        self.run_dir = run_dir
        self.forests = forest_nodes(doc, compiled)
        self.revision = revision  # a resumed run goes on from its checkpoint's revision
        self.compiled = compiled

    def structure(self) -> dict[str, Any]:
        """The current revision as a checkpoint records it: its number and each forest's growth parameters."""
        forests = []
        for scope, nid, _ in self.forests:
            node = self.doc.scope(scope).nodes[nid]
            forests.append({"scope": scope, "node": nid, "label": node.label,
                            **{k: node.params[k] for k in GROWTH_PARAMS if k in node.params}})
        return {"revision": self.revision, "forests": forests}

    def _counts(self, trainer: Any) -> list[int]:
        return [len(trainer.model.get_submodule(path).members) for _, _, path in self.forests]

    def _recorded(self) -> list[int]:
        return [FOREST.members(self.doc.scope(scope).nodes[nid]) for scope, nid, _ in self.forests]

    def on_batch_start(self, trainer: Any) -> None:
        if self._counts(trainer) != self._recorded():  # a hook grew a forest between batches
            self.record(trainer)

    def on_epoch_end(self, trainer: Any) -> None:
        self.record(trainer)

    def on_fit_end(self, trainer: Any) -> None:
        self.record(trainer)

    def record(self, trainer: Any) -> bool:
        """Writes a revision if the live forests differ from the project's; True if one was written."""
        revised = copy.deepcopy(self.doc)
        changes = []
        for scope, nid, path in self.forests:
            forest = trainer.model.get_submodule(path)
            node = revised.scope(scope).nodes[nid]
            params = dict(node.params)
            while FOREST.members(node) < len(forest.members):
                node.params.update(FOREST.grown(node, frozen_members(forest)))
            node.params["frozen_members"] = frozen_members(forest)
            if not node.params["frozen_members"]:
                del node.params["frozen_members"]
            if node.params != params:
                changes.append(f"{node.label}: {FOREST.members(node)} members, frozen "
                               f"{FOREST.frozen_members(node) or 'none'}")
        if not changes:
            return False
        compiled = compile_document(revised, trusted=self.trusted)
        with torch.device("meta"):
            rebuilt = structure(build_from_compiled(compiled))
        live = structure(trainer.model)
        if rebuilt != live:
            differ = sorted({name for name in rebuilt.keys() | live.keys() if rebuilt.get(name) != live.get(name)})[:3]
            trainer.emit(LogMessage(f"the grown model and its revision differ ({differ}); the run folder keeps "
                                    "the earlier revision", "error"))
            return False
        self.doc, self.compiled = revised, compiled
        self.revision += 1
        summary = "; ".join(changes)
        project = dumps(revised)
        if self.run_dir is not None:
            _write(self.run_dir / "project.json", project)
            _write(self.run_dir / "model.py", compiled.source)
            with (self.run_dir / "revisions.jsonl").open("a", encoding="utf-8") as f:
                f.write(json.dumps({"revision": self.revision, "step": trainer.step,
                                    "graph_hash": graph_hash(project), "summary": summary}) + "\n")
        trainer.emit(RevisionCreated(trainer.step, self.revision, summary, project))
        return True
