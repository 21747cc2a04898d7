"""Weight tying (issue 14): one parameter shared by two layers survives the project, the generated code,
safetensors export/import and training — GPT's token embedding and head stay one tensor."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from codegen import build_from_compiled, compile_document
from codegen.catalogue import registry
from codegen.errors import CompileError
from codegen.export import load_weights, save_weights
from graph.fileformat import dumps, loads
from graph.ties import tie_value
from graph.validate import validate
from tests.codegen.graphs import builder

VOCAB, DIM = 20, 8


def tied_lm(through_group: bool = False, head_out: int = VOCAB):
    """tokens → embedding → mean over time? no: per-token logits; the head shares the embedding's weight."""
    b = builder("tied lm")
    x = b.input("tokens", [6], dtype="int64")
    if through_group:
        g = b.group("encoder", "Embeds and mixes the tokens.")
        e = g.add("Embedding", g.input("x"), "tok_emb", num_embeddings=VOCAB, embedding_dim=DIM)
        g.output(g.add("Tanh", e, "act"), "y")
        enc = b.use("encoder", x, "encoder")
        path = [enc.node_id, b.doc.groups["encoder"].graph.node_by_label("tok_emb").id]
        h = enc
    else:
        h = b.add("Embedding", x, "tok_emb", num_embeddings=VOCAB, embedding_dim=DIM)
        path = [h.node_id]
        h = b.add("Tanh", h, "act")
    head = b.add("Linear", h, "head", out_features=head_out, bias=False, tie={"weight": tie_value(path, "weight")})
    b.output(head, "logits")
    return b.doc, head.node_id


def tokens() -> torch.Tensor:
    return torch.randint(0, VOCAB, (4, 6), generator=torch.Generator().manual_seed(0))


def one_step(model: torch.nn.Module) -> None:
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    logits = model(tokens())
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), tokens().reshape(-1))
    loss.backward()
    optimizer.step()


@pytest.mark.parametrize("through_group", [False, True])
def test_the_compiler_writes_the_tie_and_a_training_step_keeps_one_tensor(through_group):
    doc, _ = tied_lm(through_group)
    compiled = compile_document(doc)
    owner = "self.encoder.tok_emb.weight" if through_group else "self.tok_emb.weight"
    assert f"self.head.weight = {owner}" in compiled.source
    model = build_from_compiled(compiled)
    emb = model.encoder.tok_emb if through_group else model.tok_emb
    assert model.head.weight is emb.weight
    assert sum(p.numel() for p in model.parameters()) == VOCAB * DIM  # counted once
    before = emb.weight.detach().clone()
    one_step(model)
    assert model.head.weight is emb.weight and not torch.equal(before, emb.weight)


def test_the_tie_survives_save_and_load_and_safetensors_keep_one_copy(tmp_path: Path):
    doc, head = tied_lm()
    again = loads(dumps(doc), registry())
    assert again.graph.nodes[head].params["tie"] == doc.graph.nodes[head].params["tie"]
    model = build_from_compiled(compile_document(again))
    one_step(model)
    save_weights(model, tmp_path / "w.safetensors")
    from safetensors import safe_open

    with safe_open(str(tmp_path / "w.safetensors"), "pt") as f:
        assert len(list(f.keys())) == 1  # the shared tensor once
    fresh = build_from_compiled(compile_document(again))
    assert load_weights(fresh, tmp_path / "w.safetensors") == []  # strict: the tied name is not "missing"
    assert fresh.head.weight is fresh.tok_emb.weight
    assert torch.equal(fresh.head.weight, model.head.weight)
    with torch.no_grad():
        torch.testing.assert_close(fresh(tokens()), model(tokens()))


def test_a_tie_between_parameters_of_different_shapes_is_a_problem_on_the_node():
    doc, head = tied_lm(head_out=VOCAB + 1)
    with pytest.raises(CompileError) as err:
        compile_document(doc)
    problem = err.value.problems[0]
    assert (problem.node_id, problem.param) == (head, "tie")
    assert "(21, 8)" in problem.message and "tok_emb.weight" in problem.message


def test_a_tie_to_a_missing_node_or_into_a_repeated_group_is_a_validation_problem():
    doc, head = tied_lm(through_group=True)
    node = doc.graph.nodes[head]
    node.params["tie"] = {"weight": tie_value(["nope"], "weight")}
    problems = [p for p in validate(doc, registry()) if p.param == "tie"]
    assert problems and "'nope'" in problems[0].message and problems[0].node_id == head
    enc = doc.graph.node_by_label("encoder")
    enc.params["repeat"] = 2
    inner = doc.groups["encoder"].graph.node_by_label("tok_emb").id
    node.params["tie"] = {"weight": tie_value([enc.id, inner], "weight")}
    problems = [p for p in validate(doc, registry()) if p.param == "tie"]
    assert problems and "repeated group" in problems[0].message
    node.params["tie"] = {"weight": "tok_emb.weight"}
    assert [p for p in validate(doc, registry()) if p.param == "tie"]


def test_a_tie_to_a_parameter_the_layer_does_not_have_is_a_problem():
    doc, head = tied_lm()
    doc.graph.nodes[head].params["tie"] = {"weight": tie_value([doc.graph.node_by_label("tok_emb").id], "bias")}
    with pytest.raises(CompileError) as err:
        compile_document(doc)
    assert "tok_emb.bias does not exist" in err.value.problems[0].message
