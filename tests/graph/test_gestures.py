"""Document gestures below app/: copy/paste and autosave work headless."""

from __future__ import annotations

import json

from graph import ROOT, Document, ProjectFileError
from graph.builder import Builder
from graph.clipboard import copy_payload, paste_edit
from graph.edits import apply
from graph.fileformat import dumps
from graph.recovery import (
    clear_recovery,
    new_identity,
    read_recovery,
    recovery_path,
    write_recovery,
)


def chain() -> Document:
    b = Builder("chain")
    h = b.add("Linear", b.input("x", [4]), "fc", out_features=3)
    b.output(b.add("ReLU", h, "act"))
    return b.doc


def test_paste_gives_fresh_ids_unique_labels_and_the_inner_edges_and_undoes_exactly():
    doc = chain()
    before = dumps(doc)
    fc, act = doc.graph.node_by_label("fc").id, doc.graph.node_by_label("act").id
    payload = json.loads(json.dumps(copy_payload(doc, ROOT, [fc, act])))  # as the clipboard carries it
    edit, ids = paste_edit(doc, ROOT, payload)
    inverse = apply(doc, edit)
    labels = {doc.graph.nodes[i].label for i in ids}
    assert labels == {"fc_2", "act_2"} and not set(ids) & {fc, act}
    assert len([e for e in doc.graph.edges if e.src in ids and e.dst in ids]) == 1
    assert doc.graph.nodes[ids[0]].params == {"out_features": 3}
    apply(doc, inverse)
    assert dumps(doc) == before


def test_a_malformed_payload_pastes_nothing():
    doc = chain()
    for payload in (None, [], {"nodes": "x"}, {"nodes": [{"id": 1}]},
                    {"nodes": [{"id": "a", "type": "ReLU", "label": "r"}], "edges": [["a", "out", "zz", "x"]]}):
        assert paste_edit(doc, ROOT, payload) == (None, [])


def test_recovery_round_trip_and_a_broken_copy_is_one_error(tmp_path):
    doc = chain()
    project = tmp_path / "p.json"
    identity = new_identity()
    path = write_recovery(tmp_path / "home", identity, project, doc)
    assert path == recovery_path(tmp_path / "home", identity) and path.exists()
    assert dumps(read_recovery(path)) == dumps(doc)
    path.write_text("{not json")
    try:
        read_recovery(path)
    except ProjectFileError as exc:
        assert "recovery copy" in str(exc)
    else:
        raise AssertionError("a broken recovery copy must raise ProjectFileError")
    clear_recovery(tmp_path / "home", identity)
    assert not path.exists()
