"""Tied weights of an imported module become ties in the document (`graph.ties`).

nanoGPT's `self.transformer.wte.weight = self.lm_head.weight` and Hugging
Face's tied GPT-2 head are one Parameter under two names. Without a tie the
imported model would compute the same outputs but train two copies. Each
shared Parameter's first name (the one `named_parameters()` keeps) owns it;
every other name becomes a tie on its node, pointing down to the owner —
or the other way round when only that direction can be written (a class can
reach its own layers, not its parent's). What neither direction can express
(two layers inside different groups) is imported as separate copies and noted.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from codegen.importer.groups import join
from graph.document import ROOT, Document, Node
from graph.kinds import kind_of
from graph.ties import TIE, tie_value

#: (scope, node id) steps from the model down to a node
Chain = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Place:
    chain: Chain
    #: the parameter's name inside the node's own module ("weight"; "" for a Parameter node)
    param: str
    #: every group on the way holds one copy, used once in the whole model
    single: bool


def _leaves(doc: Document, origin) -> dict[str, tuple[Chain, bool]]:
    """Original module path → (chain to the node that holds it, single copy all the way)."""
    uses: dict[str, int] = {}
    for scope in doc.scopes():
        for node in doc.scope(scope).nodes.values():
            inner = kind_of(node.type).subnetwork(node)
            if inner is not None:
                uses[inner] = uses.get(inner, 0) + len(origin.instances.get((scope, node.id), [None]))
    out: dict[str, tuple[Chain, bool]] = {}

    def walk(scope: str, chain: Chain, orig: str, single: bool, depth: int) -> None:
        if depth > 50:
            return
        for nid, node in doc.scope(scope).nodes.items():
            key = (scope, nid)
            if key in origin.instances:
                inner = kind_of(node.type).subnetwork(node)
                once = single and kind_of(node.type).tie_through(node) is not None and uses.get(inner) == 1
                for inst in origin.instances[key]:
                    walk(inner, (*chain, key), join(orig, inst), once, depth + 1)
            elif key in origin.rel:
                out.setdefault(join(orig, origin.rel[key]), ((*chain, key), single))

    walk(ROOT, (), "", True, 0)
    return out


def _place(leaves: dict[str, tuple[Chain, bool]], name: str) -> Place | None:
    best = max((p for p in leaves if name == p or name.startswith(p + ".") or not p), key=len, default=None)
    if best is None:
        return None
    chain, single = leaves[best]
    return Place(chain, name[len(best):].lstrip("."), single)


def _path(target: Place, source: Place, doc: Document) -> list[str] | None:
    """Node ids from the target's scope down to the source, when the target's class can write the tie."""
    scopes = target.chain[:-1]
    if not target.param or not target.single or source.chain[:len(scopes)] != scopes or source.chain == target.chain:
        return None
    rest = source.chain[len(scopes):]
    for scope, nid in rest[:-1]:
        if kind_of(doc.scope(scope).nodes[nid].type).tie_through(doc.scope(scope).nodes[nid]) is None:
            return None
    return [nid for _, nid in rest]


def _node(doc: Document, place: Place) -> Node:
    scope, nid = place.chain[-1]
    return doc.scope(scope).nodes[nid]


def place_ties(module: nn.Module, doc: Document, origin) -> list[str]:
    """Writes a tie for each shared parameter; returns a note for each one kept as separate copies."""
    shared: dict[int, list[str]] = {}
    for name, p in module.named_parameters(remove_duplicate=False):
        shared.setdefault(id(p), []).append(name)
    leaves = _leaves(doc, origin)
    notes = []
    for names in shared.values():
        owner = _place(leaves, names[0])
        for other in names[1:]:
            place = _place(leaves, other)
            if owner is None or place is None:
                notes.append(f"{other} and {names[0]} share one tensor; imported as separate copies")
                continue
            if place.chain == owner.chain:
                continue  # inside one module kept whole: its own constructor ties them
            for target, source in ((place, owner), (owner, place)):
                path = _path(target, source, doc)
                ties = _node(doc, target).params.get(TIE, {})
                if path is not None and target.param not in ties:
                    _node(doc, target).params[TIE] = {**ties, target.param: tie_value(path, source.param)}
                    break
            else:
                notes.append(f"{other} and {names[0]} share one tensor, but no class holds both layers; "
                             "imported as separate copies")
    return notes
