"""A Forest class that TorchCanvas exported becomes a Forest node again, not a group of its code.

The generated class (`members`, `combine`, `grow`) says the forest's shape in
code, but its hand-off rule and growth record live in `grow()` and the
constructor's loops; the export's metadata block keeps them by attribute path
(`codegen.metadata`). Only a module that has both — a `members` ModuleList, a
`grow` method and a record under its path in its file's TORCHCANVAS block — is
read this way; the member is traced like any group, so edits to its layers in
the exported file show up in the imported graph.
"""

from __future__ import annotations

import sys
from typing import Any

from torch import fx, nn

from codegen.importer import ops
from graph.document import Graph
from graph.kinds import FOREST, INPUT, OUTPUT


def forest_record(sub: nn.Module, path: str) -> dict[str, Any] | None:
    """The exported Forest's hand-off parameters, or None if `sub` is not one."""
    from codegen.metadata import read_metadata

    members = getattr(sub, "members", None)
    if not isinstance(members, nn.ModuleList) or not len(members) or not callable(getattr(sub, "grow", None)):
        return None
    meta = read_metadata(sys.modules.get(type(sub).__module__)) or {}
    record = (meta.get("forests") or {}).get(path)
    return record if isinstance(record, dict) else None


def import_forest(importer: Any, sub: nn.Module, n: fx.Node, call: Any, scope: str, graph: Graph, add,
                  connect, texts: dict, structures: dict, full: str, label: str) -> bool:
    """Adds a Forest node for an exported forest module; False if `sub` is not one."""
    record = forest_record(sub, full)
    tensors = [a for a in n.args if isinstance(a, fx.Node)]
    if record is None or len(tensors) != 1:
        return False
    members = sub.members
    group, in_labels, _ = importer.group(members[0], call, f"{full}.members.0", "member")
    body = importer.doc.groups[group].graph
    if record.get("handoff") == "lateral":
        # the member class also returns the activation it hands on: that output is the forest's, not the group's
        outputs = body.nodes_of_type(OUTPUT.type_id)
        for extra in outputs[1:]:
            del body.nodes[extra.id]
            body.edges[:] = [e for e in body.edges if e.dst != extra.id]
        if outputs and outputs[0].label == "y1" and all(m.label != "y" for m in body.nodes.values()):
            outputs[0].label = "y"  # named as a one-output forward's result is
        inputs = body.nodes_of_type(INPUT.type_id)
        for extra in inputs[1:]:
            del body.nodes[extra.id]
            body.edges[:] = [e for e in body.edges if e.src != extra.id]
        in_labels = [i.label for i in inputs[:1]]
    node = add(FOREST.type_id, label, {"group": group, "members": len(members), **record})
    connect(texts[tensors[0]], node, in_labels[0] if in_labels else "x")
    target = str(n.target)
    importer.origin.instances[(scope, node.id)] = [f"{target}.members.{k}" for k in range(len(members))]
    importer.origin.rel[(scope, node.id)] = target  # mixing weights and lateral adapters
    importer._set_outputs(n, ops.mark(node.id, "out"), texts, structures)
    return True
