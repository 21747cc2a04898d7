"""Group definitions made by import: names, equal bodies, wrappers, parameters read from tensors."""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import nn

from codegen.importer import ops
from graph.document import Document, Graph, Node
from graph.kinds import GROUP, INPUT, OUTPUT, kind_of


def group_name_for(cls: type) -> str:
    """BasicBlock → basic_block (the compiler turns it back into BasicBlock)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower() or "block"


def without_defaults(type_id: str, params: dict[str, Any]) -> dict[str, Any]:
    from codegen.catalogue import LAYERS

    spec = LAYERS[type_id].spec
    out = {}
    for k, v in params.items():
        p = spec.param(k)
        default = list(p.default) if p is not None and isinstance(p.default, tuple) else \
            (p.default if p is not None else None)
        if p is None or v != default:
            out[k] = v
    return out


def frozen(module: nn.Module) -> bool:
    """Every weight of the module is excluded from training (`requires_grad_(False)`)."""
    params = list(module.parameters())
    return bool(params) and not any(p.requires_grad for p in params)


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def only_group(graph: Graph) -> Node | None:
    """The group node of a body that is just Input → one group node → Output."""
    kinds = sorted(n.type for n in graph.nodes.values())
    if kinds != sorted([GROUP.type_id, INPUT.type_id, OUTPUT.type_id]):
        return None
    return graph.nodes_of_type(GROUP.type_id)[0]


def drop_unused_groups(doc: Document) -> None:
    """Groups no node uses any more (wrappers replaced by their inner group)."""
    while True:
        used = {n.params.get("group") for s in doc.scopes() for n in doc.scope(s).nodes.values()
                if kind_of(n.type).subnetwork(n) is not None}
        unused = [name for name in doc.groups if name not in used]
        if not unused:
            return
        for name in unused:
            del doc.groups[name]


def unique(base: str, taken) -> str:
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


def describe(sub: nn.Module) -> str:
    doc = (type(sub).__doc__ or "").strip()
    if doc and type(sub).__module__ not in ("torch.nn.modules.container",):
        # the first paragraph, joined: an exported group's docstring is its description, wrapped
        paragraph = doc.split("\n\n")[0]
        return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())
    return f"Imported from {type(sub).__module__}.{type(sub).__qualname__}."


def signature(graph: Graph, scope: str, origin: Any) -> Any:
    """The body of a group without its node ids (equal bodies → one group definition)."""
    index = {nid: k for k, nid in enumerate(graph.nodes)}
    nodes = tuple((n.type, n.label, repr(sorted(n.params.items())), origin.rel.get((scope, n.id)),
                   repr(origin.instances.get((scope, n.id))))
                  for n in graph.nodes.values())
    edges = tuple((index[e.src], e.src_port, index[e.dst], e.dst_port) for e in graph.edges)
    return nodes, edges


def parameter_params(value: torch.Tensor, frozen_group: bool = False) -> dict[str, Any]:
    """A Parameter node's parameters; a buffer is not trainable, nor a parameter frozen on its own."""
    params: dict[str, Any] = {"shape": list(value.shape)}
    dtype = str(value.dtype).removeprefix("torch.")
    if dtype != "float32":
        params["dtype"] = dtype
    if not (isinstance(value, nn.Parameter) and (value.requires_grad or frozen_group)):
        params["trainable"] = False
    return params


def shape_like(value: Any, marks: list[str]) -> Any:
    it = iter(marks)
    if isinstance(value, dict):
        return {k: next(it) for k, v in value.items() if v is not None}
    if isinstance(value, (tuple, list)):
        return [next(it) if v is not None else None for v in value]
    return next(it)


def opaque_outputs(node: Node, output: Any) -> Any:
    """An opaque node has one output port; a tuple it returns is indexed by expressions downstream."""
    return ops.mark(node.id, "out")
