"""A model summary: per-node output shape and parameters, totals, and FLOPs."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from codegen.compiler import Compiled, build_from_compiled
from codegen.runs import BATCH, DTYPES
from graph.document import ROOT, Document
from graph.kinds import inputs_of


@dataclass(frozen=True)
class SummaryRow:
    scope: str
    node_id: str
    label: str
    type: str
    output: str
    params: int
    trainable: int


@dataclass(frozen=True)
class Summary:
    rows: list[SummaryRow]
    total_params: int
    trainable_params: int
    #: Floating-point operations of one forward pass for one sample.
    flops_per_sample: int

    def table(self) -> str:
        lines = [f"{'layer':<24} {'type':<22} {'output':<22} {'params':>10}"]
        for r in self.rows:
            lines.append(f"{r.label:<24} {r.type:<22} {r.output:<22} {r.params:>10,}")
        lines.append(f"total parameters: {self.total_params:,} (trainable {self.trainable_params:,})")
        lines.append(f"forward FLOPs per sample: {self.flops_per_sample:,}")
        return "\n".join(lines)


def _count(module: nn.Module) -> tuple[int, int]:
    params = list(module.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def example_inputs(doc: Document, batch: int = 1, device: str | torch.device = "cpu") -> list[torch.Tensor]:
    """Zero tensors with the model's input shapes (for FLOP counting, tracing, ONNX export)."""
    tensors = []
    for node in inputs_of(doc.graph):
        shape = node.params.get("shape", [1])
        shape = [shape] if isinstance(shape, int) else list(shape)
        dtype = DTYPES.get(node.params.get("dtype", "float32"), torch.float32)
        tensors.append(torch.zeros([batch, *shape], dtype=dtype, device=device))
    return tensors


def summarize(doc: Document, compiled: Compiled, model: nn.Module | None = None) -> Summary:
    """Counts on `model` when given (it may have frozen parts), FLOPs on a meta-device copy."""
    with torch.device("meta"):
        meta_model = build_from_compiled(compiled)
    model = meta_model if model is None else model
    rows: list[SummaryRow] = []
    for (scope, nid), path in compiled.attributes.items():
        if scope != ROOT:
            continue
        node = doc.graph.nodes[nid]
        run = compiled.inference.node(scope, nid)
        out = ", ".join(str(v) for v in run.outputs.values()) if run else ""
        total, trainable = _count(model.get_submodule(path))
        rows.append(SummaryRow(scope, nid, node.label, node.type, out, total, trainable))
    total, trainable = _count(model)
    counter = FlopCounterMode(display=False)
    inputs = example_inputs(doc, batch=BATCH, device="meta")
    try:
        with counter, torch.no_grad():
            meta_model(*inputs)
        flops = counter.get_total_flops() // BATCH
    except Exception:  # noqa: BLE001 - FLOPs are informative; an op without a formula must not break the summary
        flops = 0
    return Summary(rows, total, trainable, int(flops))
