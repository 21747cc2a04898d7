"""Issue 14: tied weights come back tied. nanoGPT ties its token embedding and head; the import used to
give two copies (same outputs, but training moved them apart)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from codegen import build_from_compiled, compile_document
from codegen.export import load_weights
from codegen.importer import import_module, record_constructors, transfer_weights
from runtime.session import prepare, run
from tests.codegen.roundtrip import fixed_point
from tests.zoo.nanogpt import GPT


def imported_gpt():
    torch.manual_seed(0)
    with record_constructors():
        gpt = GPT().eval()
    tokens = torch.randint(0, 96, (2, 16), generator=torch.Generator().manual_seed(1))
    doc, origin = import_module(gpt, inputs=[tokens])
    return gpt, tokens, doc, origin


def test_nanogpt_head_and_embedding_stay_one_tensor_through_import_training_and_weights(tmp_path: Path):
    gpt, tokens, doc, origin = imported_gpt()
    assert origin.notes == []
    compiled = compile_document(doc, trusted=True)
    assert "self.lm_head.weight = self.transformer_wte.weight" in compiled.source
    model = build_from_compiled(compiled).eval()
    assert transfer_weights(gpt, origin, compiled, model) == []
    assert model.lm_head.weight is model.transformer_wte.weight
    with torch.no_grad():
        torch.testing.assert_close(model(tokens), gpt(tokens), atol=1e-5, rtol=1e-5)
    # training it in TorchCanvas: a few real steps of the engine, then the saved weights
    doc.recipe = {"dataset": {"name": "stdlib_text", "block_size": 16, "max_chars": 4000}, "batch_size": 8,
                  "epochs": 1, "max_steps": 3, "optimizer": {"name": "adamw", "lr": 0.01}, "log_layers": False}
    job = prepare(doc, run_dir=tmp_path / "run", trusted=True)
    before = job.trainer.model.transformer_wte.weight.detach().clone()
    run(job)
    trained = job.trainer.model
    assert trained.lm_head.weight is trained.transformer_wte.weight
    assert not torch.equal(before, trained.transformer_wte.weight)
    fresh = build_from_compiled(compiled)
    assert load_weights(fresh, tmp_path / "run" / "weights.safetensors") == []
    assert fresh.lm_head.weight is fresh.transformer_wte.weight
    assert torch.equal(fresh.lm_head.weight, trained.lm_head.weight)


def test_nanogpt_export_import_export_is_a_fixed_point_with_the_tie(tmp_path: Path):
    _, _, doc, _ = imported_gpt()
    first, second, keys1, keys2, summary, doc2 = fixed_point(doc, tmp_path)
    assert first == second and keys1 == keys2
    head = doc2.graph.node_by_label("lm_head")
    assert "weight" in head.params["tie"]


class Inner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 6)

    def forward(self, x):
        return torch.tanh(self.proj(x))


class SharedInside(nn.Module):
    """The root's layer gives its weight to a layer inside a block: only the root's class can write the tie."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(6, 6)
        self.block = Inner()
        self.block.proj.weight = self.first.weight

    def forward(self, x):
        return self.block(self.first(x))


class TwoBranches(nn.Module):
    """T5's pattern: two blocks share one layer, but neither block's class holds the other."""

    def __init__(self) -> None:
        super().__init__()
        self.a = Inner()
        self.b = nn.Sequential(nn.Linear(6, 6), nn.ReLU())
        self.b[0].weight = self.a.proj.weight

    def forward(self, x):
        return self.b(self.a(x))


def test_a_tie_from_inside_a_block_is_written_by_the_class_that_holds_both():
    torch.manual_seed(0)
    with record_constructors():
        net = SharedInside().eval()
    x = torch.randn(3, 6)
    doc, origin = import_module(net, inputs=[x])
    compiled = compile_document(doc, trusted=True)
    model = build_from_compiled(compiled).eval()
    assert transfer_weights(net, origin, compiled, model) == []
    assert model.first.weight is model.block.proj.weight
    with torch.no_grad():
        torch.testing.assert_close(model(x), net(x))


def test_a_tie_no_class_can_write_is_imported_as_copies_with_a_note():
    torch.manual_seed(0)
    with record_constructors():
        net = TwoBranches().eval()
    x = torch.randn(3, 6)
    doc, origin = import_module(net, inputs=[x])
    assert len(origin.notes) == 1 and "b.0.weight" in origin.notes[0] and "a.proj.weight" in origin.notes[0]
    compiled = compile_document(doc, trusted=True)
    model = build_from_compiled(compiled).eval()
    assert transfer_weights(net, origin, compiled, model) == []
    with torch.no_grad():
        torch.testing.assert_close(model(x), net(x))
