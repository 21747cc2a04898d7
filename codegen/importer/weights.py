"""Copying an imported module's weights into the model compiled from its document.

The importer records, for every node with weights, the path of the original
module (or parameter) relative to the module its scope was traced from, and
for every group node the original path of each copy. Walking the document
with the compiled model's attribute names gives original key → generated key.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from codegen.kinds import compiler_kinds
from graph.document import ROOT, Document


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def relative_attributes(doc: Document, attributes: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """(scope, node id) → attribute name relative to an instance of its scope's class."""
    from codegen.catalogue import LAYERS

    kinds = compiler_kinds(LAYERS)
    inner: dict[str, str] = {}
    for (scope, nid), path in attributes.items():
        node = doc.scope(scope).nodes[nid]
        kind = kinds(node.type)
        group = kind.subnetwork(node)
        if group is not None:
            inner.setdefault(group, (kind.body_prefix(node, path) or f"{path}.").rstrip("."))
    out: dict[tuple[str, str], str] = {}
    for (scope, nid), path in attributes.items():
        if scope == ROOT:
            out[(scope, nid)] = path
        elif scope in inner and path.startswith(inner[scope] + "."):
            out[(scope, nid)] = path[len(inner[scope]) + 1:]
    return out


def weight_mapping(doc: Document, origin: Any, attributes: dict[tuple[str, str], str]) -> dict[str, str]:
    """Original module/parameter path → generated attribute path."""
    from codegen.catalogue import LAYERS

    kinds = compiler_kinds(LAYERS)
    rel_gen = relative_attributes(doc, attributes)
    mapping: dict[str, str] = {}

    def walk(scope: str, gen: str, orig: str, depth: int) -> None:
        if depth > 50:
            return
        for nid, node in doc.scope(scope).nodes.items():
            key = (scope, nid)
            if key in origin.instances and key in rel_gen:
                copies = origin.instances[key]
                kind = kinds(node.type)
                for k, inst in enumerate(copies):
                    target = kind.instance_path(_join(gen, rel_gen[key]), k, len(copies))
                    walk(kind.subnetwork(node), target, _join(orig, inst), depth + 1)
            if key in origin.rel and key in rel_gen:
                mapping.setdefault(_join(orig, origin.rel[key]), _join(gen, rel_gen[key]))

    walk(ROOT, "", "", 0)
    return mapping


def _placed_key(mapping: dict[str, str], key: str) -> str | None:
    best = max((p for p in mapping if key == p or key.startswith(p + ".") or not p), key=len, default=None)
    return None if best is None else _join(mapping[best], key[len(best):].lstrip("."))


def transfer_weights(original: nn.Module, origin: Any, compiled: Any, target: nn.Module,
                     doc: Document | None = None) -> list[str]:
    """Copies the original's weights (and buffers) into `target`; returns the names it could not place."""
    doc = doc if doc is not None else origin.doc
    mapping = weight_mapping(doc, origin, compiled.attributes)
    state = dict(original.state_dict())
    rebuilt_by_constructor: set[str] = set()  # non-persistent buffers: the module makes them itself
    for name, buffer in original.named_buffers():
        if name not in state:
            state[name] = buffer
            rebuilt_by_constructor.add(name)
    placed: dict[str, Any] = {}
    missing: list[str] = []
    for key, value in state.items():
        best = max((p for p in mapping if key == p or key.startswith(p + ".") or not p), key=len, default=None)
        if best is None:
            missing.append(key)
            continue
        placed[_placed_key(mapping, key)] = value
    target_state = target.state_dict()
    unknown = [k for k in placed if k not in target_state]
    for k in unknown:
        del placed[k]
    original_key = {v: k for k, v in ((k, _placed_key(mapping, k)) for k in state)}
    unknown = [k for k in unknown if original_key.get(k) not in rebuilt_by_constructor]
    result = target.load_state_dict(placed, strict=False)
    return missing + unknown + list(result.missing_keys)


def weight_renames(original: nn.Module, origin: Any, compiled: Any) -> dict[str, str]:
    """The original's module paths → the imported model's, for `recipe.init_from[].rename`.

    A checkpoint saved by the original (a Hugging Face folder) then loads into
    the imported model under its own names. Every path is kept, unchanged ones
    too: the longest matching prefix wins, so a shorter rename must not reach them.
    """
    mapping = weight_mapping(origin.doc, origin, compiled.attributes)
    names = set(original.state_dict())
    return {k: v for k, v in sorted(mapping.items()) if k and any(n == k or n.startswith(k + ".") for n in names)}
