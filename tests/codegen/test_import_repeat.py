"""Issue 14, item 4: blocks that take a side input (GPT-2's attention mask) repeat as one group ×N.

Hugging Face GPT-2 calls `block(hidden_states, mask, …)` for each block of an
`nn.ModuleList`; import made one group instance per block because a repeated
group had to have exactly one Input. A repeated group now feeds each copy's
output to the next copy's first Input and passes its other Inputs to every
copy, so the blocks import as one group definition ×N, and export → import →
export keeps the text and the state-dict keys.
"""

from __future__ import annotations

import torch
from torch import nn

from codegen import build_from_compiled, compile_document
from codegen.catalogue import registry
from codegen.importer import import_module, record_constructors, transfer_weights
from graph.kinds import GROUP
from graph.validate import validate
from tests.codegen.gpt2_like import Blocks
from tests.codegen.graphs import builder
from tests.codegen.roundtrip import fixed_point


class _Gated(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x, gate):
        return x + self.fc(x) * gate


class _GatedNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([_Gated() for _ in range(3)])

    def forward(self, x, gate):
        for block in self.blocks:
            x = block(x, gate)
        return x


def _gated_document():
    b = builder("Gated net")
    g = b.group("gated", "x plus a gated linear map of x.")
    x, gate = g.input("x"), g.input("gate")
    fc = g.add("Linear", x, "fc", out_features=8)
    g.output(g.add("Add", [x, g.add("Multiply", [fc, gate], "gated")], "skip"), "y")
    inp, side = b.input("x", [5, 8]), b.input("gate", [5, 1])
    h = b.use("gated", {"x": inp, "gate": side}, "blocks", repeat=3)
    b.output(h, "y")
    return b.doc


def test_a_repeated_group_chains_its_first_input_and_gives_the_others_to_every_copy():
    doc = _gated_document()
    assert [str(p) for p in validate(doc, registry()) if p.is_error] == []
    compiled = compile_document(doc)
    assert "self.blocks = nn.ModuleList([Gated() for _ in range(3)])" in compiled.source
    assert "blocks = block(blocks, gate)" in compiled.source
    model = build_from_compiled(compiled).eval()
    ref = _GatedNet().eval()
    model.load_state_dict(ref.state_dict())
    x, gate = torch.randn(2, 5, 8), torch.rand(2, 5, 1)
    with torch.no_grad():
        torch.testing.assert_close(model(x, gate), ref(x, gate), rtol=0, atol=0)


def test_a_repeated_group_whose_output_changes_its_first_inputs_shape_is_refused_on_repeat():
    doc = _gated_document()
    fc = doc.groups["gated"].graph.node_by_label("fc")
    fc.params["out_features"] = 4
    problems = [p for p in validate(doc, registry()) if p.is_error]
    from codegen import infer_shapes

    errors = infer_shapes(doc).errors
    assert problems or errors


def _blocks() -> Blocks:
    torch.manual_seed(0)
    with record_constructors():
        model = Blocks(width=8, layers=3)
    return model.eval()


def test_gpt2_like_blocks_with_a_side_input_import_as_one_group_repeated():
    model = _blocks()
    x = torch.randn(2, 5, 8)
    doc, origin = import_module(model, inputs=[x])
    groups = [n for n in doc.graph.nodes.values() if n.type == GROUP.type_id]
    assert [(n.label, n.params.get("repeat")) for n in groups] == [("h", 3)]
    assert list(doc.groups) == ["block"]
    compiled = compile_document(doc, trusted=True)
    # one class for the block and one for the user's Conv1D (its code is the same for all six)
    assert compiled.source.count("class Block(nn.Module)") == 1
    assert compiled.source.count("class Conv1D") == 1
    assert "for block in self.h:" in compiled.source
    rebuilt = build_from_compiled(compiled).eval()
    assert transfer_weights(model, origin, compiled, rebuilt) == []
    assert list(rebuilt.state_dict()) == list(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x), rtol=0, atol=0)


def test_gpt2_like_blocks_are_a_fixed_point_of_export_and_import(tmp_path):
    model = _blocks()
    doc, _ = import_module(model, inputs=[torch.randn(2, 5, 8)])
    first, second, keys1, keys2, _, doc2 = fixed_point(doc, tmp_path)
    assert second == first
    assert keys2 == keys1 == list(model.state_dict())
    assert [(n.label, n.params.get("repeat")) for n in doc2.graph.nodes.values() if n.type == GROUP.type_id] \
        == [("h", 3)]
