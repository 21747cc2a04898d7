"""Importing an existing nn.Module into a graph document.

Each module's own forward is traced with torch.fx, one level at a time, with
the real values riding along (`codegen.importer.tracer`), so shape-dependent
Python (`B, T, C = x.size()`, `assert T <= block_size`, a flag branch) traces
as it runs. Per submodule the importer chooses: a catalogue node when one
says exactly the same thing, a group when its forward traces, else the module
is kept whole (an opaque node). Weights are carried over by module path.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from codegen.importer.build import Importer, ImportFailed, KeepWhole, Origin
from codegen.importer.groups import drop_unused_groups
from codegen.importer.opaque import keep_user_module
from codegen.importer.ops import NotExpressible
from codegen.importer.recording import record_constructors
from codegen.importer.ties import place_ties
from codegen.importer.tracer import ForwardFailed, Untraceable, forward_parameters, trace
from codegen.importer.weights import transfer_weights, weight_renames
from codegen.runs import DTYPE_NAMES, DTYPES
from graph.document import ROOT, Document, Edge, Graph, Node, make_identifier
from graph.kinds import INPUT, OUTPUT
from graph.layout import layered_positions

__all__ = ["ImportFailed", "Origin", "example_inputs", "import_module", "record_constructors",
           "transfer_weights", "weight_renames"]


def example_inputs(shapes: list[list[int]], dtypes: list[str] | None = None, batch: int = 2) -> list[torch.Tensor]:
    """Random inputs of the given per-sample shapes; integer inputs are token ids 0 and 1."""
    out = []
    generator = torch.Generator().manual_seed(0)
    for k, shape in enumerate(shapes):
        dtype = (dtypes[k] if dtypes and k < len(dtypes) else "float32") or "float32"
        if dtype not in DTYPES:
            raise ImportFailed(f"input {k + 1}: unknown dtype {dtype!r}; use one of {', '.join(DTYPES)}")
        if dtype in ("int64", "long"):
            out.append(torch.randint(0, 2, (batch, *shape), generator=generator))
        elif dtype == "bool":
            out.append(torch.ones(batch, *shape, dtype=torch.bool))
        else:
            out.append(torch.randn(batch, *shape, generator=generator).to(DTYPES[dtype]))
    return out


def import_module(module: nn.Module, input_shapes: list[list[int]] | None = None, name: str | None = None,
                  input_dtypes: list[str] | None = None, *, inputs: list[Any] | None = None,
                  kwargs: dict[str, Any] | None = None) -> tuple[Document, Origin]:
    """(document, where its weights come from); raises ImportFailed with one line naming the module path.

    Give per-sample `input_shapes` (and `input_dtypes`, e.g. "int64" for token ids) or the example
    `inputs` themselves. The returned document passes validation (checked here).
    """
    if inputs is None:
        if input_shapes is None:
            raise ImportFailed("give the input shape (without the batch dimension)")
        inputs = example_inputs(input_shapes, [_dtype_name(d) for d in input_dtypes or []] or None)
    cls = type(module)
    doc = Document(name=name or cls.__name__, description=f"Imported from {cls.__module__}.{cls.__qualname__}.")
    importer = Importer(doc, keep_user_module)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            traced = trace(module, tuple(inputs), dict(kwargs or {}))
            importer.scope(module, traced, ROOT, doc.graph, "", root=True)
    except ForwardFailed as exc:
        raise ImportFailed(f"{cls.__name__} raised in forward on the given input: {exc}") from None
    except (Untraceable, KeepWhole, NotExpressible) as exc:
        doc.graph = Graph()
        importer = Importer(doc, keep_user_module)
        _keep_root_whole(importer, module, inputs, str(exc))
    finally:
        module.train(was_training)
    drop_unused_groups(doc)
    importer.origin.notes += place_ties(module, doc, importer.origin)
    for nid, pos in layered_positions(doc.graph).items():
        doc.graph.nodes[nid].position = pos
    _assert_valid(doc)
    importer.origin.kept = importer.kept
    importer.origin.doc = doc
    return doc, importer.origin


def _keep_root_whole(importer: Importer, module: nn.Module, inputs: list[Any], why: str) -> None:
    """Inputs → the whole model as one opaque node → outputs (its forward cannot be a graph)."""
    from codegen.importer.tracer import Call

    graph = importer.doc.graph
    taken: set[str] = set()

    def add(type_id: str, label: str, params: dict[str, Any] | None = None) -> Node:
        node = Node(importer.new_id(), type_id, label, dict(params or {}))
        taken.add(label)
        graph.nodes[node.id] = node
        return node

    names = [p.name for p in forward_parameters(module)][:len(inputs)]
    sources = []
    for name, value in zip(names, inputs, strict=False):
        params: dict[str, Any] = {"shape": list(value.shape[1:])}
        dtype = DTYPE_NAMES.get(value.dtype, "float32")
        if dtype != "float32":
            params["dtype"] = dtype
        sources.append(add(INPUT.type_id, name, params))
    with torch.no_grad():
        output = module(*inputs)
    call = Call(None, module, tuple(inputs), {}, output)  # type: ignore[arg-type]
    label = make_identifier(type(module).__name__)
    node, ports = keep_user_module(importer, graph, add, module, call, type(module).__name__, label, why)
    for src, port in zip(sources, ports, strict=False):
        graph.edges.append(Edge(src.id, "out", node.id, port))
    importer.origin.rel[(ROOT, node.id)] = ""
    out = add(OUTPUT.type_id, "y")
    graph.edges.append(Edge(node.id, "out", out.id, "x"))


def _dtype_name(dtype: str) -> str:
    return {"long": "int64", "float": "float32", "double": "float64", "int": "int64"}.get(dtype, dtype)


def _assert_valid(doc: Document) -> None:
    """An imported project passes `check` by construction; anything else is an importer bug."""
    from codegen.catalogue import registry
    from graph.validate import validate

    errors = [i for i in validate(doc, registry()) if i.severity == "error"]
    if errors:
        raise ImportFailed(f"the importer made an invalid project (a TorchCanvas bug): {errors[0]}")
