"""Copy and paste beyond the basics (tests/graph/test_gestures.py): cascading, groups and code, versions."""

import json

from graph import ROOT, apply
from graph.clipboard import VERSION, copy_payload, paste_edit
from graph.fileformat import dumps
from tests.graph.sample import full_document


def _root_ids(doc):
    return list(doc.graph.nodes)


def test_copy_paste_keeps_edges_gets_fresh_ids_and_one_inverse():
    doc = full_document()
    before = dumps(doc)
    ids = _root_ids(doc)
    payload = json.loads(json.dumps(copy_payload(doc, ROOT, ids)))  # survives the system clipboard
    edit, new_ids = paste_edit(doc, ROOT, payload)
    inverse = apply(doc, edit)
    assert len(new_ids) == len(ids) and not set(new_ids) & set(ids)
    labels = [n.label for n in doc.graph.nodes.values()]
    assert len(labels) == len(set(labels)), "pasted labels are unique in the scope"
    copied_edges = [e for e in doc.graph.edges if e.src in new_ids]
    assert len(copied_edges) == len([e for e in doc.graph.edges if e.src in ids and e.dst in ids])
    apply(doc, inverse)
    assert dumps(doc) == before


def test_pasting_twice_cascades_instead_of_stacking():
    doc = full_document()
    node = next(iter(doc.graph.nodes.values()))
    payload = copy_payload(doc, ROOT, [node.id])
    spots = {tuple(n.position) for n in doc.graph.nodes.values()}
    for _ in range(3):
        edit, (new_id,) = paste_edit(doc, ROOT, payload)
        apply(doc, edit)
        pos = tuple(doc.graph.nodes[new_id].position)
        assert pos not in spots, "a copy never lands exactly on an existing node"
        spots.add(pos)


def test_paste_into_another_document_brings_groups_and_code_with_fresh_ids():
    from graph import Document

    src = full_document()
    group_nodes = [n.id for n in src.graph.nodes.values() if n.type == "Group"]
    assert group_nodes
    payload = copy_payload(src, ROOT, group_nodes)
    target = Document()
    target.graph.nodes.clear()
    edit, _ = paste_edit(target, ROOT, payload)
    apply(target, edit)
    assert set(target.groups) >= {src.graph.nodes[i].params["group"] for i in group_nodes}
    all_ids = [i for s in target.scopes() for i in target.scope(s).nodes]
    assert len(all_ids) == len(set(all_ids)), "ids stay unique across the whole document"


def test_a_payload_from_a_newer_version_pastes_nothing():
    doc = full_document()
    payload = copy_payload(doc, ROOT, list(doc.graph.nodes))
    payload["version"] = VERSION + 1
    assert paste_edit(doc, ROOT, payload) == (None, [])
    assert copy_payload(doc, ROOT, ["nope"]) is None
