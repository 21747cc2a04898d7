"""Compiler benchmarks: print figures, assert only that they were measured.

Run with `make bench` (or `pytest -m slow tests/bench -s`).
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch
from torch import nn

from codegen import build_from_compiled, compile_document, infer_shapes
from codegen.shapes import clear_cache
from tests.bench.generated_graphs import chain, wide
from tests.codegen import graphs

pytestmark = pytest.mark.slow


def _fwd_bwd(model: nn.Module, inputs: list[torch.Tensor]) -> float:
    start = time.perf_counter()
    model(*inputs).float().square().mean().backward()
    return time.perf_counter() - start


def ratio(ref: nn.Module, ours: nn.Module, inputs: list[torch.Tensor], repeats: int = 30) -> tuple[float, float]:
    """Median compiled/hand-written time of one fwd+bwd, interleaved so drift hits both alike."""
    for _ in range(3):
        _fwd_bwd(ref, inputs), _fwd_bwd(ours, inputs)
    a, b = [], []
    for k in range(repeats):
        if k % 2:
            a.append(_fwd_bwd(ref, inputs))
            b.append(_fwd_bwd(ours, inputs))
        else:
            b.append(_fwd_bwd(ours, inputs))
            a.append(_fwd_bwd(ref, inputs))
    return statistics.median(b) / statistics.median(a), statistics.median(a)


def gpt_stack(blocks: int = 4, d: int = 64, seq: int = 32):
    b = graphs.builder("mini-GPT stack")
    g = b.group("block")
    x = g.input("x")
    h = g.add("LayerNorm", x, "ln1")
    a = g.add("MultiheadAttention", {"query": h}, "attn", num_heads=4)
    x1 = g.add("Add", [x, a], "res1")
    h = g.add("Linear", g.add("GELU", g.add("Linear", g.add("LayerNorm", x1, "ln2"), "fc1", out_features=4 * d),
                              "gelu"), "fc2", out_features=d)
    g.output(g.add("Add", [x1, h], "res2"), "y")
    inp = b.input("x", [seq, d])
    b.output(b.use("block", inp, "blocks", repeat=blocks), "y")

    class Ref(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([graphs._RefTransformerBlock(d) for _ in range(blocks)])

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    return b.doc, Ref(), [torch.randn(16, seq, d)]


CASES = {
    "LeNet-5 28x28": lambda: graphs.lenet5(28),
    "ResNet-mini (3 blocks, 16 ch, 16x16)": lambda: graphs.resnet_blocks(3, 16),
    "mini-GPT block x4": gpt_stack,
}


@pytest.mark.parametrize("name", list(CASES))
def test_forward_backward_ratio(name):
    torch.manual_seed(0)
    doc, ref, inputs = CASES[name]()
    if name.startswith("LeNet"):
        inputs = [torch.randn(64, 1, 28, 28)]
    if name.startswith("ResNet"):
        inputs = [torch.randn(32, 1, 16, 16)]
    ours = build_from_compiled(compile_document(doc))
    ours.load_state_dict(dict(zip(ours.state_dict(), ref.state_dict().values(), strict=True)))
    r, base = ratio(ref, ours, inputs)
    print(f"\n[bench] {name}: compiled/hand-written fwd+bwd = {r:.3f} (hand-written {base * 1e3:.2f} ms)")
    assert r > 0


@pytest.mark.parametrize("shape", ["chain", "wide", "chain-distinct"])
def test_shape_inference_scaling(shape):
    rows = []
    for n in (100, 500, 2000):
        if shape == "chain":
            doc = chain(n).doc
        elif shape == "wide":
            doc = wide(n).doc
        else:  # every Linear a different width: no two nodes share a cache entry
            doc = chain(n).doc
            for k, node in enumerate(x for x in doc.graph.nodes.values() if x.type == "Linear"):
                node.params["out_features"] = 16 + k
        clear_cache()
        start = time.perf_counter()
        inference = infer_shapes(doc)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        infer_shapes(doc)
        warm = time.perf_counter() - start
        start = time.perf_counter()
        compile_document(doc)
        full = time.perf_counter() - start
        assert inference.errors == []
        rows.append((len(doc.graph.nodes), cold, warm, full))
    for n, cold, warm, full in rows:
        print(f"\n[bench] shape inference {shape} {n} nodes: cold {cold * 1e3:.0f} ms, warm {warm * 1e3:.0f} ms, "
              f"compile+format {full * 1e3:.0f} ms ({cold / n * 1e6:.0f} µs/node cold)")
